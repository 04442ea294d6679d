"""When two entries are the same paper: one identity, shared by every rule and command.

``duplicate-paper`` (within an issue), ``covered-before`` (across issues) and ``add-paper``
(refusing a paper already there) all compare papers by these keys, so they cannot disagree.

A paper is the same when its title reads the same (``same_text``: Unicode NFKC, case folded,
invisible format characters dropped, spacing collapsed), or when its link names the same
work (``link_key``): the arXiv id without its version in every URL form arXiv and its
mirrors use, else the DOI (case-insensitive), else the URL without scheme, ``www.``,
fragment and trailing slash.
"""

from __future__ import annotations

import re
import unicodedata

# New-style ids (2501.00663, 0704.0001) and old-style ones (hep-th/9901001, math.GT/0309136).
_ARXIV_ID = r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
_ARXIV_LINK = re.compile(
    r"^(?:(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)"
    r"|(?:www\.)?huggingface\.co/papers"
    r"|(?:www\.)?alphaxiv\.org/(?:abs|overview))"
    rf"/{_ARXIV_ID}(?:\.pdf)?/?$", re.I)
_ARXIV_TEXT = re.compile(rf"^arxiv:{_ARXIV_ID}$", re.I)
_DOI_LINK = re.compile(r"^(?:(?:dx\.)?doi\.org/|doi:)(?P<doi>10\.\d{4,9}/\S+)$", re.I)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def same_text(text: str) -> str:
    """Text that reads the same compares equal: 'Café' composed or not, fullwidth letters,
    zero-width spaces and soft hyphens, case and spacing make no difference."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    visible = "".join(char for char in folded if unicodedata.category(char) != "Cf")
    return " ".join(visible.split())


def arxiv_id(link: str) -> str | None:
    """The arXiv id (without version) a link or ``arXiv:`` reference names, if any.
    Old-style archive names keep their case (math.GT is not math.gt)."""
    path = _bare(link).split("?", 1)[0]  # '?context=cs' does not change the paper
    match = _ARXIV_LINK.match(path) or _ARXIV_TEXT.match(link.strip())
    if match is None:
        return None
    found = match.group("id")
    archive, slash, number = found.partition("/")
    return f"{archive.lower()}{slash}{number}" if slash and "." not in archive else found


def doi(link: str) -> str | None:
    match = _DOI_LINK.match(_bare(link)) or _DOI_LINK.match(link.strip())
    return match.group("doi").lower().rstrip("/") if match else None


def link_key(url: str) -> str:
    """What a paper's link identifies: ``arxiv:ID``, ``doi:DOI`` or ``url:host/path``."""
    found = arxiv_id(url)
    if found:
        return f"arxiv:{found}"
    found = doi(url)
    if found:
        return f"doi:{found}"
    host, _, rest = _bare(url).partition("/")
    return f"url:{host.lower()}/{rest}".rstrip("/")


def paper_key(url: str | None, title: str) -> tuple[str, ...]:
    """Every key that identifies a paper: its title, and its link when it has one."""
    keys = [f"title:{same_text(title)}"]
    if url:
        keys.append(link_key(url))
    return tuple(keys)


def _bare(link: str) -> str:
    """The link without its scheme, a leading ``www.`` and its fragment."""
    text = _SCHEME.sub("", link.strip())
    text = text.split("#", 1)[0]
    if text.lower().startswith("www."):
        text = text[4:]
    return text
