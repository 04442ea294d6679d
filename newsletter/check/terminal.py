"""Problems as a person at a terminal reads them best: a code frame per problem.

The way ruff, rustc and taplo print them: the severity and rule, the message, an arrow to
``path:line:col``, the source line with a caret under the offending span, and a ``help:``
line where the message carries a suggestion. rich colours it; it is imported only here,
and only when the frames are printed, so that ``--help`` and machine formats never pay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING

from newsletter.entries.problems import Problem, Severity, printable, sort_problems

if TYPE_CHECKING:
    from rich.text import Text

# "...; did you mean 'summary'?" and "... (see 'newsletter check --list-rules')" are help.
_HELP = re.compile(r"^(?P<message>.*?)(?:; (?P<help>did you mean .*)|"
                   r" \((?P<see>see '[^']+')\))$")
_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow"}
_BAR = "bold blue"


def span_at(line: str, column: int) -> int:
    """How many characters the caret covers from 1-based ``column``: a quoted string to
    its closing quote, a bracketed value to its closing bracket on the line, else the run
    of characters up to a space, comma or bracket. At least one."""
    start = column - 1
    if start >= len(line):
        return 1
    opening = line[start]
    if opening in "\"'":
        triple = line.startswith(opening * 3, start)
        end = line.find(opening * 3 if triple else opening, start + (3 if triple else 1))
        while not triple and end > 0 and opening == '"' and _escaped(line, end):
            end = line.find(opening, end + 1)
        if end == -1:
            return max(1, len(line) - start)
        return end + (3 if triple else 1) - start
    if opening in "[{":
        closing = "]" if opening == "[" else "}"
        end = line.rfind(closing)
        return end + 1 - start if end > start else max(1, len(line) - start)
    match = re.match(r"[^\s,\]\}=]+", line[start:])
    return len(match.group(0)) if match else 1


def _escaped(line: str, index: int) -> bool:
    backslashes = len(line[:index]) - len(line[:index].rstrip("\\"))
    return backslashes % 2 == 1


def _source_line(problem: Problem, cache: dict[str, list[str] | None]) -> str | None:
    key = str(problem.path)
    if key not in cache:
        from newsletter.entries.tomlfile import read_text

        text, _ = read_text(problem.path)
        cache[key] = text.splitlines() if text is not None else None
    lines = cache[key]
    if lines is None or not 1 <= problem.line <= len(lines):
        return None
    line = lines[problem.line - 1]
    if (problem.line, problem.column) == (1, 1) and (not line.strip() or line.startswith("#")):
        return None  # a problem of the whole file (something missing): no span to show
    return line


def frame(problem: Problem, source: str | None) -> Text:
    """One problem as a frame (rich Text: no markup is read from the message)."""
    from rich.text import Text

    message, help_text = problem.message, None
    found = _HELP.match(message)
    if found and (found.group("help") or found.group("see")):
        message = found.group("message")
        help_text = found.group("help") or found.group("see")
    style = _STYLES[problem.severity]
    out = Text()
    out.append(f"{problem.severity.value}[{problem.rule}]", style=style)
    out.append(f": {printable(message)}\n", style="bold")
    gutter = " " * len(str(problem.line))
    out.append(f"{gutter}--> ", style=_BAR)
    out.append(f"{problem.display_path()}:{problem.line}:{problem.column}\n")
    if source is not None:
        shown = printable(source)
        # Escapes widen what precedes the column: measure the caret's place in the shown text.
        before = printable(source[:problem.column - 1])
        width = len(printable(source[problem.column - 1:][:span_at(source, problem.column)]))
        out.append(f"{gutter} |\n", style=_BAR)
        out.append(f"{problem.line} | ", style=_BAR)
        out.append(f"{shown}\n")
        out.append(f"{gutter} | ", style=_BAR)
        out.append(" " * len(before) + "^" * max(1, width), style=style)
        out.append("\n")
    if help_text:
        out.append(f"{gutter} = ", style=_BAR)
        out.append("help", style="bold")
        out.append(f": {printable(help_text)}\n")
    return out


def print_frames(problems: Iterable[Problem], stream: IO[str], *, color: bool) -> None:
    """Every problem as a frame, a blank line between them."""
    from rich.console import Console

    console = Console(file=stream, force_terminal=color, no_color=not color,
                      highlight=False, soft_wrap=True, emoji=False, markup=False)
    cache: dict[str, list[str] | None] = {}
    for problem in sort_problems(list(problems)):
        console.print(frame(problem, _source_line(problem, cache)))
