"""``newsletter check``: validate and lint a publication, an issue, or single entry files."""


import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands import completion
from newsletter.commands.common import (
    EXIT_PROBLEMS,
    guarded,
    in_ci,
    no_empty,
    progress_bar,
)


def _on_a_terminal() -> bool:
    """A person is reading: stdout is a terminal and this is not a CI job."""
    return sys.stdout.isatty() and not in_ci()


def _colour(when: str) -> bool:
    if when != "auto":
        return when == "always"
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")  # no-color.org


def _note(line: str) -> None:
    # stderr: stdout may be a machine format.
    typer.echo(f"newsletter: note: {line}", err=True)


def check(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH", help="Issue directories, entry files, or folders to search for issues "
        "(default: the current directory); a newsletter.toml or a file of the publication's "
        "templates/ checks the whole publication.", show_default=False)] = None,
    style: Annotated[str | None, typer.Option(
        "--style", help="Check against this house style instead of the issue's own.",
        autocompletion=completion.when_completing(completion.styles))] = None,
    report_format: Annotated[str | None, typer.Option(
        "--format", metavar="FORMAT", help="full (a code frame per problem; the default on a "
        "terminal), concise (path:line:col: severity: message [rule], a line each; the "
        "default otherwise and in CI; 'text' is its old name), json, github (workflow "
        "commands that annotate a pull request) or sarif (SARIF 2.1.0).",
        show_default=False,
        autocompletion=completion.when_completing(completion.report_formats))] = None,
    color: Annotated[str, typer.Option(
        "--color", metavar="WHEN", help="Colour the full format: auto (on a terminal, "
        "unless NO_COLOR is set), always or never.",
        autocompletion=completion.when_completing(completion.colours))] = "auto",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Warnings fail the check too.")] = False,
    base: Annotated[str | None, typer.Option(
        "--base", help="A git revision: report any change to an issue that was already "
        "published there.")] = None,
    list_rules: Annotated[bool, typer.Option(
        "--list-rules", help="Print every rule id, its severity and why it exists.")] = False,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Check every issue again instead of reusing the results of "
        "unchanged ones from .newsletter-cache/.")] = False,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", help="Check issues in this many processes (0: one per CPU). Pays "
        "off for hundreds of changed issues on an idle machine; serial by default.")] = 1,
) -> None:
    """Validate publication, issue and paper files, each issue against its style, and lint.

    Prints each problem as path:line:col: severity: message [rule] (on a terminal, with
    the lines around it: see --format), then a summary.
    Exit status: 0 clean (warnings allowed unless --strict), 1 problems, 2 usage error.

    Examples: newsletter check  |  newsletter check issues/012  |  newsletter check
    --format github --base origin/main  |  newsletter check --list-rules
    """
    style = no_empty(style)

    def run() -> None:
        from newsletter.check.report import FORMATTERS, REPORT_FORMATS
        from newsletter.check.run import check_paths
        from newsletter.entries.problems import Severity, has_errors, summary
        from newsletter.errors import UsageError

        if list_rules:
            from newsletter.check.rules import rule_table

            typer.echo(rule_table())
            return
        chosen = report_format or ("full" if _on_a_terminal() else "concise")
        if chosen == "text":
            chosen = "concise"
        formats = ("full", "concise", *(f for f in REPORT_FORMATS if f != "text"))
        if chosen not in formats:
            raise UsageError(f"--format must be one of {', '.join(formats)}, not "
                             f"'{report_format}'")
        if color not in ("auto", "always", "never"):
            raise UsageError(f"--color must be auto, always or never, not '{color}'")
        if jobs < 0:
            raise UsageError(f"--jobs must be 0 (one per CPU) or more, not {jobs}")
        with progress_bar("checking issues", show_from=50) as progress:
            found, files = check_paths(paths or [Path(".")], style, base,
                                       use_cache=not no_cache,
                                       jobs=jobs or os.cpu_count() or 1, progress=progress,
                                       note=_note)
        if chosen == "full":
            from newsletter.check.terminal import print_frames

            print_frames(found, sys.stdout, color=_colour(color))
        else:
            output = FORMATTERS["text" if chosen == "concise" else chosen](found)
            if output or chosen in ("json", "sarif"):
                typer.echo(output)
        # Machine formats keep stdout parseable; the summary goes to stderr there.
        typer.echo(summary(found, files), err=chosen not in ("full", "concise"))
        if chosen == "github":  # all problems in the job summary: annotations stop at 10
            from newsletter.check.summary import append_step_summary

            trouble = append_step_summary(found, files)
            if trouble:
                typer.echo(f"newsletter: warning: {trouble}", err=True)
        failing = has_errors(found) or (
            strict and any(p.severity is Severity.WARNING for p in found))
        if failing:
            raise typer.Exit(EXIT_PROBLEMS)

    guarded(run)
