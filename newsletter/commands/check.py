"""``newsletter check``: validate and lint a publication, an issue, or single entry files."""


from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands.common import EXIT_PROBLEMS, guarded, no_empty


def check(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH", help="Issue directories, entry files, or folders to search for issues "
        "(default: the current directory).", show_default=False)] = None,
    style: Annotated[str | None, typer.Option(
        "--style", help="Check against this house style instead of the issue's own.")] = None,
    report_format: Annotated[str, typer.Option(
        "--format", help="text (path:line:col: severity: message [rule]), json, github "
        "(workflow commands that annotate a pull request) or sarif (SARIF 2.1.0).")
    ] = "text",
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

    Prints one line per problem, path:line:col: severity: message [rule], then a summary.
    Exit status: 0 clean (warnings allowed unless --strict), 1 problems, 2 usage error.

    Examples: newsletter check  |  newsletter check issues/012  |  newsletter check
    --format github --base origin/main  |  newsletter check --list-rules
    """
    style = no_empty(style)

    def run() -> None:
        import os

        from newsletter.check.report import FORMATTERS, REPORT_FORMATS
        from newsletter.check.run import check_paths
        from newsletter.entries.problems import Severity, has_errors, summary
        from newsletter.errors import UsageError

        if list_rules:
            from newsletter.check.rules import rule_table

            typer.echo(rule_table())
            return
        if report_format not in REPORT_FORMATS:
            raise UsageError(f"--format must be one of {', '.join(REPORT_FORMATS)}, "
                             f"not '{report_format}'")
        if jobs < 0:
            raise UsageError(f"--jobs must be 0 (one per CPU) or more, not {jobs}")
        found, files = check_paths(paths or [Path(".")], style, base, use_cache=not no_cache,
                                   jobs=jobs or os.cpu_count() or 1)
        output = FORMATTERS[report_format](found)
        if output or report_format in ("json", "sarif"):
            typer.echo(output)
        # Machine formats keep stdout parseable; the summary goes to stderr there.
        typer.echo(summary(found, files), err=report_format != "text")
        failing = has_errors(found) or (
            strict and any(p.severity is Severity.WARNING for p in found))
        if failing:
            raise typer.Exit(EXIT_PROBLEMS)

    guarded(run)
