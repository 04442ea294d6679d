"""An issue as an email: a complete RFC 5322 message, multipart/alternative.

The text/plain part is the text rendering; the text/html part is the email HTML with its
CSS inlined by css-inline (mail clients drop <style> blocks and CSS variables), with no
external resources and no scripts.
"""

from __future__ import annotations

import datetime as dt
import hashlib

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


def _address_header(value: str, flag: str) -> str:
    from email.headerregistry import Address
    from email.utils import getaddresses

    pairs = getaddresses([value])
    if not pairs or any("@" not in address or " " in address for _, address in pairs):
        raise UsageError(f"{flag} must be an email address like 'Name <editor@example.com>', "
                         f"not '{value}'")
    for _, address in pairs:
        local, _, domain = address.partition("@")
        try:
            Address(username=local, domain=domain)
        except (ValueError, IndexError):
            raise UsageError(f"{flag}: '{address}' is not a valid email address") from None
    return value


def build_message(*, html: str, text: str, subject: str, sender: str, recipients: str | None,
                  date: dt.date) -> bytes:
    """The message as bytes with CRLF line ends, ready to save as .eml or hand to SMTP."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import format_datetime

    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())
    message["From"] = _address_header(sender, "--from")
    if recipients:  # else a template for a mail tool or ESP, which sets To per reader
        message["To"] = _address_header(recipients, "--to")
    # The date at noon UTC, and an id derived from the content: the same issue
    # gives the same message, so rendering twice does not look like two different mails.
    message["Date"] = format_datetime(
        dt.datetime(date.year, date.month, date.day, 12, tzinfo=dt.UTC))
    digest = hashlib.sha256((subject + text).encode("utf-8")).hexdigest()[:24]
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "newsletter.invalid"
    message["Message-ID"] = f"<{digest}@{domain}>"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(inline_css(html), subtype="html", charset="utf-8",
                            cte="quoted-printable")
    return message.as_bytes(policy=SMTP)
