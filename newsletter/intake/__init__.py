"""Paper metadata fetched from outside (arXiv, DOI, BibTeX), normalised for entries."""
