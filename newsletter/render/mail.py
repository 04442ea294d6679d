"""An issue as an email: a complete RFC 5322 message, multipart/alternative.

The text/plain part is the text rendering; the text/html part is the email HTML with its
CSS inlined by css-inline (mail clients drop <style> blocks and CSS variables), with no
external resources and no scripts. A publication's list headers (List-Id,
List-Unsubscribe, one-click List-Unsubscribe-Post) and Content-Language go on the message;
the HTML opens with a hidden preheader and both parts end with the unsubscribe link (the
templates, from ``email_context``). The same inlined body, without <html> and <head>, is the
``html-fragment`` format, to paste into an email service.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from newsletter.entries.addresses import Mailbox, header_text_problem, parse_addresses
from newsletter.entries.language import LANGUAGE_TAG
from newsletter.entries.mailinglist import one_click, parse_list_id, unsubscribe_targets
from newsletter.errors import UsageError

if TYPE_CHECKING:
    from email.policy import EmailPolicy

    from newsletter.entries.models import Issue, Publication


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

# Gmail shows "[Message clipped]" and hides the rest (the footer with the unsubscribe link
# among it) once the HTML passes about 102 KB; an email service adds its own markup and
# tracking links, so the warning comes a little before.
GMAIL_CLIPS_KB = 102
CLIP_WARNING_BYTES = 100 * 1024

# The preheader: the lede's first words, which inbox lists show after the subject. Then
# invisible padding (combining grapheme joiner, zero-width non-joiner, no-break space) up
# to 200 characters, so that the preview stops there instead of running on into the
# masthead: clients show 90 to 200. It costs 2.2 KB of the HTML at most.
PREVIEW_MAX = 140
_PREVIEW_SPAN = 200
_PREVIEW_PAD = "\u034f\u200c\u00a0"

# Headers whose <...> a mail provider reads as written: an encoded word there is no URL.
_VERBATIM = frozenset({"list-unsubscribe", "list-id"})
_BRACKETED = re.compile(r"<[^<>]*>")


def preview_text(lede: str | None) -> str | None:
    """The preheader: the lede as plain words (no Markdown, no link targets), cut at a word
    after at most PREVIEW_MAX characters."""
    if not lede:
        return None
    words: list[str] = []
    from newsletter.entries.models import LINE_FORBIDDEN
    from newsletter.render.markup import _parser

    for token in _parser().parse(lede):
        for child in token.children or ():
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        if token.type == "inline":
            words.append(" ")
    # check refuses these characters written raw, but an entity ('&#x202e;') decodes to
    # one here, where the inbox shows it beside the subject.
    text = " ".join(LINE_FORBIDDEN.sub("", "".join(words)).split())
    if len(text) <= PREVIEW_MAX:
        return text or None
    cut = text[:PREVIEW_MAX + 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:PREVIEW_MAX]
    return cut.rstrip(" ,;:.-–—") + "…"


def email_context(issue: Issue, publication: Publication | None,
                  shows_lede: bool) -> dict[str, object]:
    """What the email's templates show that no other rendering does: the preheader (with
    its padding) and the unsubscribe link of the footer, https before mailto. The preheader
    is the lede's only when the style shows the lede: a preview of text the reader then
    cannot find would mislead."""
    preview = preview_text(issue.lede) if shows_lede else None
    value = publication.unsubscribe_url if publication else None
    try:
        targets = unsubscribe_targets(value) if value else ()
    except ValueError as exc:  # check refuses it first; a library caller may not have
        raise UsageError(f"unsubscribe_url in newsletter.toml {exc}") from None
    return {
        "preheader": preview,
        "preheader_padding": _PREVIEW_PAD * (_PREVIEW_SPAN - len(preview)) if preview else "",
        "unsubscribe": targets[0] if targets else None,
    }


def clipping_warning(html: str, papers: int, what: str) -> str | None:
    """The warning for an HTML part that Gmail would clip, or None."""
    size = len(html.encode("utf-8"))
    if size <= CLIP_WARNING_BYTES:
        return None
    return (f"{what} is {round(size / 1024)} KB with {papers} paper{'s' if papers != 1 else ''}"
            f"; Gmail clips messages over {GMAIL_CLIPS_KB} KB")


def body_fragment(inlined: str, language: str | None) -> str:
    """The body of an inlined email page as a fragment to paste into an email service: no
    <html>, <head> or <style> (the @media rules stay behind), the body's own inline style
    and the page's language on a wrapping <div>."""
    from html.parser import HTMLParser

    from markupsafe import escape

    class Body(HTMLParser):
        start: tuple[int, int] | None = None
        end: tuple[int, int] | None = None
        style = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "body" and self.start is None:
                line, column = self.getpos()
                self.start = (line, column + len(self.get_starttag_text() or ""))
                self.style = dict(attrs).get("style") or ""

        def handle_endtag(self, tag: str) -> None:
            if tag == "body":
                self.end = self.getpos()

    finder = Body(convert_charrefs=True)
    finder.feed(inlined)
    finder.close()
    lines = inlined.splitlines(keepends=True)

    def offset(position: tuple[int, int] | None, default: int) -> int:
        if position is None:
            return default
        line, column = position
        return sum(len(text) for text in lines[:line - 1]) + column

    inner = inlined[offset(finder.start, 0):offset(finder.end, len(inlined))].strip("\n")
    attributes = f' lang="{escape(language)}"' if language else ""
    attributes += f' style="{escape(finder.style)}"' if finder.style else ""
    return f"<div{attributes}>\n{inner}\n</div>\n"


@cache
def _mail_policy() -> EmailPolicy:
    """SMTP's policy (CRLF, lines folded at 78), except for the headers that carry a URL or
    a list id in <...>: Python folds a word too long for the line into encoded words,
    which a mail provider would not take for a URL, so such a header is folded with the
    998-octet limit instead (its <...> then stays whole, on a line of its own)."""
    from email.policy import EmailPolicy

    class MailPolicy(EmailPolicy):
        def fold_binary(self, name: str, value: Any) -> bytes:
            folded = super().fold_binary(name, value)
            if name.lower() in _VERBATIM and not _written_as(folded, str(value)):
                wide = self.clone(max_line_length=MAX_LINE_OCTETS)
                folded = EmailPolicy.fold_binary(wide, name, value)
            return folded

    return MailPolicy(linesep="\r\n")


def _written_as(folded: bytes, value: str) -> bool:
    """Whether a folded header line holds ``value`` as a strict reader reads it: an ASCII
    value byte for byte once unfolded; a non-ASCII one (a list's name in encoded words)
    with each of its <...> as written."""
    text = folded.decode("ascii", "replace").rstrip("\r\n")
    written = re.sub(r"\r\n(?=[ \t])", "", text).partition(":")[2].lstrip(" ")
    if value.isascii():
        return written == value
    return all(part in written for part in _BRACKETED.findall(value))




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
    fields = _raw_fields(head)
    for name, value in expected.items():
        if name.lower() in _VERBATIM and not _written_as(fields[name], str(value)):
            return name
    extra = [name for name in names if name not in expected]
    return extra[0] if extra else None


def _raw_fields(head: bytes) -> dict[str, bytes]:
    """Each header of ``head`` as its folded bytes, by name (the last of a name wins)."""
    found: dict[str, bytes] = {}
    current = ""
    for line in head.split(b"\r\n"):
        if line[:1] not in (b" ", b"\t"):
            current = line.split(b":", 1)[0].decode("ascii", "replace")
            found[current] = line
        elif current:
            found[current] += b"\r\n" + line
    return found


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


def _list_headers(unsubscribe: Sequence[str], list_id: str | None, language: str | None,
                  named: dict[str, str]) -> dict[str, str]:
    """The list headers and Content-Language, checked again here (a library caller may
    pass anything): name → value, in the order they go on the message."""
    headers: dict[str, str] = {}
    if list_id:
        try:
            headers["List-Id"] = parse_list_id(list_id).header()
        except ValueError as exc:
            raise UsageError(f"{named['List-Id']} {exc}") from None
    if unsubscribe:
        try:
            targets = unsubscribe_targets(tuple(unsubscribe))
        except ValueError as exc:
            raise UsageError(f"{named['List-Unsubscribe']} {exc}") from None
        headers["List-Unsubscribe"] = ", ".join(f"<{target}>" for target in targets)
        # RFC 8058: the provider POSTs this body to the https target, with no page to
        # confirm on. Only an https target can take the POST.
        if one_click(targets):
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if language is not None:
        # check refuses any other (entries/language.py); a library caller may not have.
        if not LANGUAGE_TAG.fullmatch(language):
            raise UsageError(f"{named['Content-Language']} is not a language tag such as "
                             "'en' or 'pt-BR'")
        headers["Content-Language"] = language
    return headers


def build_message(*, html: str, text: str, subject: str, sender: str,
                  recipients: str | None, date: dt.date,
                  sources: dict[str, str] | None = None, unsubscribe: Sequence[str] = (),
                  list_id: str | None = None, language: str | None = None,
                  message_id: str | None = None, sent_at: dt.datetime | None = None) -> bytes:
    """The message as bytes with CRLF line ends, ready to save as .eml or hand to SMTP.

    ``html`` is the text/html part as it is sent (CSS inlined, see ``inline_css``).
    ``unsubscribe`` (an https URL and/or a mailto: URI), ``list_id`` and ``language`` give
    the List-Unsubscribe, List-Unsubscribe-Post, List-Id and Content-Language headers.
    ``sources`` names where each header's value came from ("--from", "email_from in
    newsletter.toml"), for the one-line error when it cannot be a header.
    ``message_id`` ('<id@domain>') and ``sent_at`` (aware) are a sent copy's own; without
    them both come from the issue (its date at noon UTC, an id from the content).
    """
    from email.headerregistry import Address
    from email.message import EmailMessage
    from email.utils import format_datetime

    named = {"Subject": "--subject", "From": "--from", "To": "--to",
             "List-Id": "list_id", "List-Unsubscribe": "unsubscribe_url",
             "List-Unsubscribe-Post": "unsubscribe_url", "Content-Language": "language",
             **(sources or {})}
    problem = header_text_problem(subject)
    if problem:
        raise UsageError(f"{named['Subject']} {problem}")
    subject = " ".join(subject.split())
    if not subject:
        raise UsageError(f"{named['Subject']} must not be empty")
    senders = _addresses(sender, named["From"])
    readers = _addresses(recipients, named["To"]) if recipients else []
    listed = _list_headers(unsubscribe, list_id, language, named)

    policy = _mail_policy()
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = [Address(m.display_name, m.local, m.domain) for m in senders]
    if readers:
        message["To"] = [Address(m.display_name, m.local, m.domain) for m in readers]
    # The issue's date at noon UTC, and an id derived from the content: the same issue
    # gives the same message, so rendering twice does not look like two different mails.
    message["Date"] = format_datetime(
        sent_at or dt.datetime(date.year, date.month, date.day, 12, tzinfo=dt.UTC))
    digest = hashlib.sha256((subject + text).encode("utf-8")).hexdigest()[:24]
    message["Message-ID"] = message_id or f"<{digest}@{senders[0].domain}>"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the parts: set_content and add_alternative move or drop every Content-* header
    # of the message (Content-Language among them).
    for name, value in listed.items():
        message[name] = value
    # The email package picks a random boundary: two renders of one issue would differ.
    parts = [part.as_bytes(policy=policy) for part in message.iter_parts()]
    boundary = _boundary(parts)
    message.set_boundary(boundary)

    expected: dict[str, object] = {"Subject": subject, "From": senders}
    if readers:
        expected["To"] = readers
    expected.update({"Date": str(message["Date"]), "Message-ID": str(message["Message-ID"]),
                     **listed,
                     "MIME-Version": "1.0", "Content-Type": str(message["Content-Type"])})
    # Folded at 78 columns as RFC 5322 asks; a header that does not read back the same
    # that way (Python's folding can drop a long display name's quotes, making it several
    # addresses) is tried unfolded up to the 998-octet limit before it is refused.
    for attempt in (policy, policy.clone(max_line_length=MAX_LINE_OCTETS)):
        wire = message.as_bytes(policy=attempt)
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
