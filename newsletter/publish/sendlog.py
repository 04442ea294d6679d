"""The send log: who was sent an issue, kept so that no run sends anyone a second copy and
no reader is silently left out.

One file per issue, ``sends/issue-NNN.jsonl`` beside newsletter.toml, one JSON object a
line, only ever appended to (O_APPEND), each line written in one call and fsynced before
the next message goes out. Its protocol, per recipient:

- ``sending`` (the intent) is recorded, and on disk, before the message's bytes go to the
  server (after the server said 354 to DATA);
- ``sent`` is recorded once the server accepted it (2xx after the final dot), with the
  Message-ID and the server's reply; ``failed`` (5xx, or a 4xx that outlasted every
  retry), ``deferred`` (a 4xx: tried again later) and ``unsent`` (the connection dropped
  before the final dot was sent) each settle an intent too.

A recipient whose last intent is not settled is *uncertain*: the run stopped (killed, a
crash, a connection lost while the server answered) between handing the message over and
recording the answer. Only such a recipient can have been sent a copy the log does not
show; it is named on every later run and sent again only when asked.

A torn line (a run killed in the middle of writing it) can only be the last one: it is
dropped. Since an intent is on disk before its message goes out, a torn ``sent`` leaves
its intent behind, and the recipient is uncertain, never forgotten. Anything else that is
not a record of this issue is a damaged log: the send stops there, with the line named.

The folder holds readers' addresses: it is made private (0700, files 0600) and git-ignored
(its own .gitignore), so a public repository does not publish its list.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsletter.errors import NewsletterError, UsageError, WriteError
from newsletter.write.append import AppendOnlyFile, NotRegularFile
from newsletter.write.atomic import sync_directory, write_atomic

SENDS_DIR = "sends"
VERSION = 1
EVENTS = frozenset({"sending", "sent", "failed", "deferred", "unsent"})
# A record is a few hundred bytes; a longer line is not one of ours.
LINE_MAX = 16 * 1024
# About three million records: far beyond any list this sends to by SMTP.
LOG_MAX_BYTES = 1024 * 1024 * 1024
_GITIGNORE = ("# Written by 'newsletter send': who was sent each issue. It holds readers'\n"
              "# addresses, so it stays out of git; back it up as you back up the list.\n*\n")


def log_path(publication_root: Path, number: int) -> Path:
    """Where the send log of issue ``number`` of the publication at ``publication_root`` is."""
    return publication_root / SENDS_DIR / f"issue-{number:03d}.jsonl"


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Entry:
    """What the log says of one recipient: ``state`` is "sent", "uncertain" or "failed"
    (the last word of its latest attempt); ``message_id``, ``at``, ``content`` (the hash of
    the issue as sent) and ``reply`` come from the record that says so."""

    state: str
    message_id: str
    at: str
    content: str
    reply: str = ""


@dataclass
class LogState:
    """The log read back: one Entry per recipient key, and what reading it noticed."""

    entries: dict[str, Entry] = field(default_factory=dict)
    torn_tail: bool = False
    ends_without_newline: bool = False
    size: int = 0

    def sent(self) -> dict[str, Entry]:
        return {key: e for key, e in self.entries.items() if e.state == "sent"}

    def uncertain(self) -> dict[str, Entry]:
        return {key: e for key, e in self.entries.items() if e.state == "uncertain"}


class DamagedLog(NewsletterError):
    """The send log holds something that is not a record of this issue: nothing is sent
    until a person has looked."""


def _shown(path: Path) -> str:
    from newsletter.entries.problems import display_path

    return display_path(path)


def _refuse_link(path: Path) -> None:
    if path.is_symlink():
        raise UsageError(f"{_shown(path)} is a symbolic link; the send log must be a file of "
                         "its own, in a folder of its own (not followed)")


def _open_for_reading(path: Path) -> int | None:
    """A descriptor for reading the log, None when there is none yet."""
    _refuse_link(path.parent)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        _refuse_link(path)
        raise NewsletterError(f"{_shown(path)}: cannot read the send log: "
                              f"{exc.strerror or exc}") from None
    status = os.fstat(fd)
    if not stat.S_ISREG(status.st_mode):
        os.close(fd)
        raise UsageError(f"{_shown(path)} is not a regular file; the send log must be one")
    if status.st_size > LOG_MAX_BYTES:
        os.close(fd)
        raise DamagedLog(f"{_shown(path)}: the send log is over "
                         f"{LOG_MAX_BYTES // (1024 * 1024)} MB, more than any send writes; "
                         "look at it before sending")
    return fd


def _lines(fd: int) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes without the newline, whether it ended with one), each at most
    LINE_MAX bytes (a longer one comes as its first LINE_MAX + 1 bytes)."""
    with os.fdopen(os.dup(fd), "rb") as handle:
        number = 0
        while True:
            line = handle.readline(LINE_MAX + 1)
            if not line:
                return
            number += 1
            if len(line) > LINE_MAX:
                yield number, line, False
                # Skip to the end of this overlong line.
                while line and not line.endswith(b"\n"):
                    line = handle.readline(LINE_MAX + 1)
                continue
            ended = line.endswith(b"\n")
            yield number, line.rstrip(b"\n"), ended


def _record(raw: bytes, number: int) -> dict[str, Any] | str:
    """The record of one line, or why it is none."""
    if len(raw) > LINE_MAX:
        return f"a line over {LINE_MAX} bytes"
    try:
        record = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "not a JSON record"
    if not isinstance(record, dict):
        return "not a JSON object"
    version = record.get("v")
    if version != VERSION:
        if isinstance(version, int) and version > VERSION:
            return f"a record of version {version}, written by a newer newsletter"
        return "not a send record (no \"v\": 1)"
    if record.get("issue") != number:
        return f"a record of issue {record.get('issue')!r}, not of issue {number}"
    if record.get("event") not in EVENTS:
        return f"an unknown event {str(record.get('event'))[:20]!r}"
    for name in ("to", "message_id", "at"):
        value = record.get(name)
        if not isinstance(value, str) or not value or len(value) > 1000:
            return f"a record without a valid {name!r}"
    for name in ("content", "reply"):
        if not isinstance(record.get(name, ""), str):
            return f"a record whose {name!r} is not text"
    return record


def read_state(path: Path, number: int) -> LogState:
    """The log of issue ``number`` read back (an empty state when there is none). Raises
    DamagedLog, naming the line, for a line that is not one of its records."""
    fd = _open_for_reading(path)
    state = LogState()
    if fd is None:
        return state
    try:
        state.size = os.fstat(fd).st_size
        pending: list[tuple[int, bytes, str]] = []
        for line_number, raw, ended in _lines(fd):
            if pending:  # a bad line with more after it: not a torn end
                bad_line, _, why = pending[0]
                raise DamagedLog(f"{_shown(path)}:{bad_line}: {why}; the send log is damaged: "
                                 "look at it before sending (nothing was sent)")
            record = _record(raw, number)
            if isinstance(record, str):
                pending.append((line_number, raw, record))
                continue
            if not ended:
                state.ends_without_newline = True
            _apply(state, record)
        if pending:
            bad_line, raw, why = pending[0]
            # Only one of ours can be torn: a short line, the file's last, unfinished.
            if len(raw) <= LINE_MAX and not _ends_with_newline(fd, state.size):
                state.torn_tail = True  # the end of a run killed while writing it
            else:
                raise DamagedLog(f"{_shown(path)}:{bad_line}: {why}; the send log is damaged: "
                                 "look at it before sending (nothing was sent)")
    finally:
        os.close(fd)
    return state


def _ends_with_newline(fd: int, size: int) -> bool:
    return os.pread(fd, 1, size - 1) == b"\n"


def _apply(state: LogState, record: dict[str, Any]) -> None:
    key = record["to"]
    event = record["event"]
    previous = state.entries.get(key)
    entry = Entry(
        state={"sending": "uncertain", "sent": "sent", "failed": "failed"}.get(event, "failed"),
        message_id=record["message_id"], at=record["at"],
        content=record.get("content", ""), reply=record.get("reply", ""))
    if previous is not None and previous.state == "sent":
        return  # once sent, always sent: nothing later undoes a delivery
    if event in ("deferred", "unsent"):
        # Settles an intent: that attempt did not deliver. Before it the reader had
        # whatever the record before said (nothing, or a failure).
        if previous is not None and previous.state == "uncertain":
            entry = Entry("failed", previous.message_id, record["at"], previous.content,
                          record.get("reply", ""))
        elif previous is not None:
            return
    state.entries[key] = entry


class SendLog:
    """The log of one issue, open for appending and locked against a second send of the
    same issue. Use as a context manager; ``state`` is what it held when opened. The file
    itself is written through ``newsletter.write.append``."""

    def __init__(self, path: Path, number: int) -> None:
        self.path = path
        self.number = number
        self._file: AppendOnlyFile | None = None
        self.state = LogState()

    def __enter__(self) -> SendLog:
        folder = self.path.parent
        _refuse_link(folder)
        made = not folder.exists()
        if made:
            try:
                folder.mkdir(mode=0o700, parents=True)
                write_atomic(folder / ".gitignore", _GITIGNORE)
            except (OSError, WriteError) as exc:
                raise WriteError(f"{_shown(folder)}: cannot make the send log's folder: "
                                 f"{_reason(exc)}") from None
        elif not folder.is_dir():
            raise UsageError(f"{_shown(folder)} is not a folder; the send logs go there")
        try:
            self._file = AppendOnlyFile.open(self.path, mode=0o600)
        except NotRegularFile:
            raise UsageError(f"{_shown(self.path)} is not a regular file; the send log must "
                             "be one") from None
        except OSError as exc:
            _refuse_link(self.path)
            raise WriteError(f"{_shown(self.path)}: cannot open the send log: "
                             f"{exc.strerror or exc}") from None
        try:
            self._lock()
            self.state = read_state(self.path, self.number)
            if self.state.torn_tail:
                self._drop_torn_tail()
            elif self.state.ends_without_newline:
                self._write(b"\n")
            if made:
                sync_directory(folder)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # the lock goes with it
            self._file = None

    def _lock(self) -> None:
        assert self._file is not None
        if not self._file.try_lock():
            raise UsageError(f"{_shown(self.path)}: another 'newsletter send' of issue "
                             f"{self.number} is running; wait for it to end")

    def _drop_torn_tail(self) -> None:
        """Cut the unfinished last line a killed run left (never a whole record)."""
        assert self._file is not None
        try:
            self._file.drop_unfinished_line()
        except OSError as exc:
            raise WriteError(f"{_shown(self.path)}: cannot drop the torn last line of the "
                             f"send log: {exc.strerror or exc}") from None

    def _write(self, data: bytes) -> None:
        assert self._file is not None
        try:
            self._file.append(data)
        except OSError as exc:
            raise WriteError(f"{_shown(self.path)}: cannot write the send log "
                             f"({exc.strerror or exc}); stopped before sending more") from None

    def record(self, event: str, key: str, message_id: str, *, content: str = "",
               reply: str = "") -> None:
        """Append one record and fsync it: when this returns, it is on disk."""
        assert event in EVENTS
        record: dict[str, Any] = {"v": VERSION, "issue": self.number, "event": event,
                                  "to": key, "message_id": message_id, "at": now_utc()}
        if content:
            record["content"] = content
        if reply:
            record["reply"] = reply
        line = json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n"
        self._write(line.encode("ascii"))


def _reason(exc: OSError | WriteError) -> str:
    """The operating system's words for what failed (a WriteError carries its OSError)."""
    cause = exc if isinstance(exc, OSError) else exc.__cause__
    if isinstance(cause, OSError):
        return str(cause.strerror or cause)
    return str(exc)
