"""One polite HTTP GET for the intake clients (arXiv, Crossref, doi.org).

``get(session, url, source=..., retries=Retries(...))`` returns an ``Answer`` or raises an
``HttpError`` whose one-line message starts with ``source`` (``arXiv 1605.08386``,
``doi:10.1145/...``). It keeps a connect and a read timeout and a deadline for the whole body
(a server dripping a byte at a time never trips a per-read timeout), cuts the body at a byte
cap while reading it, and retries 429/5xx within bounds, honouring a sane ``Retry-After`` and
refusing an absurd one at once. What a status means is the caller's to decide.

``requests`` is imported only when a session is made: ``newsletter --help`` never pays for it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsletter.errors import NewsletterError

if TYPE_CHECKING:
    import requests

# Worth another try: rate limiting (429) and overloaded or restarting servers.
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_CHUNK = 64 * 1024


class HttpError(NewsletterError):
    """No usable answer; the message names the source and the host."""


class Unavailable(HttpError):
    """No network, a timeout, too many redirects, a broken answer, retries used up."""


class TooLarge(HttpError):
    """The answer is larger than the byte cap; it was not read to the end."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # case-insensitive, as requests gives them
    body: bytes
    url: str  # where the answer came from, after any redirect


def user_agent(contact: str | None = None) -> str:
    """The User-Agent naming this tool (and, for Crossref's polite pool, a contact)."""
    from newsletter import DISTRIBUTION, HOMEPAGE, __version__

    mailto = f"; mailto:{contact}" if contact else ""
    return f"{DISTRIBUTION}/{__version__} (+{HOMEPAGE}{mailto})"


def host(url: str) -> str:
    """The host (and port) of ``url`` for a message: never the ``user:password@`` a URL
    from an environment variable may carry."""
    return urlsplit(url).netloc.rpartition("@")[2] or without_credentials(url)


def without_credentials(url: str) -> str:
    """``url`` without its ``user:password@``: what a message or a committed cache file
    may show of it."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


class _RedirectRefused(Exception):
    """A redirect refused by may_redirect; _once turns it into Unavailable."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def may_redirect(origin: str, target: str) -> bool:
    """Whether a redirect from ``origin`` to ``target`` is followed: to the same host
    (never from https to http), or to another host by https and by name. A server must not
    steer a request to file://, to this machine or to an address of the local network
    (169.254.169.254, 10.0.0.1): what it answers would be kept in sources/."""
    import ipaddress

    before, after = urlsplit(origin), urlsplit(target)
    if after.scheme not in ("http", "https") or not after.hostname or "@" in after.netloc:
        return False
    if before.scheme == "https" and after.scheme != "https":
        return False
    if (after.hostname, after.port) == (before.hostname, before.port):
        return True
    name = after.hostname.rstrip(".").lower()
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return False  # an address, not a name: where a registry would send no one
    return after.scheme == "https" and "." in name and not name.endswith(".localhost")


def _refuse_bad_redirects(reply: requests.Response, *args: object, **kwargs: object) -> None:
    location = reply.headers.get("Location") if reply.is_redirect else None
    if location is not None:
        from urllib.parse import urljoin

        target = urljoin(reply.url, location)
        if not may_redirect(reply.url, target):
            reply.close()
            raise _RedirectRefused(target)


def retry_after(value: str | None) -> float | None:
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


@dataclass
class Retries:
    """A bounded budget of retries with doubling backoff. One budget can serve several
    reasons to retry (arXiv's short pages share it with its HTTP 503s)."""

    source: str
    retries: int  # tries after the first
    backoff: float  # seconds before the first retry, doubled for each next one
    max_wait: float  # a Retry-After longer than this fails at once instead
    sleep: Callable[[float], None] = time.sleep
    used: int = 0

    def wait(self, what: str, asked_header: str | None = None) -> None:
        """Waits before the next try; raises Unavailable when the retries are used up or
        the server asks for a wait longer than ``max_wait``."""
        if self.used >= self.retries:
            raise Unavailable(f"{self.source}: {what} after {self.used + 1} tries; "
                              "try again later")
        asked = retry_after(asked_header)
        if asked is not None and asked > self.max_wait:
            shown = f"{asked:.0f} s" if math.isfinite(asked) else "forever"
            raise Unavailable(f"{self.source}: {what}, asked to wait {shown} "
                              f"(more than {self.max_wait:g} s); try again later")
        delay = asked if asked is not None else self.backoff * 2 ** self.used
        if delay > 0:
            self.sleep(min(delay, self.max_wait))
        self.used += 1


def session(user_agent: str, *, redirects: int = 0) -> requests.Session:
    """A session sending ``user_agent``; redirects are followed only when ``redirects`` > 0
    (at most that many), and only where ``may_redirect`` allows."""
    import requests  # lazily: `newsletter --help` never pays for it

    made = requests.Session()
    made.headers["User-Agent"] = user_agent
    made.max_redirects = redirects
    if redirects > 0:
        made.hooks["response"].append(_refuse_bad_redirects)
    return made


def get(session: requests.Session, url: str, *, source: str, retries: Retries,
        params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
        max_bytes: int, connect_timeout: float, read_timeout: float, total_timeout: float,
        retry_status: Collection[int] = RETRY_STATUS,
        clock: Callable[[], float] = time.monotonic,
        each_try: Callable[[], AbstractContextManager[object]] | None = None) -> Answer:
    """GET ``url``; a status in ``retry_status`` is retried from ``retries``' budget, any
    other is returned with its body. ``each_try`` wraps every request (a rate limit)."""
    while True:
        with (each_try or nullcontext)():
            answer = _once(session, url, source=source, params=params, headers=headers,
                           max_bytes=max_bytes, timeout=(connect_timeout, read_timeout),
                           total_timeout=total_timeout, clock=clock)
        if answer.status not in retry_status:
            return answer
        retries.wait(f"{host(url)} answered HTTP {answer.status}",
                     answer.headers.get("Retry-After"))


def _once(session: requests.Session, url: str, *, source: str,
          params: Mapping[str, str] | None, headers: Mapping[str, str] | None, max_bytes: int,
          timeout: tuple[float, float], total_timeout: float,
          clock: Callable[[], float]) -> Answer:
    import requests
    from urllib3.exceptions import HTTPError, ReadTimeoutError

    where = host(url)
    try:
        with session.get(url, params=params, headers=headers, timeout=timeout, stream=True,
                         allow_redirects=session.max_redirects > 0) as reply:
            length = reply.headers.get("Content-Length", "")
            if length.isascii() and length.isdigit() and int(length) > max_bytes:
                raise _too_large(source, where, max_bytes)
            deadline = clock() + total_timeout
            body = bytearray()
            # read1: what has arrived (one read of the socket), not a full block that a
            # slow server could take forever to fill.
            while chunk := reply.raw.read1(_CHUNK, decode_content=True):
                body += chunk
                if len(body) > max_bytes:
                    raise _too_large(source, where, max_bytes)
                if clock() > deadline:
                    raise Unavailable(f"{source}: {where} sent its answer too slowly (more "
                                      f"than {total_timeout:g} s)")
            # The headers stay requests' case-insensitive mapping: 'retry-after' (as an
            # HTTP/2 proxy writes it) is the same header as 'Retry-After'.
            return Answer(reply.status_code, reply.headers, bytes(body), reply.url)
    # The body is read from urllib3 itself (read1), so its errors come unwrapped.
    except (requests.Timeout, ReadTimeoutError):
        raise Unavailable(f"{source}: {where} did not answer within {timeout[1]:g} s") \
            from None
    except _RedirectRefused as refused:
        raise Unavailable(f"{source}: {where} redirected to {host(refused.target)[:80]!a}; "
                          "not followed (only to the same host, or to a named host by "
                          "https)") from None
    except requests.TooManyRedirects:
        raise Unavailable(f"{source}: {where} redirected too many times") from None
    except HTTPError as error:
        raise Unavailable(f"{source}: the answer from {where} broke off: "
                          f"{type(error).__name__}") from None
    except requests.RequestException as error:
        raise Unavailable(f"{source}: cannot reach {where} ({_reason(error)})") from None


def _too_large(source: str, where: str, max_bytes: int) -> TooLarge:
    mib = 1024 * 1024
    size = f"{max_bytes // mib} MiB" if max_bytes % mib == 0 else f"{max_bytes} bytes"
    return TooLarge(f"{source}: the answer from {where} is larger than {size}; not reading it")


def _reason(error: Exception) -> str:
    """A short cause from requests' nested exceptions ('Connection refused')."""
    text = str(error)
    for known in ("Connection refused", "Name or service not known", "Network is unreachable",
                  "Temporary failure in name resolution", "Connection reset by peer",
                  "Remote end closed connection"):
        if known in text:
            return known
    return type(error).__name__
