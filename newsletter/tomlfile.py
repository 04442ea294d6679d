"""Read one TOML entry file into Python data, turning every way it can fail into a Problem.

Parsing uses tomli, the upstream of the standard library's tomllib: the same grammar, but
its decode errors carry ``lineno``/``colno`` on Python 3.11 too, and its wheels are compiled.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.problems import Problem

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
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(MAX_FILE_BYTES + 1), None
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
    import tomli

    try:
        return tomli.loads(text), None
    except tomli.TOMLDecodeError as exc:
        message = exc.msg[:1].lower() + exc.msg[1:]
        if message == "illegal character '\\n'":
            message = "the line ends inside a string: is a closing quote missing?"
        line = exc.lineno or 1
        lines = text.splitlines() or [""]
        # tomli can point past the end of the last line; an editor cannot go there.
        width = len(lines[line - 1]) + 1 if line <= len(lines) else 1
        return None, _problem(path, f"invalid TOML: {message}", "toml-syntax",
                              line, min(exc.colno or 1, width))
    except RecursionError:
        line, column = _too_deep(text)
        return None, _problem(path, "invalid TOML: nested too deeply to read", "toml-syntax",
                              line, column)


_DEPTH_LIMIT = 100


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


def read_toml(path: Path) -> tuple[Source | None, Problem | None]:
    """Read, decode and parse ``path``; exactly one of the pair is None."""
    raw, problem = read_bytes(path)
    if raw is None:
        return None, problem
    text, problem = decode(path, raw)
    if text is None:
        return None, problem
    data, problem = parse(path, text)
    if data is None:
        return None, problem
    return Source(path=path, text=text, data=data), None
