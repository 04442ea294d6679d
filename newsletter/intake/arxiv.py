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

import math
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from newsletter import DISTRIBUTION, HOMEPAGE, __version__
from newsletter.entries.identity import ArxivId, parse_arxiv
from newsletter.errors import NewsletterError

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

    import requests

ENDPOINT_VARIABLE = "NEWSLETTER_ARXIV_API"
DEFAULT_ENDPOINT = "https://export.arxiv.org/api/query"

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
# Worth another try: arXiv's rate limiting (429) and its overloaded or restarting servers.
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
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
    _last_request: float | None = field(default=None, init=False, repr=False)
    _session: requests.Session | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ArxivError(f"{ENDPOINT_VARIABLE} must be an http(s) URL, not "
                             f"{_one_line(self.endpoint)!r}")

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
        retries = empty = 0
        while True:
            status, headers, body = self._get(url, names)
            if status in _RETRY_STATUS:
                retries = self._wait_to_retry(retries, names, f"HTTP {status}", headers)
                continue
            if status == 400:
                raise _refusal(body, names)
            if status != 200:
                raise ArxivUnavailable(f"arXiv {_names(names)}: HTTP {status} from "
                                       f"{_host(url)}")
            entries, total = _parse_feed(body, names)
            _raise_error_entry(entries, names)
            if not entries and total == 0 and empty < self.empty_retries:
                empty += 1
                continue  # the rate limit spaces the second try
            if len(entries) < min(total, len(ids)):
                retries = self._wait_to_retry(retries, names, "an empty or short page", {})
                continue
            return self._match(ids, entries, url)

    def _get(self, url: str, names: list[str]) -> tuple[int, dict[str, str], bytes]:
        import requests  # lazily: `newsletter --help` never pays for it

        if self._session is None:
            self._session = requests.Session()
            self._session.headers["User-Agent"] = (
                f"{DISTRIBUTION}/{__version__} (+{HOMEPAGE})")
        self._keep_interval()
        started = self.clock()
        try:
            with self._session.get(url, stream=True, allow_redirects=False,
                                   timeout=(self.connect_timeout, self.read_timeout)) as reply:
                length = reply.headers.get("Content-Length", "")
                if length.isascii() and length.isdigit() and int(length) > self.max_bytes:
                    raise self._too_large(names)
                chunks: list[bytes] = []
                size = 0
                for chunk in reply.iter_content(64 * 1024):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise self._too_large(names)
                    if self.clock() - started > self.total_timeout:
                        raise requests.Timeout
                    chunks.append(chunk)
                return reply.status_code, dict(reply.headers), b"".join(chunks)
        except requests.Timeout:
            raise ArxivUnavailable(f"arXiv {_names(names)}: no answer from {_host(url)} "
                                   f"within {self.read_timeout:g} s") from None
        except requests.RequestException as error:
            raise ArxivUnavailable(f"arXiv {_names(names)}: cannot reach {_host(url)} "
                                   f"({_reason(error)})") from None
        finally:
            self._last_request = self.clock()

    def _keep_interval(self) -> None:
        if self._last_request is not None:
            remaining = self.min_interval - (self.clock() - self._last_request)
            if remaining > 0:
                self.sleep(remaining)

    def _wait_to_retry(self, retries: int, names: list[str], what: str,
                       headers: dict[str, str]) -> int:
        """Waits before the next try and returns the count of retries so far; raises when
        they are used up or arXiv asks for a wait longer than ``max_wait``."""
        if retries >= self.retries:
            raise ArxivUnavailable(f"arXiv {_names(names)}: {what} after {retries + 1} tries; "
                                   "try again later")
        asked = _retry_after(headers.get("Retry-After"))
        if asked is not None and asked > self.max_wait:
            shown = f"{asked:.0f} s" if math.isfinite(asked) else "forever"
            raise ArxivUnavailable(f"arXiv {_names(names)}: {what}, asked to wait {shown} "
                                   f"(more than {self.max_wait:g} s); try again later")
        delay = asked if asked is not None else self.backoff * 2 ** retries
        if delay > 0:
            self.sleep(min(delay, self.max_wait))
        return retries + 1

    def _too_large(self, names: list[str]) -> ArxivBadAnswer:
        return ArxivBadAnswer(f"arXiv {_names(names)}: the answer is larger than "
                              f"{self.max_bytes} bytes; refused")

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
        fetched_from=url, fetched_at=fetched_at)


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


def _retry_after(value: str | None) -> float | None:
    """Seconds asked by ``Retry-After`` (delta-seconds or an HTTP date); None when absent
    or unreadable; infinity for a number too large to mean anything."""
    if not value or len(value) > 64:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return max(seconds, 0.0)


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:3])
    return f"{shown} and {len(names) - 3} more" if len(names) > 3 else shown


def _host(url: str) -> str:
    return urlsplit(url).netloc


def _reason(error: Exception) -> str:
    """A short cause from requests' nested exceptions ('Connection refused')."""
    text = str(error)
    for known in ("Connection refused", "Name or service not known", "Network is unreachable",
                  "Temporary failure in name resolution", "Connection reset by peer",
                  "Remote end closed connection"):
        if known in text:
            return known
    return type(error).__name__


def _one_line(text: str, limit: int = 120) -> str:
    """Text safe for a one-line message: no control or format characters, spacing
    collapsed, shortened."""
    visible = "".join(" " if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") else char
                      for char in text[:limit * 4])
    collapsed = " ".join(visible.split())
    return collapsed if len(collapsed) <= limit else collapsed[:limit - 1] + "…"
