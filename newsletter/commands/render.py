"""``newsletter render``: an issue in its house style, as Markdown, text, HTML or email."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from newsletter.commands import completion
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
        "--format", "-f", help=f"Output format: {format_help()}.",
        autocompletion=completion.when_completing(completion.render_formats))] = "md",
    style: Annotated[str | None, typer.Option(
        "--style", help="Render in this house style instead of the issue's own.",
        autocompletion=completion.when_completing(completion.styles))] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (atomically) instead of stdout.")] = None,
    subject: Annotated[str | None, typer.Option(
        "--subject", help="Email subject (default: the issue's title).")] = None,
    sender: Annotated[str | None, typer.Option(
        "--from", help="Email From header (default: email_from in newsletter.toml).")] = None,
    recipients: Annotated[str | None, typer.Option(
        "--to", help="Email To header (default: email_to in newsletter.toml; none: the "
        "message has no To, for a mail tool or ESP to fill in).")] = None,
    fragment: Annotated[bool, typer.Option(
        "--fragment", help="With --format html: the email's body alone, CSS inlined, no "
        "<html> or <head>, to paste into an email service (the html-fragment format).")
    ] = False,
) -> None:
    """Render an issue in its house style. Refuses an issue that does not check.

    Examples: newsletter render examples/weekly --format text  |  newsletter render
    issues/012 --format md --style cto-briefing --output issue-012.md  |  newsletter
    render issues/012 --format email --from "Editor <ed@example.com>" --to
    list@example.com --output issue-012.eml  |  newsletter render issues/012 --format html
    --fragment --output body.html
    """
    style = no_empty(style)

    def run() -> None:
        from newsletter.check.issue import check_with_style
        from newsletter.entries.loading import load_issue
        from newsletter.entries.problems import has_errors, sort_problems
        from newsletter.errors import UsageError
        from newsletter.render.document import MailHeaders, RenderWarning, render_document
        from newsletter.render.registry import fragment_of, issue_formats, with_fragments

        if output_format not in issue_formats():
            raise UsageError(f"--format must be one of {', '.join(issue_formats())}, "
                             f"not '{output_format}'")
        chosen_format = output_format
        if fragment:
            chosen_format = fragment_of(output_format) or ""
            if not chosen_format:
                raise UsageError(f"--fragment goes with --format "
                                 f"{' or '.join(with_fragments())}, not '{output_format}'")
        issue_dir = _one_issue(directory)
        loaded = load_issue(issue_dir)
        problems, chosen = check_with_style(loaded, style)
        if has_errors(problems) or chosen is None:
            _print_refusal(problems, loaded, chosen if style else None)
            named = f" in style '{style}'" if style else ""
            fail(f"{issue_dir}: cannot render{named}: fix the problems above first")
        # A draft renders without what it still lacks: say what was left out.
        for problem in sort_problems(problems):
            if problem.rule == "incomplete":
                typer.echo(problem.as_text(), err=True)
        warnings: list[RenderWarning] = []
        document = render_document(loaded, chosen, chosen_format, headers=MailHeaders(
            subject=subject, sender=sender, recipients=recipients), warnings=warnings)
        # What a reader would want fixed but need not stop the render (Gmail clipping).
        for warning in warnings:
            typer.echo(warning.as_text(), err=True)
        if output is None:
            sys.stdout.buffer.write(document)
            sys.stdout.flush()
        else:
            from newsletter.write.atomic import refuse_overwriting_inputs, write_atomic

            # --output issues/001/issue.toml must not turn the issue into Markdown.
            refuse_overwriting_inputs(output, [
                loaded.issue_path, *(source.path for source in loaded.paper_sources),
                *([loaded.publication_source.path] if loaded.publication_source else []),
                *loaded.template_dirs])
            write_atomic(output, document, make_parents=True)
            typer.echo(f"wrote {output}", err=True)

    guarded(run)


def _one_issue(path: Path) -> Path:
    """The issue ``path`` names: the folder itself, or the issue an entry file belongs to.
    A folder of several issues is refused with their names, to choose from."""
    from newsletter.entries.loading import find_issue_dirs
    from newsletter.entries.problems import display_path
    from newsletter.errors import UsageError

    found = find_issue_dirs([path])
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"{display_path(path)}: not an issue directory (no issue.toml in it "
                         "or below)")
    names = [display_path(issue) for issue in found]
    shown = ", ".join(names[-5:]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    raise UsageError(f"{display_path(path)} holds {len(found)} issues; render one of them: "
                     f"{shown}")


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
