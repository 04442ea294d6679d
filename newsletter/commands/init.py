"""``newsletter init``: start a publication repository that checks itself."""


from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands.common import guarded


def init(
    directory: Annotated[Path, typer.Argument(
        metavar="DIR", help="Where to create the publication.")] = Path("."),
    name: Annotated[str, typer.Option("--name", help="The publication's name.")] = "",
    style: Annotated[str, typer.Option(
        "--style", help="Default house style of its issues.")] = "briefing",
    force: Annotated[bool, typer.Option(
        "--force", help="Replace files that already exist.")] = False,
    install_spec: Annotated[str, typer.Option(
        "--install", help="What the CI workflow pip-installs to get newsletter.")
    ] = "newsletter",
) -> None:
    """Start a publication: newsletter.toml, issues/, JSON schemas for editors, a GitHub
    Actions workflow and a pre-commit hook that run 'newsletter check'.

    Never replaces a file that exists unless --force: run again, it makes only what is
    missing (an interrupted init completes) and says what it kept.

    Example: newsletter init my-newsletter --name "AI Research Weekly" --style weekly
    """

    def run() -> None:
        from newsletter.create.init import init_publication
        from newsletter.entries.styles import load_style
        from newsletter.errors import UsageError

        if not name.strip():
            raise UsageError("--name is required: the publication's name")
        load_style(style)
        written, kept = init_publication(directory, name=name.strip(), style=style,
                                         force=force, install_spec=install_spec)
        for path in written:
            typer.echo(f"created {path}")
        for path in kept:
            typer.echo(f"kept {path} (it exists; --force replaces it)")
        typer.echo(f"next: newsletter new-issue {directory / 'issues' / '001'} --number 1")

    guarded(run)
