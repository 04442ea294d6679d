"""Problems as text for people, JSON for tools, GitHub workflow commands, or SARIF 2.1.0."""

from __future__ import annotations

import json
import os
from pathlib import Path

from newsletter.entries.problems import (
    Problem,
    Severity,
    printable,
    relative_path,
    sort_problems,
)

REPORT_FORMATS = ("text", "json", "github", "sarif")


# Every path and message is passed through ``printable``: a file's name and what it says
# are chosen by whoever opened the pull request, and must not end a line, start a
# workflow command, colour the log or be a lone surrogate that UTF-8 cannot encode.


def _uri(path: Path) -> str:
    return printable(Path(relative_path(path)).as_posix())


def as_json(problems: list[Problem]) -> str:
    return json.dumps([
        {"path": _uri(p.path), "line": p.line, "column": p.column,
         "severity": p.severity.value, "rule": p.rule, "message": printable(p.message)}
        for p in sort_problems(problems)], indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    # Line breaks become %0D/%0A, which GitHub shows inside the annotation: they can never
    # end the command and start another ('::' at the start of a line). Every other control
    # character is shown escaped (an ESC would colour the log).
    text = "\n".join("\r".join(printable(piece) for piece in line.split("\r"))
                     for line in text.split("\n"))
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_path(path: Path) -> str:
    """``path`` as GitHub names a file of the repository: relative to ``$GITHUB_WORKSPACE``
    (where the repository is checked out) when it lies below it, so that a publication in
    a sub-folder, checked from there, still annotates the right file; else relative to the
    working directory."""
    workspace = os.environ.get("GITHUB_WORKSPACE", "")
    if workspace:
        absolute = os.path.abspath(path)
        # The workspace may be named through a link; the working directory never is.
        for root in dict.fromkeys((os.path.abspath(workspace), os.path.realpath(workspace))):
            try:
                if os.path.commonpath([absolute, root]) == root:
                    return Path(os.path.relpath(absolute, root)).as_posix()
            except ValueError:  # another drive on Windows
                continue
    return Path(relative_path(path)).as_posix()


def as_github(problems: list[Problem]) -> str:
    """Workflow commands: each problem shows on the pull request's diff at its line."""
    lines = []
    for p in sort_problems(problems):
        command = "error" if p.severity is Severity.ERROR else "warning"
        lines.append(
            f"::{command} file={_escape_property(github_path(p.path))},"
            f"line={p.line},col={p.column},"
            f"title={_escape_property(p.rule)}::{_escape_data(p.message)}")
    return "\n".join(lines)


def as_text(problems: list[Problem]) -> str:
    return "\n".join(p.as_text() for p in sort_problems(problems))


def as_sarif(problems: list[Problem]) -> str:
    from newsletter.check.sarif import sarif_log

    return sarif_log(problems)


FORMATTERS = {"text": as_text, "json": as_json, "github": as_github, "sarif": as_sarif}
