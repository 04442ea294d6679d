"""What an email address in an entry may be: a strict reading of From and To values.

``email_from`` and ``email_to`` in newsletter.toml are checked with it at their line, and
the mail is built from what it reads; so a value either means one plain list of mailboxes
or is refused, never reinterpreted by a lenient parser downstream.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from newsletter.entries.models import ENCODED_WORD, LINE_FORBIDDEN, forbidden_character


class Mailbox(NamedTuple):
    """One address of a header, checked: the domain in its ASCII (IDNA) form."""

    display_name: str
    local: str
    domain: str


# RFC 5322 dot-atom: what an ASCII local part may be without quotes. Quoted local parts
# ("a b"@example.com) are legal but a sign of a mistake in a newsletter's From or To.
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# Outside double quotes these would make a display name another address, a group or a
# comment to a mail reader.
_NAME_SPECIALS = frozenset('"<>@,;:\\()[]')
_EXAMPLE = "like 'Name <editor@example.com>'"


def header_text_problem(value: str) -> str | None:
    """Why ``value`` may not go into a mail header, or None: a control character (a line
    break would end the header and start another) or an RFC 2047 encoded word, which the
    reader decodes after every check here has passed (``=?utf-8?q?=0D=0ABcc:...?=``)."""
    found = LINE_FORBIDDEN.search(value)
    if found:
        return forbidden_character(found.group())
    if "=?" in value and ENCODED_WORD.search(value):
        return ("contains an RFC 2047 encoded word ('=?charset?q?...?='); write the text "
                "itself, it is encoded where a mail needs it")
    return None


def _split_addresses(value: str) -> list[str]:
    """Split at the commas that separate addresses: not those in a quoted display name
    or inside <...>."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = angle = False
    for char in value:
        if escaped:
            escaped = False
        elif quoted:
            escaped = char == "\\"
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char in "<>":
            angle = char == "<"
        elif char == "," and not angle:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted:
        raise ValueError("has a display name with an opening '\"' and no closing one")
    parts.append("".join(current))
    return parts


def _display_name(name: str) -> str:
    if name.startswith('"'):
        inner, escaped = [], False
        for index, char in enumerate(name[1:], 1):
            if escaped:
                inner.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                if index != len(name) - 1:
                    raise ValueError(f"has the display name {name}, with text after its "
                                     "closing quote")
                break
            else:
                inner.append(char)
        name = "".join(inner)
    elif _NAME_SPECIALS.intersection(name):
        raise ValueError(f"has the display name '{name}': one with any of \" < > @ , ; : "
                         "\\ ( ) [ ] must be in double quotes, e.g. '\"Ed, Editor\" "
                         "<ed@example.com>'")
    return " ".join(name.split())


def _mailbox(part: str) -> Mailbox:
    name = ""
    address = part
    if part.endswith(">"):
        start = part.rfind("<")
        if start == -1:
            raise ValueError(f"has '{part}', which is not an email address {_EXAMPLE}")
        name, address = _display_name(part[:start].strip()), part[start + 1:-1].strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c in address for c in "<>\"() \t"):
        raise ValueError(f"has '{address}', which is not an email address {_EXAMPLE}")
    if not local.isascii():
        raise ValueError(f"has '{address}', whose part before the @ is not ASCII: that "
                         "needs SMTPUTF8, which not every mail server speaks; use an ASCII "
                         "address")
    if len(local) > 64 or not _DOT_ATOM.fullmatch(local):
        raise ValueError(f"has '{address}', whose part before the @ is not a valid "
                         "address (letters, digits, dots and !#$%&'*+/=?^_`{|}~- only)")
    try:
        # IDNA: a mail header carries an internationalised domain as its xn-- form.
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        ascii_domain = ""
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(f"has '{address}', whose domain (after the @) is not a valid "
                         "domain name")
    return Mailbox(name, local, ascii_domain)


def parse_addresses(value: str) -> list[Mailbox]:
    """The addresses of a From or To value, 'Name <ed@example.com>, list@example.com'.

    A strict reading of our own, not ``email.utils.getaddresses``: that one is lenient by
    design (``alice@example.org)<bob@example.org>`` is Bob on some Python versions) and
    decodes encoded words. Raises ValueError with a message that reads after the field's
    or flag's name.
    """
    problem = header_text_problem(value)
    if problem:
        raise ValueError(problem)
    mailboxes = []
    for part in _split_addresses(value):
        part = part.strip()
        if not part:
            raise ValueError(f"must be email addresses {_EXAMPLE}, separated by commas; it "
                             "has an empty one")
        mailboxes.append(_mailbox(part))
    return mailboxes
