"""Problems found while loading and checking entries, as data, and their text form."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one file, at a 1-based line and column.

    ``end_line``/``end_column`` end the offending key or value when its span is known: the
    column just past its last character (as SARIF counts it), None where only a point is.
    """

    path: Path
    line: int
    column: int
    message: str
    rule: str
    severity: Severity = Severity.ERROR
    end_line: int | None = None
    end_column: int | None = None

    def display_path(self) -> str:
        """The path relative to the working directory when it lies below it, printable."""
        return display_path(self.path)

    def where(self) -> str:
        """``path:line:col: message``, for an error that stops a command."""
        return f"{self.display_path()}:{self.line}:{self.column}: {printable(self.message)}"

    def as_text(self) -> str:
        return (f"{self.display_path()}:{self.line}:{self.column}: "
                f"{self.severity.value}: {printable(self.message)} [{self.rule}]")


def relative_path(path: Path | str) -> str:
    """The path relative to the working directory when it lies below it, as it is (for
    tools that need the real name, such as a SARIF URI made from its bytes)."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return os.fspath(path)


def display_path(path: Path | str) -> str:
    """``relative_path``, printable: a file name is chosen by whoever made the file. One
    that starts with '::' is shown as './::...': at the start of a line of a GitHub
    Actions log, '::error ...::' would be read as a workflow command, not as a file."""
    shown = printable(relative_path(path))
    return f"./{shown}" if shown.startswith("::") else shown


# What must never reach a terminal, a log or a CI annotation raw: C0 and C1 controls and
# DEL (terminal escape sequences, forged line ends), the characters str.splitlines() and
# log readers also take for line ends (U+2028, U+2029), bidirectional controls (text shown
# in another order than it is read), and lone surrogates (a file name that is not UTF-8,
# decoded with surrogateescape), which cannot be written as UTF-8 at all.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                          r"\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character that could forge output shown as an escape
    (``\\n``, ``\\x1b``, ``\\u202e``, ``\\udcff``): one problem stays one line, and
    what a file says cannot move the cursor, recolour the terminal or reorder the line."""
    if text.isprintable():  # the common case, in C: nothing to escape
        return text
    return _UNPRINTABLE.sub(_escape, text)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (str(p.path), p.line, p.column, p.message))


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)


def summary(problems: list[Problem], files_checked: int) -> str:
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    files = f"{files_checked} file{'s' if files_checked != 1 else ''}"
    if not problems:
        return f"All good: {files} checked, no problems."
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] if errors else []
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"Found {' and '.join(parts)} in {files}."
