"""When two entries are the same paper: one identity, shared by every rule and command.

``duplicate-paper`` (within an issue), ``covered-before`` (across issues) and ``add-paper``
(refusing a paper already there) all compare papers by these keys, so they cannot disagree.
"""

from __future__ import annotations

import re
import unicodedata

_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf|html)/(?P<id>\d{4}\.\d{4,5})(?:v\d+)?", re.I)
_DOI = re.compile(r"(?:doi\.org/|doi:)(?P<doi>10\.\d{4,9}/\S+)", re.I)


def same_title_key(title: str) -> str:
    """Titles that read the same compare equal: Unicode NFC, case and spacing folded."""
    return " ".join(unicodedata.normalize("NFC", title).casefold().split())


def same_url_key(url: str) -> str:
    """URLs that differ only by a trailing slash are the same page."""
    return url.rstrip("/")


def paper_key(url: str | None, title: str) -> tuple[str, ...]:
    """Keys that identify a paper across issues: arXiv id (any version, abs or pdf), DOI
    (case-insensitive), normalised URL, normalised title."""
    keys = [f"title:{same_title_key(title)}"]
    if url:
        arxiv = _ARXIV.search(url)
        doi = _DOI.search(url)
        if arxiv:
            keys.append(f"arxiv:{arxiv.group('id')}")
        elif doi:
            keys.append(f"doi:{doi.group('doi').lower().rstrip('/')}")
        else:
            bare = re.sub(r"^https?://(www\.)?", "", url.strip()).rstrip("/")
            host, _, rest = bare.partition("/")
            keys.append(f"url:{host.lower()}/{rest}")
    return tuple(keys)
