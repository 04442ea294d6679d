"""Who an issue is sent to: ``--to`` addresses and ``--list FILE.csv``, read strictly.

Every address is one mailbox as ``newsletter.entries.addresses`` reads a From or To value,
so nothing in a list can become a second header or a second recipient (a line break, a
comma, an RFC 2047 encoded word, a control character). A list is read whole and checked
before anything is sent: each bad row is one ``FILE:line: ...`` line. An address listed
twice (the domain compared without case, as DNS does) is sent once.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.entries.addresses import parse_addresses
from newsletter.errors import UsageError

# A list of two million subscribers fits; a file past this is not a mailing list.
LIST_MAX_BYTES = 64 * 1024 * 1024
# How many bad rows and duplicates are shown one by one before a count takes over.
SHOWN = 20
_COLUMN = "email"


@dataclass(frozen=True, slots=True)
class Recipient:
    """One reader: ``address`` as it goes into RCPT TO (the domain in its ASCII form),
    ``header`` as it goes into To:, ``key`` what "the same reader" means."""

    address: str
    header: str
    key: str
    source: str  # where it was read: "--to", "readers.csv:12"


@dataclass
class RecipientList:
    """The readers in order, and what reading them found: ``errors`` stop the send,
    ``notes`` (duplicates) do not."""

    recipients: list[Recipient] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def address_key(address: str) -> str:
    """What makes two addresses one reader: the domain is not case-sensitive (DNS), the
    part before the @ is, as RFC 5321 says, though most servers ignore its case too."""
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def _quoted(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def parse_recipient(value: str, source: str) -> Recipient:
    """One address (``ann@example.com`` or ``Ann <ann@example.com>``), checked. Raises
    ValueError with a message that reads after the source's name."""
    value = value.strip()
    if not value:
        raise ValueError("is empty")
    mailboxes = parse_addresses(value)
    if len(mailboxes) != 1:
        raise ValueError(f"holds {len(mailboxes)} addresses (a comma separates them); give "
                         "one address each")
    box = mailboxes[0]
    address = f"{box.local}@{box.domain}"
    header = f"{_quoted(box.display_name)} <{address}>" if box.display_name else address
    return Recipient(address, header, address_key(address), source)


def from_flags(values: list[str], flag: str = "--to") -> RecipientList:
    """The readers of repeated ``--to`` flags (each one address)."""
    found = RecipientList()
    seen: dict[str, Recipient] = {}
    for value in values:
        try:
            recipient = parse_recipient(value, flag)
        except ValueError as exc:
            raise UsageError(f"{flag} {value!r} {exc}") from None
        if recipient.key not in seen:
            seen[recipient.key] = recipient
            found.recipients.append(recipient)
    return found


def _decode(data: bytes, shown: str) -> str:
    if b"\0" in data:
        line = data[:data.index(b"\0")].count(b"\n") + 1
        raise UsageError(f"{shown}:{line}: not a CSV text file (it holds a NUL byte)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise UsageError(f"{shown}:{line}: not UTF-8 (byte 0x{data[exc.start]:02X}); save "
                         "the list as UTF-8 CSV") from None


def _dialect(text: str) -> str:
    """The delimiter: a comma, or what a spreadsheet in another locale writes (';', tab)
    when the first line has no comma."""
    first = text.split("\n", 1)[0]
    if "," in first:
        return ","
    return next((d for d in (";", "\t") if d in first), ",")


def read_list(path: Path) -> RecipientList:
    """The readers of a CSV file with an ``email`` column (other columns are kept for
    later use and ignored). Raises UsageError for a file that is no such list; bad rows
    are ``errors``, one line each."""
    from newsletter.entries.files import Refused, read_regular
    from newsletter.entries.problems import display_path

    shown = display_path(path)
    if path.is_dir():
        raise UsageError(f"--list {shown}: not a regular file (a folder)")
    try:
        data = read_regular(path, LIST_MAX_BYTES)
    except OSError as exc:
        raise UsageError(f"--list {shown}: cannot be read: {exc.strerror or exc}") from None
    except Refused as exc:
        reason = {"not-regular": "not a regular file",
                  "too-large": f"over {LIST_MAX_BYTES // (1024 * 1024)} MB: not a mailing "
                               "list (split it)",
                  "link": "a symbolic link"}.get(exc.reason, f"cannot be read: {exc.detail}")
        raise UsageError(f"--list {shown}: {reason}") from None
    if data is None:
        raise UsageError(f"--list {shown}: no such file")
    text = _decode(data, shown)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_dialect(text), strict=True)
    found = RecipientList()
    column: int | None = None
    seen: dict[str, Recipient] = {}
    by_lower: dict[str, Recipient] = {}
    duplicates = 0
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise UsageError(f"{shown}:{start}: not a CSV row ({exc})") from None
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if column is None:
            names = [cell.strip().lower() for cell in row]
            if names.count(_COLUMN) > 1:
                raise UsageError(f"{shown}:{start}: the first row names the column 'email' "
                                 "twice")
            if _COLUMN not in names:
                listed = ", ".join(repr(cell.strip()[:40]) for cell in row[:8])
                raise UsageError(f"{shown}:{start}: no 'email' column; the first row must "
                                 f"name the columns, and it has {listed}")
            column = names.index(_COLUMN)
            continue
        where = f"{shown}:{start}"
        if column >= len(row) or not row[column].strip():
            found.errors.append(f"{where}: the email column is empty")
            continue
        try:
            recipient = parse_recipient(row[column], where)
        except ValueError as exc:
            found.errors.append(f"{where}: the email {exc}")
            continue
        first = seen.get(recipient.key)
        if first is not None:
            duplicates += 1
            if duplicates <= SHOWN:
                found.notes.append(f"{where}: {recipient.address} is listed before, at "
                                   f"{first.source}; it is sent once")
            continue
        seen[recipient.key] = recipient
        twin = by_lower.setdefault(recipient.key.lower(), recipient)
        if twin is not recipient:
            found.notes.append(f"{where}: {recipient.address} and {twin.address} "
                               f"({twin.source}) differ only in case before the @; both are "
                               "sent, though most servers take them for one mailbox")
        found.recipients.append(recipient)
    if column is None:
        raise UsageError(f"--list {shown}: empty; a list is a CSV file whose first row names "
                         "its columns, one of them 'email'")
    if duplicates > SHOWN:
        found.notes.append(f"{shown}: {duplicates - SHOWN} more addresses listed twice, each "
                           "sent once")
    return found
