"""``newsletter new-issue``: an issue folder whose issue.toml carries its style's fields."""

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands import completion
from newsletter.commands.common import EXIT_USAGE, fail, guarded


def _parse_date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"--date must be a date like 2026-04-19, not '{value}'", EXIT_USAGE)


def new_issue(
    directory: Annotated[Path, typer.Argument(
        metavar="DIR", help="Directory to create for the issue.")],
    style: Annotated[str | None, typer.Option(
        "--style", help="House style (default: the publication's style). "
        "See 'newsletter styles'.",
        autocompletion=completion.when_completing(completion.styles))] = None,
    number: Annotated[int | None, typer.Option(
        "--number", help="Issue number (default: one more than the highest sibling issue).")
    ] = None,
    date: Annotated[str | None, typer.Option(
        "--date", help="Publication date, YYYY-MM-DD (default: today).")] = None,
    title: Annotated[str | None, typer.Option("--title", help="The issue's headline.")] = None,
) -> None:
    """Create an issue directory with issue.toml (the style's fields, commented) and papers/.

    Refuses to overwrite an existing issue.

    Example: newsletter new-issue issues/012 --style briefing --number 12 --date 2026-03-16
    --title "This Week in Applied AI"
    """

    def run() -> None:
        from newsletter.create.new_issue import new_issue as create
        from newsletter.entries.loading import (
            find_publication_file,
            publication_defaults,
            templates_of,
        )
        from newsletter.entries.styles import load_style
        from newsletter.errors import UsageError

        default = publication_defaults(directory).get("style")
        style_name = style or (default if isinstance(default, str) else None)
        if style_name is None:
            raise UsageError("--style is required (no default style in a newsletter.toml "
                             "above the directory); see 'newsletter styles'")
        start = directory if directory.exists() else directory.parent
        chosen = load_style(style_name, templates_of(find_publication_file(start)))
        path = create(directory, chosen,
                      number=number,
                      date=_parse_date(date), title=title)
        typer.echo(f"created {path}")
        typer.echo(f"next: 'newsletter add-paper {directory} ...' for each paper; "
                   f"'newsletter preview {directory}' shows the draft as you write it, and "
                   "'newsletter check' lists what is still to fill in (warnings while "
                   'status = "draft", errors once "published")')

    guarded(run)
