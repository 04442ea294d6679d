"""Papers from a ``.bib`` file (a Zotero or Google Scholar export): one per entry.

An entry with ``eprint`` and ``archivePrefix = {arXiv}`` names an arXiv id to fetch; one
with a ``doi`` names a DOI to fetch; one with neither is taken as written: its title,
authors (split on ``and`` at brace level 0, ``Family, Given`` turned around), ``year`` and
``month`` (or a biblatex ``date``) as the publication date, ``url`` and ``abstract``. LaTeX
in titles, names and abstracts is decoded with pylatexenc (``{B}ayesian``, ``\\"o``, ``--``,
``\\emph{...}``), as bibtexparser's own decoding middleware does, but field by field so a
URL's ``%`` is not taken for a comment.

The file is input an attacker may have written: it is read only if it is a regular file
under 8 MiB, of UTF-8 text; a symbolic link inside the publication that leads out of it is
refused. bibtexparser expands ``@string`` references one level and never concatenates
(``#``), so no expansion can grow past the file's own size. Fields are bounded before they
are decoded, and nesting of braces too (pylatexenc recurses on it); pylatexenc is slow
(about 300 KB a second), so text without LaTeX is not passed to it and a file's LaTeX is
limited to a million characters, a few seconds' work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from newsletter.entries.identity import parse_arxiv
from newsletter.errors import NewsletterError
from newsletter.intake.doi import normalise as normalise_doi
from newsletter.intake.named import read_named
from newsletter.intake.sources import Metadata

if TYPE_CHECKING:
    from pylatexenc.latex2text import LatexNodes2Text

MAX_BIB_BYTES = 8 * 1024 * 1024
MAX_ENTRIES = 10000
MAX_FIELD_CHARS = 50000
MAX_BRACE_DEPTH = 32
# pylatexenc decodes about 300 KB a second here: a file's LaTeX is bounded to a few seconds.
MAX_LATEX_CHARS = 1_000_000
_CALL_COST, _DEPTH_COST = 40, 6  # what a call, and a level of braces, cost in characters

_MONTHS = {name: number for number, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
     ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for name in names}
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


class BibError(NewsletterError):
    """A .bib file, or an entry of it, that cannot be read; the message names the file."""


@dataclass(frozen=True)
class BibEntry:
    """One entry: what to fetch (``arxiv_id``, with its version if the entry gave one, or
    ``doi``), and what it says itself (``written``), used when there is nothing to fetch."""

    key: str
    line: int
    arxiv_id: str | None
    doi: str | None
    written: Metadata | None


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """bibtexparser logs each bad block itself; we report the first one, once."""
    # Its modules log to children of "bibtexparser", which inherit this level.
    logger = logging.getLogger("bibtexparser")
    was = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(was)


def _field(path: Path, entry: object, name: str) -> str | None:
    fields = {key.lower(): field for key, field in entry.fields_dict.items()}  # type: ignore[attr-defined]
    field = fields.get(name)
    if field is None:
        return None
    value = field.value
    if not isinstance(value, str):
        return None
    if len(value) > MAX_FIELD_CHARS:
        raise BibError(f"{path}:{field.start_line + 1}: field {name} is longer than "
                       f"{MAX_FIELD_CHARS} characters")
    return value


_LATEX = re.compile(r"[\\{}$~%&^_#]|--|``|''")


@functools.cache
def _converter() -> LatexNodes2Text:
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="text")


def _decode(path: Path, line: int, name: str, value: str, budget: list[int]) -> str:
    if _LATEX.search(value) is None:  # plain text (most abstracts): pylatexenc is ~3 ms/KB
        return " ".join(value.split())
    depth = deepest = 0
    for char in value:
        depth += (char == "{") - (char == "}")
        deepest = max(deepest, depth)
    if deepest > MAX_BRACE_DEPTH:
        raise BibError(f"{path}:{line}: field {name} nests braces {deepest} deep")
    # Each call costs as much as ~40 characters, and each level of braces ~6 more: 30,000
    # authors written '{A}' (or 10,000 titles nested 30 deep) took a minute, not seconds.
    budget[0] -= len(value) + _CALL_COST + _DEPTH_COST * deepest
    if budget[0] < 0:
        raise BibError(f"{path}:{line}: more than {MAX_LATEX_CHARS:,} characters of LaTeX "
                       "to decode in one file; split it")
    try:
        text = _converter().latex_to_text(value)
    except (RecursionError, ValueError) as exc:
        raise BibError(f"{path}:{line}: field {name}: LaTeX that cannot be read") from exc
    return " ".join(text.split())


def _authors(path: Path, line: int, value: str | None, budget: list[int]) -> list[str]:
    from bibtexparser.middlewares.names import (
        InvalidNameError,
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    if not value:
        return []
    authors = []
    for name in split_multiple_persons_names(" ".join(value.split())):
        if name.strip().lower() == "others":
            continue
        try:
            merged = parse_single_name_into_parts(name).merge_first_name_first
        except InvalidNameError as exc:
            raise BibError(f"{path}:{line}: author {name[:60]!a} cannot be read as "
                           "a name") from exc
        decoded = _decode(path, line, "author", merged, budget)
        if decoded:
            authors.append(decoded)
    return authors


def _published(year: str | None, month: str | None, date: str | None) -> dt.date | None:
    # OverflowError: month = {99999999999999999999} is too big for a C int.
    with contextlib.suppress(ValueError, OverflowError):
        if date and (found := _ISO_DATE.match(date.strip())):
            parts = [int(part) for part in found.groups() if part]
            return dt.date(*[*parts, 1, 1][:3])
        if year and year.strip().isdigit() and len(year.strip()) == 4:
            name = (month or "").strip().strip("{}").lower().rstrip(".")
            number = int(name) if name.isdigit() else _MONTHS.get(name, 1)
            return dt.date(int(year), number, 1)
    return None


def _entry(path: Path, entry: object, budget: list[int]) -> BibEntry:
    key: str = entry.key  # type: ignore[attr-defined]
    line: int = entry.start_line + 1  # type: ignore[attr-defined]
    eprint = _field(path, entry, "eprint")
    prefix = (_field(path, entry, "archiveprefix") or _field(path, entry, "eprinttype") or "")
    arxiv_id = None
    if eprint and prefix.strip().lower() == "arxiv":
        found = parse_arxiv(eprint.strip())
        if found is None:
            raise BibError(f"{path}:{line}: entry {key!a}: eprint {eprint[:60]!a} is not "
                           "an arXiv id")
        arxiv_id = str(found)
    doi_text = _field(path, entry, "doi")
    doi = None
    if doi_text and doi_text.strip():
        doi = normalise_doi(doi_text)
        if doi is None:
            raise BibError(f"{path}:{line}: entry {key!a}: doi {doi_text[:60]!a} is not "
                           "a DOI")
    title = _field(path, entry, "title")
    written = None
    if title and title.strip():
        abstract = _field(path, entry, "abstract")
        url = _field(path, entry, "url")
        try:
            written = Metadata(
                title=_decode(path, line, "title", title, budget),
                authors=_authors(path, line, _field(path, entry, "author"), budget),
                abstract=(_decode(path, line, "abstract", abstract, budget) if abstract
                          else None),
                url=" ".join(url.split()) or None if url else None,
                published=_published(_field(path, entry, "year"),
                                     _field(path, entry, "month"),
                                     _field(path, entry, "date")),
                doi=doi, arxiv_id=arxiv_id)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise BibError(f"{path}:{line}: entry {key!a}: {where}: {error['msg']}"
                           .replace("\n", " ")) from exc
    elif arxiv_id is None and doi is None:
        raise BibError(f"{path}:{line}: entry {key!a} has no title, eprint or doi; nothing "
                       "to make a paper of")
    return BibEntry(key=key, line=line, arxiv_id=arxiv_id, doi=doi, written=written)


def read(path: Path, publication: Path | None = None) -> list[BibEntry]:
    """The entries of the .bib file ``path``, in file order. ``publication`` is the root of
    the publication the import is for: a link inside it leading out of it is refused.
    Raises BibError (one line: file, line of the bad entry, what is wrong)."""
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

    text = read_named(path, publication, MAX_BIB_BYTES, BibError,
                      "split it, or export fewer entries")
    with _quiet():
        try:
            library = bibtexparser.parse_string(text)
        except RecursionError as exc:
            raise BibError(f"{path}: nested too deeply to read") from exc
    failed = sorted(library.failed_blocks, key=lambda block: block.start_line)
    if failed:
        block = failed[0]
        line = block.start_line + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            raise BibError(f"{path}:{line}: entry key {block.key!a} is used twice")
        reason = "a syntax error" if isinstance(block, ParsingFailedBlock) else "unreadable"
        raise BibError(f"{path}:{line}: the entry starting here has {reason}; fix it and "
                       "import again")
    entries = library.entries
    if len(entries) > MAX_ENTRIES:
        raise BibError(f"{path}: {len(entries)} entries, more than {MAX_ENTRIES} in one "
                       "import")
    budget = [MAX_LATEX_CHARS]  # what is left to decode, across the file's entries
    return [_entry(path, entry, budget) for entry in entries]
