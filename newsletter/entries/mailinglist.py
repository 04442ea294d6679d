"""What a mailing list's own headers may be: ``unsubscribe_url`` and ``list_id``.

Both end up in the email's ``List-Unsubscribe`` (RFC 2369, RFC 8058) and ``List-Id``
(RFC 2919) headers, where a mail provider reads them to offer an unsubscribe button and to
file the list. So they are read strictly, at their line in newsletter.toml: a value either
means one thing to every reader of the header, or it is refused.
"""

from __future__ import annotations

import ipaddress
import re
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from newsletter.entries.addresses import header_text_problem, parse_addresses

# RFC 2919: a list id is at most 255 octets.
LIST_ID_MAX = 255
# What RFC 3986 lets a URI hold. Everything else (spaces, <, >, ", {, |, non-ASCII ...)
# would end the <...> of List-Unsubscribe early, or be read differently by each reader.
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# RFC 5322 atext: what a list's label (before its domain) may be made of.
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
# Outside double quotes these would make the name something else to a header parser.
_SPECIALS = frozenset('()<>[]:;@\\,."')
# RFC 6068 lets a mailto: URI set any header of the mail it asks for; an unsubscribe
# request needs a subject and a body at most, and To, Cc or Bcc would add recipients.
_MAILTO_FIELDS = frozenset({"subject", "body"})
_EXAMPLE_URL = "like 'https://example.com/unsubscribe' or 'mailto:leave@example.com'"
_EXAMPLE_ID = "like 'AI Research Weekly <weekly.example.com>'"


def _uri_problem(value: str) -> str | None:
    """Why ``value`` cannot stand inside <...> in a header, or None."""
    problem = header_text_problem(value)
    if problem:
        return problem
    if not value.isascii():
        return ("is not ASCII: write other characters percent-encoded (ü as %C3%BC), and an "
                "internationalised domain in its xn-- form")
    if not _URI_CHARACTERS.fullmatch(value):
        bad = next(c for c in value if not _URI_CHARACTERS.fullmatch(c))
        return f"holds {bad!r}, which a URL may only hold percent-encoded"
    if _BAD_PERCENT.search(value):
        return "has a '%' that is not followed by two hex digits"
    return None


def _https_problem(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return f"is not a valid URL, {_EXAMPLE_URL}"
    host = parts.hostname or ""
    if "@" in parts.netloc:
        return "has a user name or password before the host; a header is readable by anyone"
    if port == 0:
        return "has port 0"
    labels = host.split(".")
    try:
        ip = bool(ipaddress.ip_address(host))
    except ValueError:
        ip = False
    if not ip and (len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels)):
        return (f"has the host '{host}', which mail providers cannot reach: write a "
                f"public domain name, {_EXAMPLE_URL}")
    return None


def _mailto_problem(value: str) -> str | None:
    address, _, query = value[len("mailto:"):].partition("?")
    if "#" in value:
        return "is a mailto: URI with a '#', which it may not have"
    if "%" in address:
        # A mail client decodes the address (RFC 6068): '%2C' would be a second recipient,
        # '%40' another domain. A plain address needs no percent-encoding.
        return ("has a percent-encoded address; write the address plainly, as in "
                "'mailto:leave@example.com'")
    try:
        mailboxes = parse_addresses(address)
    except ValueError:
        mailboxes = []
    if (len(mailboxes) != 1 or mailboxes[0].display_name
            or f"{mailboxes[0].local}@{mailboxes[0].domain}" != address):
        return (f"must be mailto: and one plain address, {_EXAMPLE_URL} (optionally "
                "?subject=...&body=...)")
    seen: set[str] = set()
    for field in query.split("&") if query else []:
        name, equals, encoded = field.partition("=")
        name = name.lower()
        if not equals or name not in _MAILTO_FIELDS or name in seen:
            return ("may ask only for a subject and a body (?subject=...&body=...), each "
                    "once")
        seen.add(name)
        text = unquote(encoded, errors="strict") if encoded else ""
        # The subject becomes a header of the mail the reader's client writes; the body
        # may have line breaks, which RFC 6068 writes %0D%0A.
        problem = header_text_problem(text if name == "subject" else
                                      text.replace("\r\n", " "))
        if problem:
            return f"has a {name} that {problem}"
    return None


def unsubscribe_problem(value: str) -> str | None:
    """Why ``value`` cannot be a List-Unsubscribe target, or None: an https URL (one-click
    unsubscribe needs https, RFC 8058) or a mailto: URI with one address."""
    problem = _uri_problem(value)
    if problem:
        return problem
    scheme = value.partition(":")[0].lower()
    if scheme == "https":
        return _https_problem(value)
    if scheme == "mailto":
        return _mailto_problem(value)
    if scheme == "http":
        return ("must be https://, not http://: mail providers make one-click unsubscribe "
                "requests only over https (RFC 8058)")
    return f"must be an https:// URL or a mailto: address, {_EXAMPLE_URL}"


def unsubscribe_targets(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The targets of ``unsubscribe_url`` (one value or a list of two), checked, https
    first: Gmail takes the https one for its one-click button. Raises ValueError."""
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise ValueError("must not be empty")
    for target in values:
        problem = unsubscribe_problem(target)
        if problem:
            raise ValueError(problem)
    https = [t for t in values if t[:6].lower() == "https:"]
    mailto = [t for t in values if t[:7].lower() == "mailto:"]
    if len(https) > 1 or len(mailto) > 1:
        raise ValueError("may hold one https:// URL and one mailto: address, not two of a "
                         "kind")
    return (*https, *mailto)


def one_click(targets: tuple[str, ...]) -> bool:
    """Whether the targets allow RFC 8058 one-click unsubscribe (an https one)."""
    return any(t[:6].lower() == "https:" for t in targets)


class ListId(NamedTuple):
    """A List-Id: an optional name and the id itself, ``label.example.com``."""

    name: str
    id: str

    def header(self) -> str:
        """The header's value: the name quoted when it holds a special character."""
        if not self.name:
            return f"<{self.id}>"
        # A name never holds '"' or '\\' (parse_list_id), so quoting needs no escapes; a
        # non-ASCII one holds no special but a dot, and is encoded word by word instead.
        quote = self.name.isascii() and _SPECIALS.intersection(self.name)
        name = f'"{self.name}"' if quote else self.name
        return f"{name} <{self.id}>"


def _list_name(name: str) -> str:
    if name.startswith('"'):
        if len(name) < 2 or not name.endswith('"'):
            raise ValueError(f"has the name {name}, with an opening '\"' and no closing one")
        name = name[1:-1]
    if '"' in name or "\\" in name:
        raise ValueError("has a name with a '\"' or '\\' inside it; leave them out")
    name = " ".join(name.split())
    if not name.isascii() and _SPECIALS.difference(".").intersection(name):
        # A quoted name cannot hold the encoded words that non-ASCII letters become (a dot
        # may stand unquoted: RFC 5322's obsolete phrase, which every reader takes).
        raise ValueError(f"has the name '{name}': a name with non-ASCII letters may not also "
                         "hold any of ( ) < > [ ] : ; @ , \"; leave them out")
    return name


def _id_problem(ident: str) -> str | None:
    if not ident.isascii():
        return (f"has the list id '<{ident}>', which is not ASCII: write it with ASCII "
                "letters, and a domain in its xn-- form")
    if len(ident) > LIST_ID_MAX:
        return f"has a list id of {len(ident)} characters; RFC 2919 allows {LIST_ID_MAX}"
    parts = ident.split(".")
    domain = parts[1:]
    named = len(domain) >= 2 or domain == ["localhost"]
    if not (_ATEXT.fullmatch(parts[0]) and named
            and all(_LABEL.fullmatch(label) for label in domain)):
        return (f"has the list id '<{ident}>', which is not the list's label followed by a "
                f"domain you control, {_EXAMPLE_ID}")
    return None


def parse_list_id(value: str) -> ListId:
    """``Name <label.example.com>`` or ``<label.example.com>``, checked. Raises ValueError
    with a message that reads after the field's name."""
    problem = header_text_problem(value)
    if problem:
        raise ValueError(problem)
    value = value.strip()
    start = value.rfind("<")
    if start == -1 or not value.endswith(">"):
        raise ValueError(f"must be a name and an id in angle brackets, {_EXAMPLE_ID}, or "
                         "the bracketed id alone")
    name, ident = value[:start].strip(), value[start + 1:-1]
    if "<" in name or ">" in name:
        raise ValueError(f"must hold one id in angle brackets, {_EXAMPLE_ID}")
    problem = _id_problem(ident)
    if problem:
        raise ValueError(problem)
    return ListId(_list_name(name) if name else "", ident)
