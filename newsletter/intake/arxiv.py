"""Paper metadata from arXiv's export API: many ids in one request, politely and safely.

``ArxivClient().fetch(["2604.01234", "arXiv:2604.05678v2"])`` asks arXiv once
(``id_list=2604.01234,2604.05678v2``) and returns one ``ArxivRecord`` per id, in order.

Built on requests and defusedxml rather than the ``arxiv`` package, because that package
(4.0.2) sends its requests without a timeout, reads a body of any size into memory, retries
every failure the same way with a fixed delay and never looks at ``Retry-After``, takes an
empty first page as a valid answer, and parses with lxml's defaults. Here: a connect, read
and total timeout; a byte cap while reading; bounded retries on 429/5xx with backoff that
honours a sane ``Retry-After`` and refuses an absurd one at once; arXiv's occasional empty
page retried; and XML parsed by defusedxml with DTDs forbidden, so entity expansion
("billion laughs") and external entities are refused before they are expanded or fetched.

A withdrawn paper (its comment or abstract says it has been withdrawn) is refused: its latest
version has no content to summarise. The message names an earlier version to import instead.
"""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from newsletter.entries.identity import ArxivId, parse_arxiv
from newsletter.errors import NewsletterError
from newsletter.intake import http

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    import requests

ENDPOINT_VARIABLE = "NEWSLETTER_ARXIV_API"
DEFAULT_ENDPOINT = "https://export.arxiv.org/api/query"

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# How arXiv's withdrawal notices read: in the comment anywhere ("This paper has been withdrawn
# by the author"), in the abstract only at its start, so a study of withdrawn drugs is kept.
_WITHDRAWN_COMMENT = re.compile(
    r"\b(?:has been|have been|is|was|now) withdrawn\b|^withdrawn\b|\bwithdrawn by the"
    r" authors?\b", re.I)
_WITHDRAWN_ABSTRACT = re.compile(
    r"^(?:(?:this|the) (?:paper|article|manuscript|submission|preprint|work) (?:has been|is)"
    r" withdrawn|withdrawn\b)", re.I)


class ArxivError(NewsletterError):
    """arXiv could not give a paper's metadata; the message names the id."""


class ArxivNotFound(ArxivError):
    """arXiv answered, without the paper: the id does not exist (or not in that version)."""


class ArxivRefused(ArxivError):
    """arXiv refused the request (HTTP 400 with an ``Error`` entry: a malformed id)."""


class ArxivWithdrawn(ArxivError):
    """The paper (in the version fetched) has been withdrawn by its authors."""


class ArxivUnavailable(ArxivError):
    """No usable answer: no network, a timeout, an HTTP error, retries used up."""


class ArxivBadAnswer(ArxivError):
    """arXiv's answer could not be read: not Atom, malformed, hostile XML or too large."""


@dataclass(frozen=True)
class ArxivRecord:
    """One paper as arXiv describes it, normalised for an entry and for the cache."""

    arxiv_id: str  # with the version fetched: '1605.08386v1'
    title: str
    url: str  # canonical, without version: 'https://arxiv.org/abs/1605.08386'
    authors: tuple[str, ...]
    abstract: str
    published: date
    updated: date
    categories: tuple[str, ...]  # the primary category first
    comment: str | None
    doi: str | None
    fetched_from: str
    fetched_at: datetime

    def as_json(self) -> dict[str, object]:
        """The record as JSON values (dates in ISO 8601), for a file under ``sources/``."""
        return {
            "arxiv_id": self.arxiv_id, "title": self.title, "url": self.url,
            "authors": list(self.authors), "abstract": self.abstract,
            "published": self.published.isoformat(), "updated": self.updated.isoformat(),
            "categories": list(self.categories), "comment": self.comment, "doi": self.doi,
            "fetched_from": self.fetched_from,
            "fetched_at": self.fetched_at.isoformat(timespec="seconds"),
        }


def _endpoint_from_environment() -> str:
    return os.environ.get(ENDPOINT_VARIABLE) or DEFAULT_ENDPOINT


@dataclass
class ArxivClient:
    """Asks arXiv's API for papers. One client per command run: it keeps arXiv's rule of at
    most one request every ``min_interval`` seconds across all its requests."""

    endpoint: str = field(default_factory=_endpoint_from_environment)
    min_interval: float = 3.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0  # a server that drips bytes forever still ends
    retries: int = 3
    backoff: float = 3.0  # seconds before the first retry, doubled for each next one
    max_wait: float = 60.0  # a Retry-After longer than this fails at once instead
    # A valid query that comes back with no entries at all is asked once more: arXiv
    # sometimes answers an empty page. A missing id costs that one extra request.
    empty_retries: int = 1
    max_bytes: int = 8 * 1024 * 1024  # 100 entries are about 300 KB
    batch_size: int = 100  # arXiv's max_results per page
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = field(default=0, init=False)  # sent, retries included
    _last_request: float | None = field(default=None, init=False, repr=False)
    _session: requests.Session | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ArxivError(f"{ENDPOINT_VARIABLE} must be an http(s) URL, not "
                             f"{_one_line(http.without_credentials(self.endpoint))!r}")

    def fetch(self, ids: Iterable[ArxivId | str]) -> list[ArxivRecord]:
        """One record per id, in the order given; the first problem is raised (all missing
        ids named in one message)."""
        wanted = [_as_id(one) for one in ids]
        found = self.lookup(wanted)
        missing = [key for key, value in found.items() if isinstance(value, ArxivNotFound)]
        if missing:
            raise ArxivNotFound(f"arXiv has no paper {_names(missing)}")
        records: list[ArxivRecord] = []
        for one in wanted:
            value = found[one.versioned]
            if isinstance(value, ArxivError):
                raise value
            records.append(value)
        return records

    def lookup(self, ids: Iterable[ArxivId | str]) -> dict[str, ArxivRecord | ArxivError]:
        """Each requested id (as ``ArxivId.versioned``) with its record, or the error that is
        its own (not found, withdrawn). Errors of a whole request are raised."""
        wanted = list(dict.fromkeys(_as_id(one) for one in ids))
        results: dict[str, ArxivRecord | ArxivError] = {}
        for start in range(0, len(wanted), self.batch_size):
            results.update(self._batch(wanted[start:start + self.batch_size]))
        return results

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _batch(self, ids: Sequence[ArxivId]) -> dict[str, ArxivRecord | ArxivError]:
        names = [one.versioned for one in ids]
        query = urlencode({"search_query": "", "id_list": ",".join(names), "start": 0,
                           "max_results": len(ids)}, safe=",")
        url = f"{self.endpoint}?{query}"
        source = f"arXiv {_names(names)}"
        retries = http.Retries(source, self.retries, self.backoff, self.max_wait, self.sleep)
        empty = 0
        while True:
            answer = self._get(url, source, retries)
            if answer.status == 400:
                raise _refusal(answer.body, names)
            if answer.status != 200:
                raise ArxivUnavailable(f"{source}: HTTP {answer.status} from "
                                       f"{http.host(url)}")
            entries, total = _parse_feed(answer.body, names)
            _raise_error_entry(entries, names)
            if len(entries) > len(ids):
                # arXiv answers at most max_results: more is a hostile or broken answer,
                # whose entries would each be read and matched against every id asked.
                raise ArxivBadAnswer(f"{source}: {http.host(url)} answered {len(entries)} "
                                     f"entries for {len(ids)} ids asked")
            if not entries and total == 0 and empty < self.empty_retries:
                empty += 1
                continue  # the rate limit spaces the second try
            if len(entries) < min(total, len(ids)):
                self._retry(retries, "an empty or short page")
                continue
            return self._match(ids, entries, url)

    def _get(self, url: str, source: str, retries: http.Retries) -> http.Answer:
        if self._session is None:
            self._session = http.session(http.user_agent())
        try:
            return http.get(self._session, url, source=source, retries=retries,
                            max_bytes=self.max_bytes, connect_timeout=self.connect_timeout,
                            read_timeout=self.read_timeout, total_timeout=self.total_timeout,
                            clock=self.clock, each_try=self._spaced)
        except http.TooLarge as error:
            raise ArxivBadAnswer(str(error)) from None
        except http.Unavailable as error:
            raise ArxivUnavailable(str(error)) from None

    @contextmanager
    def _spaced(self) -> Iterator[None]:
        """arXiv's rule: at most one request every ``min_interval`` seconds, counted from
        the end of the one before."""
        if self._last_request is not None:
            remaining = self.min_interval - (self.clock() - self._last_request)
            if remaining > 0:
                self.sleep(remaining)
        self.requests += 1
        try:
            yield
        finally:
            self._last_request = self.clock()

    @staticmethod
    def _retry(retries: http.Retries, what: str) -> None:
        try:
            retries.wait(what)
        except http.Unavailable as error:
            raise ArxivUnavailable(str(error)) from None

    def _match(self, ids: Sequence[ArxivId], entries: list[Element],
               url: str) -> dict[str, ArxivRecord | ArxivError]:
        fetched_at = datetime.now(UTC)
        records = [_record(entry, url, fetched_at) for entry in entries]
        results: dict[str, ArxivRecord | ArxivError] = {}
        for one in ids:
            record = next((record for record in records
                           if _fits(one, parse_arxiv(record.arxiv_id))), None)
            if record is None:
                results[one.versioned] = ArxivNotFound(f"arXiv has no paper {one.versioned}")
            elif (reason := _withdrawn(record)) is not None:
                results[one.versioned] = ArxivWithdrawn(reason)
            else:
                results[one.versioned] = record
        return results


def _as_id(one: ArxivId | str) -> ArxivId:
    if isinstance(one, ArxivId):
        return one
    found = parse_arxiv(one)
    if found is None:
        raise ArxivRefused(f"{_one_line(one)!r} is not an arXiv id or link")
    return found


def _fits(wanted: ArxivId, got: ArxivId | None) -> bool:
    return (got is not None and got.base == wanted.base
            and wanted.version in (None, got.version))


def _parse_feed(body: bytes, names: list[str]) -> tuple[list[Element], int]:
    """The feed's entries and its ``opensearch:totalResults``."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        feed = fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise ArxivBadAnswer(f"arXiv {_names(names)}: the answer declares a DTD or entities "
                             "(refused, never expanded)") from None
    except ParseError as error:
        line = error.position[0] if error.position else "?"
        raise ArxivBadAnswer(f"arXiv {_names(names)}: the answer is not well-formed XML "
                             f"(line {line})") from None
    if feed.tag != f"{_ATOM}feed":
        raise ArxivBadAnswer(f"arXiv {_names(names)}: the answer is not an Atom feed")
    total_text = (feed.findtext(f"{_OPENSEARCH}totalResults") or "").strip()
    entries = feed.findall(f"{_ATOM}entry")
    total = int(total_text) if total_text.isascii() and total_text.isdigit() and \
        len(total_text) < 10 else len(entries)
    return entries, total


def _raise_error_entry(entries: list[Element], names: list[str]) -> None:
    for entry in entries:
        if "/api/errors" in (entry.findtext(f"{_ATOM}id") or ""):
            raise ArxivRefused(f"arXiv refused {_names(names)}: "
                               f"{_one_line(entry.findtext(f'{_ATOM}summary') or 'error')}")


def _refusal(body: bytes, names: list[str]) -> ArxivError:
    """HTTP 400: arXiv's own reason when its answer carries one."""
    try:
        entries, _ = _parse_feed(body, names)
        _raise_error_entry(entries, names)
    except ArxivRefused as error:
        return error
    except ArxivBadAnswer:
        pass
    return ArxivRefused(f"arXiv refused {_names(names)} (HTTP 400)")


def _record(entry: Element, url: str, fetched_at: datetime) -> ArxivRecord:
    entry_id = _text(entry, f"{_ATOM}id")
    found = parse_arxiv(entry_id)
    if found is None or found.version is None:
        raise ArxivBadAnswer(f"arXiv answered an entry with no versioned arXiv id "
                             f"({_one_line(entry_id) or 'none'})")
    name = found.versioned

    def required(tag: str, what: str) -> str:
        value = _text(entry, tag)
        if not value:
            raise ArxivBadAnswer(f"arXiv {name}: the answer has no {what}")
        return value

    authors = tuple(author for element in entry.findall(f"{_ATOM}author")
                    if (author := _text(element, f"{_ATOM}name")))
    if not authors:
        raise ArxivBadAnswer(f"arXiv {name}: the answer has no authors")
    primary = entry.find(f"{_ARXIV}primary_category")
    terms = [primary.get("term", "")] if primary is not None else []
    terms += [element.get("term", "") for element in entry.findall(f"{_ATOM}category")]
    return ArxivRecord(
        arxiv_id=name, title=required(f"{_ATOM}title", "title"), url=found.abs_url,
        authors=authors, abstract=required(f"{_ATOM}summary", "abstract"),
        published=_date(required(f"{_ATOM}published", "published date"), name),
        updated=_date(required(f"{_ATOM}updated", "updated date"), name),
        categories=tuple(dict.fromkeys(" ".join(term.split()) for term in terms if term.strip())),
        comment=_text(entry, f"{_ARXIV}comment") or None,
        doi=_text(entry, f"{_ARXIV}doi") or None,
        fetched_from=http.without_credentials(url), fetched_at=fetched_at)


def _text(element: Element, tag: str) -> str:
    """The element's text with arXiv's line wrapping undone (spacing collapsed)."""
    return " ".join((element.findtext(tag) or "").split())


def _date(text: str, name: str) -> date:
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise ArxivBadAnswer(f"arXiv {name}: {_one_line(text)!r} is not a date") from None


def _withdrawn(record: ArxivRecord) -> str | None:
    said = next((text for text, notice in ((record.comment, _WITHDRAWN_COMMENT),
                                           (record.abstract, _WITHDRAWN_ABSTRACT))
                 if text and notice.search(text[:300])), None)
    if said is None:
        return None
    found = parse_arxiv(record.arxiv_id)
    earlier = (f"; import an earlier version such as {found.base}v{found.version - 1}"
               if found and found.version and found.version > 1 else "")
    return f"arXiv {record.arxiv_id} has been withdrawn ({_one_line(said, 80)}){earlier}"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:3])
    return f"{shown} and {len(names) - 3} more" if len(names) > 3 else shown


def _one_line(text: str, limit: int = 120) -> str:
    """Text safe for a one-line message: no control or format characters, spacing
    collapsed, shortened."""
    visible = "".join(" " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char
                      for char in text[:limit * 4])
    collapsed = " ".join(visible.split())
    return collapsed if len(collapsed) <= limit else collapsed[:limit - 1] + "…"
