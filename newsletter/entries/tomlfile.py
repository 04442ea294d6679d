"""Read one TOML entry file into Python data, turning every way it can fail into a Problem.

Parsing is done by toml-rs (Rust's ``toml`` crate) in TOML 1.0 mode, the grammar of
Python's tomllib: about five times faster than tomli on a paper file, and parsing decides
how long ``check`` takes over thousands of entries. A text it refuses is parsed again by
tomli, the upstream of tomllib, for the wording and position of the error that editors know
(its ``lineno``/``colno`` exist on Python 3.11 too). tomli also reads TOML 1.1; a file that
only TOML 1.1 allows is refused with toml-rs's position. tests/test_toml_parity.py holds
the proof that we accept and refuse what tomllib does, with the same data.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.entries.problems import Problem

# A paper file is 1-2 KB. Anything near this size is a mistake (a pasted PDF, a log), and
# reading it whole would be slow for no benefit.
MAX_FILE_BYTES = 1_000_000

_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Source:
    """A TOML file as read: its path, its text (for positions) and its data."""

    path: Path
    text: str
    data: dict[str, Any]


def _problem(path: Path, message: str, rule: str, line: int = 1, column: int = 1) -> Problem:
    return Problem(path=path, line=line, column=column, message=message, rule=rule)


def _line_col_of_offset(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return line, column


def read_bytes(path: Path) -> tuple[bytes | None, Problem | None]:
    """The file's bytes, or the one problem that stops us reading them.

    One open and one fstat per file: checking with exists()/is_dir() first would cost
    several system calls for each of thousands of entries.
    """
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        if path.is_symlink():
            return None, _problem(path, "is a broken symbolic link", "file-unreadable")
        return None, _problem(path, "file not found", "file-unreadable")
    except IsADirectoryError:
        return None, _problem(path, "is a directory, expected a TOML file", "file-unreadable")
    except OSError as exc:
        return None, _problem(path, f"cannot be read: {exc.strerror or exc}", "file-unreadable")
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            return None, _problem(path, "is a directory, expected a TOML file",
                                  "file-unreadable")
        if not stat.S_ISREG(status.st_mode):  # a FIFO or device would block or never end
            return None, _problem(path, "is not a regular file", "file-unreadable")
        if status.st_size > MAX_FILE_BYTES:
            return None, _problem(
                path, f"is too large to be an entry ({status.st_size:,} bytes; the limit is "
                f"{MAX_FILE_BYTES:,})", "file-too-large")
        # os.read, not a buffered file object: one system call for a small entry, and
        # no object to build for each of thousands of files.
        chunks = []
        room = MAX_FILE_BYTES + 1
        while room > 0:
            chunk = os.read(fd, min(room, status.st_size + 1 if not chunks else 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            room -= len(chunk)
        return b"".join(chunks), None
    except OSError as exc:
        return None, _problem(path, f"cannot be read: {exc.strerror or exc}", "file-unreadable")
    finally:
        os.close(fd)


def decode(path: Path, raw: bytes) -> tuple[str | None, Problem | None]:
    """UTF-8 text without a leading byte-order mark, or the problem that prevents it."""
    # Positions are counted after the (invisible) byte-order mark, as an editor shows them.
    raw = raw.removeprefix(_BOM.encode("utf-8"))
    nul = raw.find(b"\0")
    if nul != -1:
        line, column = _line_col_of_offset(raw, nul)
        return None, _problem(path, "contains a NUL byte; is this a binary file?",
                              "encoding", line, column)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_col_of_offset(raw, exc.start)
        return None, _problem(
            path, f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            "encoding", line, column)
    # Editors on Windows add a BOM; it carries no meaning, so the file is accepted.
    return text, None


def parse(path: Path, text: str) -> tuple[dict[str, Any] | None, Problem | None]:
    import toml_rs

    if text.startswith(_BOM):  # a second one: tomllib refuses it, toml-rs would skip it
        return None, _syntax_problem(path, text, ValueError("a byte-order mark"))
    try:
        data = toml_rs.loads(text, toml_version="1.0.0")
    except Exception as exc:  # TOMLDecodeError, or a ValueError from an impossible date
        return None, _syntax_problem(path, text, exc)
    # Deep nesting is refused by its depth, not by whichever parser's recursion limit comes
    # first. Nesting takes brackets or dotted keys, so counting them is a cheap gate.
    if _could_be_too_deep(text) and _depth(data) > _DEPTH_LIMIT:
        return None, _too_deep_problem(path, text)
    return data, None


def _syntax_problem(path: Path, text: str, refusal: Exception) -> Problem:
    """The error tomli gives for a text toml-rs refused, or toml-rs's own if tomli reads
    the text (TOML 1.1 syntax, which tomli accepts and tomllib does not)."""
    import tomli

    try:
        tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        message = exc.msg[:1].lower() + exc.msg[1:]
        if message == "illegal character '\\n'":
            message = "the line ends inside a string: is a closing quote missing?"
        return _problem(path, f"invalid TOML: {message}", "toml-syntax",
                        *_clamp(text, exc.lineno or 1, exc.colno or 1))
    except RecursionError:
        return _too_deep_problem(path, text)
    reason = str(getattr(refusal, "msg", refusal)).rsplit("\n", 1)[-1]
    reason = reason.removesuffix(", expected nothing")
    return _problem(path, f"invalid TOML: {reason} (TOML 1.1 syntax; newsletter reads TOML "
                    "1.0, as Python's tomllib does)", "toml-syntax",
                    *_clamp(text, getattr(refusal, "lineno", 1), getattr(refusal, "colno", 1)))


def _clamp(text: str, line: int, column: int) -> tuple[int, int]:
    """A parser can point past the end of the last line; an editor cannot go there."""
    lines = text.splitlines() or [""]
    width = len(lines[line - 1]) + 1 if line <= len(lines) else 1
    return line, min(column, width)


def _too_deep_problem(path: Path, text: str) -> Problem:
    line, column = _too_deep(text)
    return _problem(path, "invalid TOML: nested too deeply to read", "toml-syntax",
                    line, column)


_DEPTH_LIMIT = 100


def _could_be_too_deep(text: str) -> bool:
    return text.count("[") + text.count("{") + text.count(".") > _DEPTH_LIMIT


def _depth(value: Any) -> int:
    """How deep arrays and tables nest, without recursion (the value may be very deep)."""
    deepest, pending = 0, [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, list):
            continue
        depth += 1
        deepest = max(deepest, depth)
        pending.extend((child, depth) for child in item)
    return deepest


def _too_deep(text: str) -> tuple[int, int]:
    """Where array/table nesting first passes a depth no entry needs (quotes ignored)."""
    depth, line, column, quote = 0, 1, 0, ""
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        elif quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > _DEPTH_LIMIT:
                return line, column
        elif char in "]}":
            depth -= 1
    return 1, 1


def read_toml(path: Path, raw: bytes | None = None) -> tuple[Source | None, Problem | None]:
    """Read (unless ``raw`` holds the bytes already), decode and parse ``path``; exactly one
    of the pair is None."""
    text, problem = read_text(path, raw)
    if text is None:
        return None, problem
    data, problem = parse(path, text)
    if data is None:
        return None, problem
    return Source(path=path, text=text, data=data), None


def read_text(path: Path, raw: bytes | None = None) -> tuple[str | None, Problem | None]:
    """The file's text, read and decoded with every guard an entry gets; exactly one of the
    pair is None."""
    if raw is None:
        raw, problem = read_bytes(path)
        if raw is None:
            return None, problem
    return decode(path, raw)
