"""A paper's metadata from its DOI: Crossref's REST API, else doi.org content negotiation.

Crossref holds most journal and conference DOIs; ``/works/{doi}`` is asked in its polite
pool (a ``mailto`` parameter and a User-Agent naming a contact address). DOIs it does not
hold answer 404 there (arXiv's ``10.48550/arXiv.*`` are DataCite's): those are asked of
doi.org, which redirects to whichever registry holds the DOI and answers CSL-JSON. Both
answers are normalised into one ``Record``.

HTTP is ``requests`` (already installed with ``arxiv``): it streams, so the body can be cut
at a byte cap, and its status and headers are ours to read, so 429/503 ``Retry-After`` is
obeyed within a bounded wait. ``habanero`` wraps the same requests calls but raises on
every non-200 without exposing ``Retry-After``, reads whole bodies, and has no content
negotiation fallback of the kind needed here.
"""

from __future__ import annotations

import datetime as dt
import html.parser
import json
import os
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from pydantic import BaseModel, ConfigDict, ValidationError

from newsletter.entries import identity
from newsletter.entries.models import CONTACT
from newsletter.errors import NewsletterError
from newsletter.intake import http
from newsletter.intake.sources import DOI_KEY, Record

CROSSREF_API = "https://api.crossref.org"
DOI_RESOLVER = "https://doi.org"
CSL_JSON = "application/vnd.citationstyles.csl+json"
MAX_BODY_BYTES = 2 * 1024 * 1024
TIMEOUT_SECONDS = 20.0
ATTEMPTS = 3  # per endpoint, for 429/503 and resets
MAX_WAIT_SECONDS = 60.0  # a Retry-After longer than this is reported, not slept through
_CONTACT = re.compile(CONTACT)


class DoiError(NewsletterError):
    """A DOI that could not be read or fetched; the message names it."""


def normalise(text: str) -> str | None:
    """The DOI ``text`` names, lower-cased (DOIs are case-insensitive), or None.

    Takes ``10.1234/abc``, ``doi:10.1234/abc``, ``https://doi.org/10.1234/abc``,
    ``http://dx.doi.org/...``, percent-encoded forms; the parsing is
    newsletter.entries.identity's, which compares papers by the same key."""
    text = text.strip()
    if len(text) > 2000:
        return None
    found = None
    # Decoded after it is found in a link (so '%23' is a DOI's '#', not a fragment), or
    # before, when even the '/' after the prefix is encoded (10.1145%2F3712345).
    for candidate in (text, unquote(text)):
        found = identity.doi(candidate) or identity.doi(f"doi:{candidate}")
        if found is not None:
            found = unquote(found).lower()
            break
    if found is None or DOI_KEY.match(found) is None:
        return None
    return found


def _path(doi: str, safe: str) -> str:
    """``doi`` as a URL path: a segment that is '.' or '..' ('10.1234/../../admin') is
    encoded too, or the URL would lead out of the resolver's path (clients and browsers
    remove dot segments)."""
    return "/".join(segment.replace(".", "%2E") if segment in (".", "..") else
                    quote(segment, safe=safe) for segment in doi.split("/"))


def doi_url(doi: str) -> str:
    """The canonical link of a DOI (characters a URL cannot hold percent-encoded)."""
    return f"{DOI_RESOLVER}/{_path(doi, ':;()[]._-~')}"


class _Name(BaseModel):
    model_config = ConfigDict(extra="ignore")
    given: str | None = None
    family: str | None = None
    name: str | None = None  # Crossref: an organisation as author
    literal: str | None = None  # CSL-JSON: a name not split into parts


class _Date(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=lambda name: name.replace(
        "_", "-"))
    date_parts: list[list[int | str | None]] | None = None


class _Work(BaseModel):
    """The fields read of a Crossref work or a CSL-JSON item (the two share most names)."""

    model_config = ConfigDict(extra="ignore", alias_generator=lambda name: {
        "doi": "DOI", "url": "URL"}.get(name, name.replace("_", "-")), populate_by_name=True)
    doi: str | None = None
    title: list[str] | str | None = None
    author: list[_Name] = []
    abstract: str | None = None
    published: _Date | None = None
    issued: _Date | None = None
    published_print: _Date | None = None
    published_online: _Date | None = None


class _Crossref(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=lambda name: name.replace(
        "_", "-"))
    status: str
    message_type: str
    message: _Work


class _JatsText(html.parser.HTMLParser):
    """The text of a JATS (or HTML) abstract: tags dropped, entities decoded, blocks kept
    apart by a space, and the ``<jats:title>Abstract</jats:title>`` heading left out."""

    _BLOCKS = frozenset({"p", "sec", "title", "list", "list-item", "disp-quote", "br", "div"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._in_title = 0

    @staticmethod
    def _local(tag: str) -> str:
        return tag.rpartition(":")[2]

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        local = self._local(tag)
        if local == "title":
            self._in_title += 1
        if local in self._BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        local = self._local(tag)
        if local == "title":
            self._in_title = max(0, self._in_title - 1)
        if local in self._BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._in_title:
            self.parts.append(data)


def plain_text(markup: str) -> str:
    """``markup`` (JATS, HTML or plain) as one line of text."""
    parser = _JatsText()
    parser.feed(markup)
    parser.close()
    return " ".join("".join(parser.parts).split())


def _date(value: _Date | None) -> dt.date | None:
    """A date from CSL/Crossref ``date-parts``: a year alone is 1 January, a year and month
    the first of the month; parts that are missing or impossible give no date."""
    if value is None or not value.date_parts or not value.date_parts[0]:
        return None
    parts = value.date_parts[0]
    try:
        numbers = [int(part) for part in parts[:3] if part is not None]  # type: ignore[arg-type]
        if not numbers:
            return None
        year, month, day = ([*numbers, 1, 1])[:3]
        return dt.date(year, month, day)
    except (TypeError, ValueError, OverflowError):  # [[10**20]] is too big for a C int
        return None


def _author(name: _Name) -> str | None:
    joined = " ".join(part.strip() for part in (name.given, name.family) if part and
                      part.strip())
    text = joined or (name.literal or name.name or "").strip()
    return " ".join(text.split()) or None


def _record(doi: str, work: _Work, fetched_from: str) -> Record:
    if work.doi is not None and work.doi.strip().lower() != doi:
        # Kept under the DOI asked, another paper's record would be that DOI's from then on.
        raise DoiError(f"doi:{doi}: {http.host(fetched_from)} answered the record of "
                       f"{work.doi[:80]!a}, not of the DOI asked; not keeping it")
    title = work.title[0] if isinstance(work.title, list) and work.title else work.title
    if not isinstance(title, str) or not plain_text(title):
        raise DoiError(f"doi:{doi}: the answer from {http.host(fetched_from)} has no title")
    published = (_date(work.published) or _date(work.issued) or _date(work.published_print)
                 or _date(work.published_online))
    abstract = plain_text(work.abstract) if work.abstract else None
    authors = [found for found in map(_author, work.author) if found]
    try:
        return Record(title=plain_text(title), url=doi_url(doi), authors=authors,
                      abstract=abstract or None, published=published, doi=doi,
                      fetched_from=http.without_credentials(fetched_from),
                      fetched_at=dt.datetime.now(dt.UTC).replace(microsecond=0))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise DoiError(f"doi:{doi}: the answer from {http.host(fetched_from)} has a {where} "
                       f"that cannot be kept: {error['msg']}".replace("\n", " ")) from exc


def _get(doi: str, url: str, *, params: dict[str, str], headers: dict[str, str],
         sleep: Callable[[float], None], timeout: float) -> tuple[int, bytes]:
    """GET ``url``: the status and body (cut at MAX_BODY_BYTES), retrying 429/503 as asked
    within bounds. 404 is returned for the caller to decide; other errors raise DoiError."""
    source = f"doi:{doi}"
    # doi.org sends one redirect, to the registry holding the DOI.
    with http.session(headers["User-Agent"], redirects=5) as session:
        try:
            answer = http.get(session, url, source=source, params=params, headers=headers,
                              retries=http.Retries(source, ATTEMPTS - 1, 2.0,
                                                   MAX_WAIT_SECONDS, sleep),
                              retry_status={429, 503}, max_bytes=MAX_BODY_BYTES,
                              connect_timeout=timeout, read_timeout=timeout,
                              # requests' timeout is per read: the whole body has a deadline.
                              total_timeout=3 * timeout)
        except http.HttpError as exc:
            raise DoiError(str(exc)) from exc
    if answer.status == 404:
        return answer.status, b""
    if answer.status >= 400:
        # Not the reason phrase: it is the server's text, on the user's terminal.
        raise DoiError(f"{source}: {http.host(url)} answered HTTP {answer.status}")
    return answer.status, answer.body


def _json(doi: str, host: str, body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    # ValueError: also a number of more than 4300 digits, which Python refuses to convert.
    except (ValueError, RecursionError) as exc:
        raise DoiError(f"doi:{doi}: {host} answered malformed JSON") from exc


def _shape_error(doi: str, host: str, what: str, exc: ValidationError) -> DoiError:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "the answer"
    return DoiError(f"doi:{doi}: {host} answered JSON that is not {what} ({where}: "
                    f"{error['msg']})".replace("\n", " "))


def _endpoint(variable: str, default: str) -> str:
    """The endpoint ``variable`` names (an http(s) URL), else ``default``."""
    from urllib.parse import urlsplit

    value = (os.environ.get(variable) or default).rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DoiError(f"{variable} must be an http(s) URL, not "
                       f"{http.without_credentials(value)[:80]!a}")
    return value


def fetch(doi: str, *, contact: str | None = None, sleep: Callable[[float], None] = time.sleep,
          timeout: float = TIMEOUT_SECONDS) -> Record:
    """The record of the normalised ``doi``: Crossref first, doi.org if Crossref has none.

    ``contact`` is the publication's contact address (else ``NEWSLETTER_CONTACT``), sent as
    Crossref asks of polite clients. Endpoints come from ``NEWSLETTER_CROSSREF_API`` and
    ``NEWSLETTER_DOI_RESOLVER``. Every failure is a DoiError naming the DOI."""
    if DOI_KEY.match(doi) is None:
        raise DoiError(f"{doi[:80]!a}: not a DOI (10.NNNN/...)")
    contact = contact or os.environ.get("NEWSLETTER_CONTACT") or None
    # fullmatch: '$' would let a trailing newline through; ASCII: a header is Latin-1.
    if contact is not None and (not contact.isascii() or _CONTACT.fullmatch(contact) is None):
        # It goes into a request header: no line breaks or spaces, just an address.
        raise DoiError(f"doi:{doi}: the contact address {contact[:80]!a} is not an e-mail "
                       "address in ASCII (Crossref's polite pool asks for one)")
    headers = {"User-Agent": http.user_agent(contact), "Accept": "application/json"}
    crossref = _endpoint("NEWSLETTER_CROSSREF_API", CROSSREF_API)
    url = f"{crossref}/works/{quote(doi, safe='')}"
    params = {"mailto": contact} if contact else {}
    status, body = _get(doi, url, params=params, headers=headers, sleep=sleep,
                        timeout=timeout)
    if status != 404:
        try:
            answer = _Crossref.model_validate(_json(doi, http.host(url), body))
        except ValidationError as exc:
            raise _shape_error(doi, http.host(url), "a Crossref work", exc) from exc
        if answer.status != "ok" or answer.message_type != "work":
            raise DoiError(f"doi:{doi}: {http.host(url)} answered {answer.message_type!r}, not "
                           "a work")
        return _record(doi, answer.message, url)

    resolver = _endpoint("NEWSLETTER_DOI_RESOLVER", DOI_RESOLVER)
    url = f"{resolver}/{_path(doi, '')}"
    headers["Accept"] = CSL_JSON
    status, body = _get(doi, url, params={}, headers=headers, sleep=sleep, timeout=timeout)
    if status == 404:
        raise DoiError(f"doi:{doi}: no such DOI (neither Crossref nor {http.host(url)} "
                       "knows it)")
    try:
        item = _Work.model_validate(_json(doi, http.host(url), body))
    except ValidationError as exc:
        raise _shape_error(doi, http.host(url), "a CSL-JSON item", exc) from exc
    return _record(doi, item, url)
