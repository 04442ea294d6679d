"""What an import was asked for: each SOURCE of ``newsletter import`` as the papers it names.

A SOURCE is an arXiv id or link (every form ``newsletter.entries.identity.parse_arxiv``
takes), a DOI or doi.org link, a ``.bib`` file (one paper per entry), or a text file with
one id or link per line (blank lines and ``#`` comments skipped). An arXiv DOI
(``10.48550/arXiv.2604.01234``, DataCite's) is taken as the arXiv id it names: arXiv's own
record is the better one, and the same paper is then one cache file, not two.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from newsletter.entries.identity import ArxivId, parse_arxiv
from newsletter.errors import NewsletterError
from newsletter.intake.doi import normalise as normalise_doi
from newsletter.intake.sources import Metadata

MAX_LIST_BYTES = 1024 * 1024
MAX_WANTED = 10_000
_COMMENT = re.compile(r"(?:^|\s)#")
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$")


class SourceError(NewsletterError):
    """A SOURCE that names no paper, or a file of them that cannot be read."""


@dataclass(frozen=True)
class Wanted:
    """One paper asked for: an arXiv id, a DOI, or a .bib entry's own metadata."""

    source: str  # how messages name it: '2604.01234', 'refs.bib:12 (vaswani2017)'
    arxiv: ArxivId | None = None
    doi: str | None = None
    written: Metadata | None = None
    in_file: bool = False  # named by a line of a .bib file or a list, not an argument


def name_of(text: str) -> tuple[ArxivId | None, str | None]:
    """The arXiv id or the DOI ``text`` names (one of them), or neither."""
    arxiv = parse_arxiv(text)
    if arxiv is not None:
        return arxiv, None
    doi = normalise_doi(text)
    if doi is not None and (match := _ARXIV_DOI.match(doi)):
        found = parse_arxiv(match.group("id"))
        if found is not None:
            return found, None
    return None, doi


def _shown(text: str) -> str:
    from newsletter.entries.problems import printable

    return printable(text if len(text) <= 80 else text[:79] + "…")


def wanted_from(sources: list[str], publication: Path | None) -> list[Wanted]:
    """Every paper the SOURCEs name, in order (duplicates kept: the import says so).
    SourceError names the first SOURCE (or file line) that names none."""
    found: list[Wanted] = []
    for text in sources:
        arxiv, doi = name_of(text)
        if arxiv is not None or doi is not None:
            found.append(Wanted(text.strip(), arxiv, doi))
        elif text.lower().endswith(".bib"):
            found.extend(_from_bib(Path(text), publication))
        elif os.path.lexists(text):  # False, not OSError, for a name too long for a path
            found.extend(_from_list(Path(text), publication))
        else:
            raise SourceError(f"{_shown(text)}: not an arXiv id or link, a DOI, or a file "
                              "of them" + _hint(text))
        if len(found) > MAX_WANTED:
            raise SourceError(f"more than {MAX_WANTED} papers in one import; split it")
    return found


def _hint(text: str) -> str:
    if text.startswith(("http://", "https://")):
        return " (a page of another site cannot be imported: add it with 'newsletter " \
               "add-paper --url')"
    return ""


def _from_bib(path: Path, publication: Path | None) -> list[Wanted]:
    from newsletter.intake.bibtex import read

    found = []
    for entry in read(path, publication):
        source = f"{path}:{entry.line} ({entry.key})"
        arxiv = parse_arxiv(entry.arxiv_id) if entry.arxiv_id else None
        if arxiv is None and entry.doi is not None:
            arxiv, doi = name_of(entry.doi)
        else:
            doi = None if arxiv is not None else entry.doi
        found.append(Wanted(source, arxiv, doi, entry.written, in_file=True))
    return found


def _from_list(path: Path, publication: Path | None) -> list[Wanted]:
    from newsletter.intake.named import read_named

    text = read_named(path, publication, MAX_LIST_BYTES, SourceError,
                      "a list of ids has one per line")
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        # A comment starts a line or follows a space: a link's '#fragment' is no comment.
        item = _COMMENT.split(line, maxsplit=1)[0].strip()
        if not item:
            continue
        arxiv, doi = name_of(item)
        if arxiv is None and doi is None:
            raise SourceError(f"{path}:{number}: {_shown(item)} is not an arXiv id or link, "
                              "nor a DOI" + _hint(item))
        found.append(Wanted(f"{path}:{number}", arxiv, doi, in_file=True))
        if len(found) > MAX_WANTED:
            raise SourceError(f"{path}: more than {MAX_WANTED} papers in one import; split it")
    return found
