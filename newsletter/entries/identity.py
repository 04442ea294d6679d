"""When two entries are the same paper: one identity, shared by every rule and command.

``duplicate-paper`` (within an issue), ``covered-before`` (across issues) and ``add-paper``
(refusing a paper already there) all compare papers by these keys, so they cannot disagree.

A paper is the same when its title reads the same (``same_text``: Unicode NFKC, case folded,
invisible format characters dropped, spacing collapsed), or when its link names the same
work (``link_key``): the arXiv id without its version in every URL form arXiv and its
mirrors use (``parse_arxiv``, which is also what ``add-paper --arxiv`` and ``import``
accept), else the DOI (case-insensitive), else the URL without scheme, ``www.``, fragment
and trailing slash.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# New-style ids (2501.00663, 0704.0001) and old-style ones (hep-th/9901001, math.GT/0309136).
# ASCII digits only (re.ASCII): '٢٥٠١.٠٠٦٦٣' is not an id arXiv knows. A version has at most
# three digits: no paper has had a thousand, and 'v999999999999' is noise, not a version.
_ARXIV_ID = (r"(?P<id>[0-9]{4}\.[0-9]{4,5}|[a-z][a-z-]{0,19}(?:\.[a-z]{2})?/[0-9]{7})"
             r"(?:v(?P<version>[1-9][0-9]{0,2}))?")
_ARXIV_LINK = re.compile(
    r"^(?:(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)"
    r"|(?:www\.)?huggingface\.co/papers"
    r"|(?:www\.)?alphaxiv\.org/(?:abs|overview))"
    rf"/{_ARXIV_ID}(?:\.pdf)?/?\Z", re.I | re.ASCII)
_ARXIV_TEXT = re.compile(rf"^(?:arxiv:)?{_ARXIV_ID}\Z", re.I | re.ASCII)
# Longer than any link to a paper: refused before any pattern looks at it.
_LONGEST_LINK = 2000
_DOI_LINK = re.compile(r"^(?:(?:dx\.)?doi\.org/|doi:)(?P<doi>10\.\d{4,9}/\S+)$", re.I)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


def same_text(text: str) -> str:
    """Text that reads the same compares equal: 'Café' composed or not, fullwidth letters,
    zero-width spaces and soft hyphens, case and spacing make no difference."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # No ASCII character is a format character (Cf): most titles skip the walk.
    visible = folded if folded.isascii() else "".join(
        char for char in folded if unicodedata.category(char) != "Cf")
    return " ".join(visible.split())


@dataclass(frozen=True)
class ArxivId:
    """An arXiv id: ``base`` ('2604.01234', 'hep-th/9901001') and ``version`` (None: latest)."""

    base: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        """The id as arXiv's API takes it: '2604.01234v2', or the base for the latest."""
        return f"{self.base}v{self.version}" if self.version else self.base

    @property
    def abs_url(self) -> str:
        """The paper's canonical page, without version: what an entry's ``url`` holds."""
        return f"https://arxiv.org/abs/{self.base}"

    def __str__(self) -> str:
        return self.versioned


def parse_arxiv(text: str) -> ArxivId | None:
    """The arXiv id that an id, an ``arXiv:`` reference or a link (arxiv.org's abs, pdf and
    html pages, export.arxiv.org, Hugging Face papers, alphaXiv) names, else None.
    Old-style archive names are lower case, their subject class upper case (math.GT)."""
    if len(text) > _LONGEST_LINK:
        return None
    path = _bare(text).split("?", 1)[0]  # '?context=cs' does not change the paper
    match = _ARXIV_LINK.match(path) or _ARXIV_TEXT.match(text.strip())
    if match is None:
        return None
    found = match.group("id")
    archive, slash, number = found.partition("/")
    if slash:
        name, dot, subject = archive.partition(".")
        found = f"{name.lower()}{dot}{subject.upper()}/{number}"
    version = match.group("version")
    return ArxivId(found, int(version) if version else None)


def arxiv_id(link: str) -> str | None:
    """The arXiv id (without version) a link or ``arXiv:`` reference names, if any."""
    found = parse_arxiv(link)
    return found.base if found else None


def doi(link: str) -> str | None:
    # 'doi:...' as written first: '#' is part of some DOIs (10.1002/(sici)...;2-#), and only
    # in a link is it a fragment, which _bare drops.
    match = _DOI_LINK.match(link.strip()) or _DOI_LINK.match(_bare(link))
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


def paper_key(url: str | None, title: str, arxiv: str | None = None,
              doi_name: str | None = None) -> tuple[str, ...]:
    """Every key that identifies a paper: its title, its link when it has one, and the
    ``arxiv_id`` and ``doi`` an import wrote (a paper imported by DOI whose url is a
    publisher's page is still the paper another issue links on doi.org)."""
    keys = [f"title:{same_text(title)}"]
    keys.extend(link_keys(url, arxiv, doi_name))
    return tuple(keys)


def link_keys(url: str | None, arxiv: str | None = None,
              doi_name: str | None = None) -> tuple[str, ...]:
    """The keys of a paper's link, ``arxiv_id`` and ``doi``, each once, the url's first."""
    keys = [link_key(url)] if url else []
    if arxiv and (found := arxiv_id(arxiv)):
        keys.append(f"arxiv:{found}")
    if doi_name:
        keys.append(f"doi:{doi_name.lower()}")
    return tuple(dict.fromkeys(keys))


def _bare(link: str) -> str:
    """The link without its scheme, a leading ``www.`` and its fragment."""
    text = _SCHEME.sub("", link.strip())
    text = text.split("#", 1)[0]
    if text.lower().startswith("www."):
        text = text[4:]
    return text
