"""An issue as an email: a complete RFC 5322 message, multipart/alternative.

The text/plain part is the text rendering; the text/html part is the email HTML with its
CSS inlined by css-inline (mail clients drop <style> blocks and CSS variables), with no
external resources and no scripts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

from newsletter.entries.addresses import Mailbox, header_text_problem, parse_addresses
from newsletter.errors import UsageError


def inline_css(html: str) -> str:
    import css_inline

    inliner = css_inline.CSSInliner(
        keep_at_rules=True,            # media queries (phone widths, dark mode) stay in <style>
        load_remote_stylesheets=False,  # an email carries no external resources
        resolve_css_variables=True,     # most mail clients do not know var(--x)
    )
    inlined = inliner.inline(html)
    # css-inline puts the kept @media rules first in <head>; the charset declaration must
    # stay within the first 1024 bytes, so it goes back to the top.
    charset = '<meta charset="utf-8">'
    if charset in inlined and "<head>" in inlined:
        inlined = inlined.replace(charset, "", 1).replace("<head>", "<head>" + charset, 1)
    return inlined


# RFC 5322's hard limit on a line, without its CRLF.
MAX_LINE_OCTETS = 998


def _addresses(value: str, source: str) -> list[Mailbox]:
    try:
        return parse_addresses(value)
    except ValueError as exc:
        raise UsageError(f"{source} {exc}") from None


def _boundary(parts: list[bytes]) -> str:
    """A MIME boundary derived from the content, so the same issue gives the same bytes.

    '=_' cannot occur in a quoted-printable body ('=' there is followed by two hex digits
    or a line end); should the parts contain it anyway, the next candidate is taken.
    """
    seed = hashlib.sha256(b"\0".join(parts)).hexdigest()
    for attempt in itertools.count():
        candidate = _candidate(seed, attempt)
        if not any(candidate.encode("ascii") in part for part in parts):
            return candidate
    raise AssertionError("unreachable")


def _candidate(seed: str, attempt: int) -> str:
    return "=_" + hashlib.sha256(f"{seed}:{attempt}".encode()).hexdigest()[:40]


def _reads_back(head: bytes, expected: dict[str, object]) -> str | None:
    """The first header of ``head`` that a mail reader would not read as ``expected``,
    or None. The last word on injection and folding, whatever the email package did."""
    import email
    from email.policy import default

    too_long = _long_headers(head)
    if too_long:
        return next((name for name in expected if name in too_long), min(too_long))
    parsed = email.message_from_bytes(head + b"\r\n", policy=default)
    names = list(parsed.keys())
    for name, value in expected.items():
        if names.count(name) != 1:
            return name
        header = parsed[name]
        if isinstance(value, list):
            got = [(" ".join(a.display_name.split()), a.username, a.domain)
                   for a in getattr(header, "addresses", ())]
            if got != [(m.display_name, m.local, m.domain) for m in value]:
                return name
        elif str(header) != value:
            return name
    extra = [name for name in names if name not in expected]
    return extra[0] if extra else None


def _long_headers(head: bytes) -> set[str]:
    """The names of the headers with a line over RFC 5322's limit."""
    found: set[str] = set()
    current = ""
    for line in head.split(b"\r\n"):
        if line[:1] not in (b" ", b"\t"):
            current = line.split(b":", 1)[0].decode("ascii", "replace")
        if len(line) > MAX_LINE_OCTETS:
            found.add(current)
    return found


def build_message(*, html: str, text: str, subject: str, sender: str,
                  recipients: str | None, date: dt.date,
                  sources: dict[str, str] | None = None) -> bytes:
    """The message as bytes with CRLF line ends, ready to save as .eml or hand to SMTP.

    ``sources`` names where each header's value came from ("--from", "email_from in
    newsletter.toml"), for the one-line error when it cannot be a header.
    """
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import format_datetime

    named = {"Subject": "--subject", "From": "--from", "To": "--to", **(sources or {})}
    problem = header_text_problem(subject)
    if problem:
        raise UsageError(f"{named['Subject']} {problem}")
    subject = " ".join(subject.split())
    if not subject:
        raise UsageError(f"{named['Subject']} must not be empty")
    senders = _addresses(sender, named["From"])
    readers = _addresses(recipients, named["To"]) if recipients else []

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = [Address(m.display_name, m.local, m.domain) for m in senders]
    if readers:
        message["To"] = [Address(m.display_name, m.local, m.domain) for m in readers]
    # The date at noon UTC, and an id derived from the content: the same issue
    # gives the same message, so rendering twice does not look like two different mails.
    message["Date"] = format_datetime(
        dt.datetime(date.year, date.month, date.day, 12, tzinfo=dt.UTC))
    digest = hashlib.sha256((subject + text).encode("utf-8")).hexdigest()[:24]
    message["Message-ID"] = f"<{digest}@{senders[0].domain}>"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(inline_css(html), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    # The email package picks a random boundary: two renders of one issue would differ.
    parts = [part.as_bytes(policy=SMTP) for part in message.iter_parts()]
    boundary = _boundary(parts)
    message.set_boundary(boundary)

    expected: dict[str, object] = {"Subject": subject, "From": senders}
    if readers:
        expected["To"] = readers
    expected.update({"Date": str(message["Date"]), "Message-ID": str(message["Message-ID"]),
                     "MIME-Version": "1.0", "Content-Type": str(message["Content-Type"])})
    # Folded at 78 columns as RFC 5322 asks; a header that does not read back the same
    # that way (Python's folding can drop a long display name's quotes, making it several
    # addresses) is tried unfolded up to the 998-octet limit before it is refused.
    for policy in (SMTP, SMTP.clone(max_line_length=MAX_LINE_OCTETS)):
        wire = message.as_bytes(policy=policy)
        head, _, body = wire.partition(b"\r\n\r\n")
        wrong = _reads_back(head, expected)
        if wrong is None:
            break
    else:
        source = named.get(wrong, wrong)
        raise UsageError(f"{source} cannot be written as a mail header that reads back as "
                         "written (a word too long to fold into a 998-octet line?); "
                         "shorten it")
    if body.count(b"--" + boundary.encode("ascii")) != len(parts) + 1:
        raise AssertionError("the MIME boundary occurs inside a part")
    return wire
