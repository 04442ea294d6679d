"""``newsletter review``: read what a model drafted, beside the abstract, and accept it."""

import sys
import textwrap
from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands.common import EXIT_PROBLEMS, guarded


def review(
    issue: Annotated[Path, typer.Argument(metavar="ISSUE", help="The issue directory.")],
    papers: Annotated[list[str] | None, typer.Argument(
        metavar="PAPER", help="Only these papers: a file name or number. Default: all.",
        show_default=False)] = None,
    accept_all: Annotated[bool, typer.Option(
        "--accept-all", help="Mark every generated field as reviewed, without asking.")
    ] = False,
    list_only: Annotated[bool, typer.Option(
        "--list", help="List the fields still to review, and change nothing.")] = False,
) -> None:
    """Review the fields a model drafted: each beside the paper's abstract, to accept or reject.

    On a terminal, each generated field is shown under the paper's abstract: accept it (its
    name leaves generated, and check stops warning), reject it (the text is removed, to be
    written again), or skip it. Accepting a proposed score sets score. Without a terminal,
    --list shows what is left and --accept-all accepts everything.

    Example: newsletter review issues/012
    """

    def run() -> None:
        from newsletter.draft.review import settle, unreviewed
        from newsletter.draft.run import left_alone
        from newsletter.entries.problems import display_path, printable

        loaded, entries = unreviewed(issue, papers)
        for note in left_alone(loaded):
            typer.echo(f"newsletter: note: {printable(note)}", err=True)
        waiting = [entry for entry in entries if entry.names]
        if list_only or (not accept_all and not sys.stdin.isatty()):
            for entry in waiting:
                typer.echo(f"{display_path(entry.path)}: {', '.join(entry.names)}")
            count = sum(len(entry.names) for entry in waiting)
            typer.echo(f"{count} generated field{'s' if count != 1 else ''} to review")
            if not list_only and waiting:
                typer.echo("newsletter: error: not a terminal: review on one, or pass "
                           "--accept-all (or --list)", err=True)
                raise typer.Exit(EXIT_PROBLEMS)
            return
        accepted_count = rejected_count = 0
        for entry in entries:
            if accept_all:
                accepted, rejected = list(entry.names), []
            else:
                accepted, rejected = _ask(entry)
            if accepted or rejected or not entry.names:
                settle(entry, accepted, rejected)
                accepted_count += len(accepted)
                rejected_count += len(rejected)
                typer.echo(f"reviewed {display_path(entry.path)}: "
                           f"{len(accepted)} accepted, {len(rejected)} rejected")
        typer.echo(f"{accepted_count} accepted, {rejected_count} rejected")

    guarded(run)


def _wrapped(text: str, indent: str = "  ") -> str:
    from newsletter.entries.problems import printable

    return "\n".join(textwrap.fill(printable(" ".join(paragraph.split())), width=88,
                                   initial_indent=indent, subsequent_indent=indent)
                     for paragraph in text.split("\n\n") if paragraph.strip())


def _ask(entry: object) -> tuple[list[str], list[str]]:
    from newsletter.draft.review import Unreviewed
    from newsletter.entries.problems import display_path, printable

    assert isinstance(entry, Unreviewed)
    paper = entry.item.paper
    assert paper is not None
    typer.echo(f"\n== {display_path(entry.path)}: {printable(paper.title)}")
    if paper.abstract:
        typer.echo("abstract:\n" + _wrapped(paper.abstract))
    if paper.notes:
        typer.echo("notes:\n" + _wrapped(paper.notes))
    model = paper.generated_by.model if paper.generated_by else "a model"
    accepted: list[str] = []
    rejected: list[str] = []
    for name in entry.names:
        value = entry.item.source.data[name]
        typer.echo(f"\n{name} (written by {printable(model)}):")
        items = value if isinstance(value, list) else [value]
        for item in items:
            text = item if isinstance(item, str) else str(item)
            typer.echo(_wrapped(text, "  - " if isinstance(value, list) else "  "))
        answer = typer.prompt("accept, reject or skip? [a/r/s]", default="s",
                              show_default=False).strip().lower()
        if answer.startswith("a"):
            accepted.append(name)
        elif answer.startswith("r"):
            rejected.append(name)
    return accepted, rejected
