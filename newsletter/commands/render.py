"""``newsletter render``: an issue in its house style, as Markdown, text, HTML or email."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from newsletter.commands.common import fail, guarded, no_empty
from newsletter.render.registry import format_help

if TYPE_CHECKING:
    from newsletter.entries.loading import LoadedIssue
    from newsletter.entries.problems import Problem
    from newsletter.entries.styles import Style

# Shown one by one before a summary takes over: enough to see the pattern, not a wall.
_EXAMPLE_LINES = 3


def render(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The issue directory.")],
    output_format: Annotated[str, typer.Option(
        "--format", "-f", help=f"Output format: {format_help()}.")] = "md",
    style: Annotated[str | None, typer.Option(
        "--style", help="Render in this house style instead of the issue's own.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (atomically) instead of stdout.")] = None,
    subject: Annotated[str | None, typer.Option(
        "--subject", help="Email subject (default: the issue's title).")] = None,
    sender: Annotated[str | None, typer.Option(
        "--from", help="Email From header (default: email_from in newsletter.toml).")] = None,
    recipients: Annotated[str | None, typer.Option(
        "--to", help="Email To header (default: email_to in newsletter.toml; none: the "
        "message has no To, for a mail tool or ESP to fill in).")] = None,
) -> None:
    """Render an issue in its house style. Refuses an issue that does not check.

    Examples: newsletter render examples/weekly --format text  |  newsletter render
    issues/012 --format md --style cto-briefing --output issue-012.md  |  newsletter
    render issues/012 --format email --from "Editor <ed@example.com>" --to
    list@example.com --output issue-012.eml
    """
    style = no_empty(style)

    def run() -> None:
        from newsletter.check.issue import check_with_style
        from newsletter.entries.loading import find_issue_dirs, load_issue
        from newsletter.entries.problems import has_errors
        from newsletter.errors import UsageError
        from newsletter.render import MailHeaders, render_document
        from newsletter.render.registry import issue_formats

        if output_format not in issue_formats():
            raise UsageError(f"--format must be one of {', '.join(issue_formats())}, "
                             f"not '{output_format}'")
        issue_dirs = find_issue_dirs([directory])
        if len(issue_dirs) != 1 or issue_dirs[0].resolve() != directory.resolve():
            raise UsageError(f"{directory}: not an issue directory (no issue.toml in it)")
        loaded = load_issue(directory)
        problems, chosen = check_with_style(loaded, style)
        if has_errors(problems) or chosen is None:
            _print_refusal(problems, loaded, chosen if style else None)
            named = f" in style '{style}'" if style else ""
            fail(f"{directory}: cannot render{named}: fix the problems above first")
        document = render_document(loaded, chosen, output_format, headers=MailHeaders(
            subject=subject, sender=sender, recipients=recipients))
        if output is None:
            sys.stdout.buffer.write(document)
            sys.stdout.flush()
        else:
            from newsletter.write.atomic import write_atomic

            write_atomic(output, document)
            typer.echo(f"wrote {output}", err=True)

    guarded(run)


def _print_refusal(problems: "list[Problem]", loaded: "LoadedIssue",
                   style: "Style | None") -> None:
    """The problems that stop a render. Papers that lack what another style needs may be
    fine for their own: that is said once, with a few examples, not a line per paper."""
    from newsletter.check.issue import missing_paper_fields
    from newsletter.entries.problems import sort_problems

    lacking: dict[Path, list[str]] = {}
    if style is not None:
        for source in loaded.paper_sources:
            missing = missing_paper_fields(style, source.data)
            if missing:
                lacking[source.path] = missing
    summarised = [p for p in sort_problems(problems)
                  if p.rule == "style-requires" and p.path in lacking]
    if len(summarised) <= _EXAMPLE_LINES:
        summarised = []
    for problem in sort_problems(problems):
        if problem not in summarised:
            typer.echo(problem.as_text(), err=True)
    if summarised:
        assert style is not None
        fields = [name for name in dict.fromkeys(
            name for missing in lacking.values() for name in missing)]
        typer.echo(f"{len(summarised)} papers lack what '{style.name}' needs: "
                   f"{', '.join(fields)}; for example:", err=True)
        for problem in summarised[:_EXAMPLE_LINES]:
            typer.echo(f"  {problem.as_text()}", err=True)
