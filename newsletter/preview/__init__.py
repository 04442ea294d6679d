"""``newsletter preview``: a local server that shows an issue as it will be read, and
follows the editor's saves (``server`` serves the views, ``watch`` follows the files)."""
