"""The job summary of ``check --format github``: every problem, as a Markdown table.

GitHub shows at most 10 annotations of each kind per step; the summary
(``$GITHUB_STEP_SUMMARY``) lists them all. Paths and messages are written by whoever opened
the pull request, so each goes in a code span, where Markdown makes no link, image, HTML
or emphasis of anything, with its pipes escaped so it stays in its cell.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from newsletter.check.report import github_path
from newsletter.entries.problems import Problem, Severity, printable, sort_problems, summary

# GitHub takes up to 1 MiB per step; a table a reader can scroll is far less.
MAX_BYTES = 256 * 1024
# A message longer than this is cut: it still says what is wrong, and where.
MAX_MESSAGE = 500

_HEADER = "| File | Line | Severity | Rule | Message |\n| --- | ---: | --- | --- | --- |\n"


def code_span(text: str) -> str:
    """``text`` shown literally in a Markdown table cell, whatever it holds."""
    text = printable(text).replace("|", "\\|")  # one line; the table's own escape for a pipe
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    # One space inside each end: CommonMark strips exactly those, and a backtick at the
    # start or end of the text can then not join the fence.
    return f"{fence} {text} {fence}"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1] + "…"


def _row(problem: Problem) -> str:
    severity = "error" if problem.severity is Severity.ERROR else "warning"
    return (f"| {code_span(github_path(problem.path))} | {problem.line}:{problem.column} "
            f"| {severity} | {code_span(problem.rule)} | {code_span(_cut(problem.message))} |\n")


def summary_markdown(problems: list[Problem], files_checked: int,
                     max_bytes: int = MAX_BYTES) -> str:
    """The summary: a heading, the one-line count, and a row per problem for as many as fit
    in ``max_bytes`` (UTF-8), then how many more the step's log has."""
    text = f"\n### newsletter check\n\n{summary(problems, files_checked)}\n"
    if not problems:
        return text
    text += "\n" + _HEADER
    ordered = sort_problems(problems)
    # Room for the closing line, whatever the count.
    budget = max_bytes - len(text.encode()) - 100
    shown = 0
    for problem in ordered:
        row = _row(problem)
        size = len(row.encode())
        if size > budget:
            break
        text += row
        budget -= size
        shown += 1
    if shown < len(ordered):
        text += f"\n… and {len(ordered) - shown} more: the log of this step lists every one.\n"
    return text


def append_step_summary(problems: list[Problem], files_checked: int) -> str | None:
    """Append the summary to ``$GITHUB_STEP_SUMMARY`` when it is set; what went wrong in
    one line if it could not be written (the check itself is still reported)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY", "")
    if not target:
        return None
    text = summary_markdown(problems, files_checked)
    try:
        with Path(target).open("a", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        return f"cannot write the job summary to {printable(target)}: {exc.strerror or exc}"
    return None
