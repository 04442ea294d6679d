"""Problems found while loading and checking entries, as data, and their text form."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one file, at a 1-based line and column."""

    path: Path
    line: int
    column: int
    message: str
    rule: str
    severity: Severity = Severity.ERROR

    def display_path(self) -> str:
        """The path relative to the working directory when it lies below it."""
        try:
            return os.path.relpath(self.path)
        except ValueError:  # another drive on Windows
            return str(self.path)

    def where(self) -> str:
        """``path:line:col: message``, for an error that stops a command."""
        return f"{self.display_path()}:{self.line}:{self.column}: {_one_line(self.message)}"

    def as_text(self) -> str:
        return (f"{self.display_path()}:{self.line}:{self.column}: "
                f"{self.severity.value}: {_one_line(self.message)} [{self.rule}]")


def _one_line(message: str) -> str:
    # One problem, one line: a line break quoted from a file is shown escaped.
    return message.replace("\r", "\\r").replace("\n", "\\n")


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
    parts = [f"{errors} error{'s' if errors != 1 else ''}"]
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return f"Found {' and '.join(parts)} in {files}."
