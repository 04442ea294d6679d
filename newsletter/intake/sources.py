"""The committed cache of fetched metadata: ``sources/<kind>/<name>.json`` in a publication.

Every answer from arXiv, Crossref or doi.org is kept, normalised, as one small JSON file
(sorted keys, two-space indent, a trailing newline) so committing it is clean and a second
import, or CI, never needs the network.

File names. An arXiv id is kept with its version: ``sources/arxiv/2604.01234v2.json``. An
old-style id's ``/`` becomes ``_`` (``hep-th/9901001v1`` -> ``hep-th_9901001v1.json``):
archive names hold only letters, ``-`` and ``.``, so the name maps back to one id. A DOI is
lower-cased and percent-encoded with nothing left safe but letters, digits and ``._-~``
(``10.1000/x(1)`` -> ``10.1000%2Fx%281%29.json``); it starts with ``10.``, so never with a
dot. Keys that are not an arXiv id or a DOI, hold NUL or control characters, or would make a
name longer than 200 bytes are refused before any path is built.

A bare arXiv id (no version) is answered by the newest version cached: the folder is listed
and the highest ``vN`` (compared as numbers, so v10 beats v9) among ``<id>v<N>.json`` taken.

The cache is written by whoever can open a pull request, so a file found there is checked
like any other input: at most 256 KiB, strict JSON of exactly the record below (no unknown
keys, right types, no control characters, bounded lengths), and naming the paper its file
name says. A file that fails is an error (one line naming it), not a miss: a miss would
quietly fetch again and overwrite the evidence, or, offline, be reported as a miss of a
file that is plainly there. ``sources``, its kind folders and the files must not be
symbolic links (nor ``sources`` a file): a link could make an import read, or write,
outside the publication.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from newsletter.entries.files import Refused, read_regular
from newsletter.entries.identity import ArxivId, parse_arxiv
from newsletter.errors import NewsletterError

Kind = Literal["arxiv", "doi"]
KINDS: tuple[str, ...] = ("arxiv", "doi")
SOURCES = "sources"
MAX_CACHE_BYTES = 256 * 1024
MAX_NAME_BYTES = 200

# A DOI as newsletter.intake.doi normalises it: lower case, no spaces or control characters.
DOI_KEY = re.compile(r"^10\.\d{4,9}/[^\s\x00-\x1f\x7f-\x9f]{1,300}$")


def arxiv_key(key: str) -> ArxivId | None:
    """``key`` as an arXiv id if it is one written as the cache writes it ('2604.01234v2',
    'hep-th/9901001'): the one grammar of newsletter.entries.identity, and nothing it
    would have to rewrite (a link, 'arXiv:', other case)."""
    found = parse_arxiv(key)
    return found if found is not None and str(found) == key else None


class CacheError(NewsletterError):
    """A cache file, folder or key that cannot be used; the message names it."""


def _no_controls(text: str) -> str:
    # Tabs and newlines too: every text here is whitespace-collapsed before it is kept.
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise ValueError("contains a control character")
    return text


_NoControls = AfterValidator(_no_controls)
# Texts of a record: bounded, one line (no control characters at all).
Line = Annotated[str, StringConstraints(min_length=1, max_length=300), _NoControls]
Title = Annotated[str, StringConstraints(min_length=1, max_length=1000), _NoControls]
Link = Annotated[str, StringConstraints(min_length=1, max_length=2000), _NoControls]
Prose = Annotated[str, StringConstraints(max_length=20000), _NoControls]
Note = Annotated[str, StringConstraints(max_length=2000), _NoControls]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=320), _NoControls]
Category = Annotated[str, StringConstraints(min_length=1, max_length=40), _NoControls]


class Metadata(BaseModel):
    """What is known about a paper: fetched, or taken as a .bib entry wrote it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    title: Title
    url: Link | None = None
    authors: Annotated[list[Line], Field(max_length=1000)] = []
    abstract: Prose | None = None
    published: dt.date | None = None
    doi: Identifier | None = None
    arxiv_id: Identifier | None = None


class Record(Metadata):
    """A fetched answer as the cache keeps it: the metadata, and when and where from.
    ``updated``, ``categories`` and ``comment`` are arXiv's (newsletter.intake.arxiv's
    ``ArxivRecord.as_json`` has them); a DOI's record leaves them empty."""

    updated: dt.date | None = None
    categories: Annotated[list[Category], Field(max_length=50)] = []
    comment: Note | None = None
    fetched_from: Link
    fetched_at: dt.datetime


def safe_name(kind: str, key: str) -> str:
    """The file name (without ``.json``) of ``key``; CacheError for a key that is not one."""
    if kind not in KINDS:
        raise CacheError(f"{kind!r}: not a kind of source (arxiv or doi)")
    shown = ascii(key[:80])
    if kind == "arxiv":
        if arxiv_key(key) is None:
            raise CacheError(f"arXiv id {shown}: not an arXiv id; not a cache key")
        name = key.replace("/", "_")
    else:
        if DOI_KEY.match(key) is None or key != key.lower():
            raise CacheError(f"DOI {shown}: not a normalised DOI; not a cache key")
        name = quote(key, safe="")
    if len(name.encode()) > MAX_NAME_BYTES:
        raise CacheError(f"{kind} key {shown}...: too long for a cache file name")
    return name


def _folder(root: Path, kind: str, *, create: bool) -> Path | None:
    """``root/sources/kind``, refusing links and files where folders should be; None when
    absent (and not ``create``)."""
    folder = root
    for part in (SOURCES, kind):
        folder = folder / part
        try:
            status = os.lstat(folder)
        except FileNotFoundError:
            if not create:
                return None
            try:
                folder.mkdir()
            except FileExistsError:
                pass  # made meanwhile: checked below
            except OSError as exc:
                raise CacheError(f"{folder}: cannot create the folder: "
                                 f"{exc.strerror or exc}") from exc
            status = os.lstat(folder)
        except OSError as exc:
            raise CacheError(f"{folder}: cannot read it: {exc.strerror or exc}") from exc
        if stat.S_ISLNK(status.st_mode):
            raise CacheError(f"{folder}: is a symbolic link; the cache must be a folder of "
                             "the publication itself")
        if not stat.S_ISDIR(status.st_mode):
            raise CacheError(f"{folder}: is not a folder; the cache of fetched papers "
                             "lives there")
    return folder


def _read(path: Path) -> bytes | None:
    """The bytes of the cache file ``path`` (None if absent), refusing links, what is not a
    regular file, and files over the size cap."""
    try:
        return read_regular(path, MAX_CACHE_BYTES, follow_links=False)
    except Refused as refused:
        raise CacheError(f"{path}: " + {
            "link": "is a symbolic link; cache files must be files of the publication "
                    "itself",
            "not-regular": "is not a regular file",
            "too-large": f"larger than {MAX_CACHE_BYTES // 1024} KiB; not a cache file "
                         "this tool wrote",
        }.get(refused.reason, f"cannot read it: {refused.detail}")) from refused


def _parse(path: Path, data: bytes, kind: str, key: str) -> Record:
    try:
        record = Record.model_validate_json(data, strict=True)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the file"
        raise CacheError(f"{path}: {where}: {error['msg']}; not a cache file this tool "
                         "wrote".replace("\n", " ")) from exc
    named = record.arxiv_id if kind == "arxiv" else record.doi
    if named != key:
        raise CacheError(f"{path}: names {kind} {named!a}, not the {key!a} its "
                         "file name says")
    return record


def _newest_version(folder: Path, base: str) -> str | None:
    """The newest ``<base>vN`` cached in ``folder`` (numerically), if any."""
    stem = base.replace("/", "_")
    versions = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name.removesuffix(".json")
            # Only a name the cache itself would write: '2604.01234v1000.json', committed
            # by hand, is no version of anything and must not break the lookup.
            if name != entry.name and name.startswith(f"{stem}v"):
                found = arxiv_key(name.replace("_", "/", 1) if "/" in base else name)
                if found is not None and found.base == base and found.version:
                    versions.append(found.version)
    return f"{base}v{max(versions)}" if versions else None


def lookup(root: Path, kind: str, key: str) -> Record | None:
    """The cached record of ``key`` in the publication at ``root``, or None on a miss.
    A bare arXiv id finds the newest version cached."""
    safe_name(kind, key)  # refuse a bad key before touching the disk
    folder = _folder(root, kind, create=False)
    if folder is None:
        return None
    if kind == "arxiv" and arxiv_key(key).version is None:  # type: ignore[union-attr]
        newest = _newest_version(folder, key)
        if newest is None:
            return None
        key = newest
    path = folder / f"{safe_name(kind, key)}.json"
    data = _read(path)
    return None if data is None else _parse(path, data, kind, key)


def dumps(record: Record) -> str:
    """The cache file's text: deterministic, so the same answer commits as no change."""
    return json.dumps(record.model_dump(mode="json"), sort_keys=True, indent=2,
                      ensure_ascii=False) + "\n"


def store(root: Path, kind: str, key: str, record: Record | Mapping[str, object]) -> Path:
    """Keep ``record`` as the cache file of ``key`` (an arXiv id with its version, or a
    DOI); returns its path. Written atomically: a reader sees the old file or the new.
    A mapping (such as ``ArxivRecord.as_json()``) is checked as a cache file read back
    would be, so nothing is written that ``lookup`` would refuse."""
    from newsletter.write.atomic import write_atomic

    name = safe_name(kind, key)
    if not isinstance(record, Record):
        try:
            record = Record.model_validate_json(json.dumps(dict(record), default=str),
                                                strict=True)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"]) or "the record"
            raise CacheError(f"{kind} {key}: {where}: {error['msg']}; not storing it"
                             .replace("\n", " ")) from exc
    if kind == "arxiv" and arxiv_key(key).version is None:  # type: ignore[union-attr]
        raise CacheError(f"arXiv id {key}: stored with the version that was fetched")
    named = record.arxiv_id if kind == "arxiv" else record.doi
    if named != key:
        raise CacheError(f"{kind} {key}: the record names {named!a}; not storing it "
                         "under another paper's name")
    folder = _folder(root, kind, create=True)
    assert folder is not None
    path = folder / f"{name}.json"
    if os.path.islink(path):
        raise CacheError(f"{path}: is a symbolic link; not writing through it")
    write_atomic(path, dumps(record))
    return path
