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
import re
import stat
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.entries.problems import Problem

if TYPE_CHECKING:
    import re

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
    # Depth first, before any parser sees the text: toml-rs recurses once per array or
    # inline table and, past a few thousand, overflows its stack and kills the process
    # (SIGSEGV, no message). It also recovers from errors and parses on, so a file that is
    # wrong long before its nesting starts still reaches that recursion.
    could_be_too_deep = _could_be_too_deep(text)
    if could_be_too_deep:
        problem = _nesting_problem(path, text)
        if problem is not None:
            return None, problem
    import toml_rs

    if text.startswith(_BOM):  # a second one: tomllib refuses it, toml-rs would skip it
        return None, _syntax_problem(path, text, ValueError("a byte-order mark"))
    try:
        data = toml_rs.loads(text, toml_version="1.0.0")
    except Exception as exc:  # TOMLDecodeError, or a ValueError from an impossible date
        return None, _syntax_problem(path, text, exc)
    # The scan is exact for arrays, inline tables and dotted keys but only a bound for
    # tables under arrays of tables; this makes sure no data past the limit gets out.
    if could_be_too_deep and _depth(data) > _DEPTH_LIMIT:
        return None, _too_deep_problem(path, text, 0)
    return data, None


_CURLY_QUOTES = re.compile(r"=\s*[“”„‘’‚«»]")


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
        line, column = _clamp(text, exc.lineno or 1, exc.colno or 1)
        lines = text.splitlines()
        if line <= len(lines) and _CURLY_QUOTES.search(lines[line - 1]):
            # Text pasted from a document or a chat keeps its typographic quotes.
            message += "; text goes in straight quotes (\"...\"), not curly ones (“...”)"
        return _problem(path, f"invalid TOML: {message}", "toml-syntax", line, column)
    except RecursionError:
        return _too_deep_problem(path, text, 0)
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


def _too_deep_problem(path: Path, text: str, offset: int) -> Problem:
    return _problem(path, f"invalid TOML: nested too deeply (more than {_DEPTH_LIMIT} levels "
                    "of arrays, tables and dotted keys; no entry needs that many)",
                    "toml-syntax", *_line_col(text, offset))


def _line_col(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


# How deep a document may nest, counted as _depth counts it: the top-level table is 1, and
# each array, table or part of a dotted key below it one more. No entry comes near it;
# toml-rs overflowed its stack near 10,000, and tomli (on the error path) recurses in Python.
_DEPTH_LIMIT = 100


def _could_be_too_deep(text: str) -> bool:
    """False only when ``text`` certainly nests no deeper than the limit. Every level takes
    a '[', '{' or '.' outside strings, comments and atoms, so their count there bounds the
    depth; the count over the whole text is a cheaper bound to try first."""
    if text.count("[") + text.count("{") + text.count(".") < _DEPTH_LIMIT:
        return False
    code = _lexicon().strings_and_comments.sub("", text)
    if '"' in code or "'" in code:  # a string that does not close: leave it to the scan
        return True
    return code.count("[") + code.count("{") + code.count(".") >= _DEPTH_LIMIT


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


@dataclass(frozen=True, slots=True)
class _Lexicon:
    strings_and_comments: re.Pattern[str]
    line_start: re.Pattern[str]  # a [table] header or a key, after blank and comment lines
    inline_key: re.Pattern[str]  # a key in an inline table
    key_part: re.Pattern[str]
    # By where the scan is (top level "", in an array "[" or an inline table "{") and
    # whether it may skip arrays that hold no other: each skips what cannot change the
    # depth there and stops at the next character that can (or at the end of the text).
    values: dict[tuple[str, bool], re.Pattern[str]]


@cache
def _lexicon() -> _Lexicon:
    """The scan's patterns, compiled on first use (most runs never need them).

    They cut the text where toml-rs's lexer does: a token starting with a quote is a
    string, one starting with '#' a comment (to the next CR or LF), one of .=,[]{}, space,
    tab, CR and LF stand alone, and anything else is an atom (a bare key, a number, a date)
    that runs to the next of those, quotes included: in ``x"[["``, the brackets are code.
    Only a string that closes is skipped; where one does not, the scan stops (see
    _scan_nesting). Every repetition is possessive: no character is looked at more than a
    few times, whatever the text.
    """
    import re

    basic = r'"(?!"")(?>(?:[^"\\\n]++|\\[^\n])*)"'
    literal = r"'(?!'')[^'\n]*+'"
    ml_basic = r'"""(?>(?:[^"\\]++|\\[\s\S]|"(?!""))*)"{3,5}'
    ml_literal = r"'{3}(?>(?:[^']++|'(?!''))*)'{3,5}"
    comment = r"#[^\r\n]*+"
    atom = r"""[^.=,\[\]{} \t#\r\n'"][^.=,\[\]{} \t#\r\n]*+"""
    part = rf"(?:{atom}|{basic}|{literal})"
    key = rf"{part}(?>(?:[ \t]*+\.[ \t]*+{part})*)"
    blank = rf"(?>(?:[ \t\r\n]++|{comment})*)"
    skipped = f"{atom}|{ml_basic}|{ml_literal}|{basic}|{literal}|{comment}"

    # An array with no array or table in it is one level, whatever its length: skipping it
    # whole keeps the scan fast on 'a = [[], [], ...]'. (Not a table: its keys may nest.)
    flat = rf"(?P<flat>\[(?>(?:[.= \t,\r\n]++|{skipped})*)\]|\{{[ \t]*+\}})"

    def skipping(stops: str, skip_flat: bool) -> re.Pattern[str]:
        quiet = "".join(char for char in ".= \t,\r\n" if char not in stops)
        return re.compile(rf"(?>(?:[{quiet}]++|{skipped}{'|' + flat if skip_flat else ''})*)"
                          rf"(?P<stop>[\[\]{{}}\"'{stops}]|\Z)")

    return _Lexicon(
        strings_and_comments=re.compile(skipped),
        line_start=re.compile(
            rf"{blank}(?:\[\[[ \t]*+(?P<array>{key})[ \t]*+\]\]|\[[ \t]*+(?P<table>{key})"
            rf"[ \t]*+\]|(?P<key>{key})[ \t]*+=?)?"),
        inline_key=re.compile(rf"{blank}(?:(?P<key>{key})[ \t]*+=?)?"),
        key_part=re.compile(part),
        # A lone CR ends a statement for toml-rs as LF does.
        values={(where, skip_flat): skipping(stops, skip_flat)
                for where, stops in (("", "\r\n"), ("[", ""), ("{", ","))
                for skip_flat in (False, True)},
    )


def _parts(key: str) -> int:
    """How many parts a dotted key has (a quoted part may hold dots of its own)."""
    if '"' in key or "'" in key:
        return len(_lexicon().key_part.findall(key))
    return key.count(".") + 1


@dataclass(frozen=True, slots=True)
class _Nesting:
    deepest: int  # the deepest level seen before the scan stopped
    too_deep_at: int | None  # the offset where it went past the limit, if it did
    unsure: bool = False  # past the limit only if an unclosed string's brackets count


def _scan_nesting(text: str, limit: int = _DEPTH_LIMIT) -> _Nesting:
    """How deep ``text`` nests, found without parsing it, stopping once past ``limit``.

    Exact for valid TOML's arrays, inline tables and dotted keys; for tables under arrays
    of tables a bound (each length of [[header]] seen so far may add a level). On invalid
    text it never counts fewer levels than a parser that recovers from errors could reach:
    a closer that matches nothing open (or is of the other kind) closes nothing here, and
    from a one-line string that never closes on, every '[' and '{' counts and no closer.
    """
    lexicon = _lexicon()
    values = lexicon.values
    # Each open array or inline table: its bracket and the (level, extra) to return to.
    stack: list[tuple[str, int, int]] = []
    level = 1  # of the innermost open table or array; the document is 1
    extra = 0  # parts of the current dotted key beyond its first
    table = 1  # of the current [table], for the pairs under it
    array_lengths: set[int] = set()  # how many parts each [[array.of.tables]] had
    deepest = 1
    pos = 0
    expect_key = True
    while True:
        if expect_key:
            expect_key = False
            if stack:
                found = lexicon.inline_key.match(text, pos)
            else:
                found = lexicon.line_start.match(text, pos)
                header = found["array"] or found["table"]
                if header is not None:
                    parts = _parts(header)
                    if found["array"] is not None and parts <= limit:
                        array_lengths.add(parts)
                    level = table = 1 + parts + sum(1 for n in array_lengths if n <= parts)
                    extra = 0
                    deepest = max(deepest, level)
                    if level > limit:
                        return _Nesting(deepest, found.start("array" if found["array"]
                                                             else "table"))
                    pos = found.end()
                    continue
                level = table
            pos = found.end()
            if found["key"] is not None:
                extra = _parts(found["key"]) - 1
                deepest = max(deepest, level + extra)
                if level + extra > limit:
                    return _Nesting(deepest, found.start("key"))
            continue
        # Flat arrays are skipped only where one more level cannot pass the limit.
        inner = level + extra + 1
        skip_flat = inner <= limit
        found = values[stack[-1][0] if stack else "", skip_flat].match(text, pos)
        pos = found.end()
        if skip_flat and found["flat"] is not None:
            deepest = max(deepest, inner)
        stop = found["stop"]
        if not stop:
            return _Nesting(deepest, None)
        if stop in "[{":
            stack.append((stop, level, extra))
            level += extra + 1
            extra = 0
            deepest = max(deepest, level)
            if level > limit:
                return _Nesting(deepest, pos - 1)
            expect_key = stop == "{"
        elif stop in "]}":
            if stack and stack[-1][0] == ("[" if stop == "]" else "{"):
                _, level, extra = stack.pop()
        elif stop in ",\r\n":
            extra = 0
            expect_key = True
        else:  # a quote that opens a string with no end
            start = pos - 1
            bound = level + extra + text.count("[", start) + text.count("{", start)
            return _Nesting(max(deepest, bound), None, unsure=bound > limit)


def _nesting_problem(path: Path, text: str) -> Problem | None:
    """The problem of a text nested too deeply to give to a parser, or None."""
    nesting = _scan_nesting(text)
    if nesting.too_deep_at is not None:
        return _too_deep_problem(path, text, nesting.too_deep_at)
    if not nesting.unsure:
        return None
    # A string that never closes, and too many brackets after it to be sure: the text is
    # wrong either way, and tomli (pure Python: the recursion limit stops it, never a
    # crash) says where, as it does for any other syntax error.
    import tomli

    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        message = exc.msg[:1].lower() + exc.msg[1:]
        return _problem(path, f"invalid TOML: {message}", "toml-syntax",
                        *_clamp(text, exc.lineno or 1, exc.colno or 1))
    except RecursionError:
        return _too_deep_problem(path, text, 0)
    return _too_deep_problem(path, text, 0) if _depth(data) > _DEPTH_LIMIT else None


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
