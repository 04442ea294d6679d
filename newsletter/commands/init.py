"""``newsletter init``: start a publication repository that checks itself."""


import os
from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands import completion
from newsletter.commands.common import guarded


def init(
    directory: Annotated[Path, typer.Argument(
        metavar="DIR", help="Where to create the publication.")] = Path("."),
    name: Annotated[str, typer.Option("--name", help="The publication's name (required "
                                      "unless DIR already has its newsletter.toml).")] = "",
    style: Annotated[str, typer.Option(
        "--style", help="Default house style of its issues.",
        autocompletion=completion.when_completing(completion.builtin_styles))] = "briefing",
    force: Annotated[bool, typer.Option(
        "--force", help="Replace files that already exist.")] = False,
    install_spec: Annotated[str | None, typer.Option(
        "--install", metavar="SPEC", help="The requirement the CI workflow pip-installs "
        "(default: this newsletter, from the git commit or archive it was installed from, "
        "else its version from PyPI), e.g. 'newsletter-composer>=0.1,<0.2'.",
        show_default=False)] = None,
    code_scanning: Annotated[bool, typer.Option(
        "--code-scanning", help="Also upload the problems as SARIF to GitHub code "
        "scanning (a second job, the only one allowed to write security events).")
    ] = False,
    pages: Annotated[bool, typer.Option(
        "--pages", help="Also write .github/workflows/pages.yml: on every push to main, "
        "build the site ('newsletter site') and publish it with GitHub Pages.")] = False,
) -> None:
    """Start a publication: newsletter.toml, issues/, JSON schemas for editors, a GitHub
    Actions workflow and a pre-commit hook that run 'newsletter check'.

    With --pages, a second workflow builds the site on every push to main and publishes it
    with GitHub Pages.

    Never replaces a file that exists unless --force: run again, it makes only what is
    missing (an interrupted init completes) and says what it kept.

    Example: newsletter init my-newsletter --name "AI Research Weekly" --style weekly
    """

    def run() -> None:
        from newsletter.create.init import init_publication
        from newsletter.create.install import check_spec, running_install
        from newsletter.create.workflow import PAGES_WORKFLOW, WORKFLOW
        from newsletter.entries.styles import load_style
        from newsletter.errors import UsageError

        # Run again in a publication, init keeps its newsletter.toml: no name is needed.
        if not name.strip() and (force or not os.path.lexists(directory / "newsletter.toml")):
            raise UsageError("--name is required: the publication's name")
        load_style(style)
        if install_spec is not None:
            spec, note = check_spec(install_spec), None
        else:
            chosen = running_install()
            spec, note = chosen.spec, chosen.note
        written, kept = init_publication(directory, name=name.strip(), style=style,
                                         force=force, install_spec=spec,
                                         code_scanning=code_scanning, pages=pages)
        from newsletter.entries.problems import printable

        # Paths as given (a folder name chosen by whoever made it), made printable.
        for path in written:
            typer.echo(f"created {printable(str(path))}")
        if note and any(path.as_posix().endswith((WORKFLOW, PAGES_WORKFLOW))
                        for path in written):
            typer.echo(f"newsletter: note: the workflow pip-installs {spec}: {note} "
                       "(--install SPEC chooses another)", err=True)
        if any(path.as_posix().endswith(PAGES_WORKFLOW) for path in written):
            typer.echo("newsletter: note: turn GitHub Pages on for the repository (Settings "
                       "> Pages > Source: GitHub Actions) before the first push to main",
                       err=True)
        for path in kept:
            if Path(os.path.abspath(path)).is_relative_to(os.path.abspath(directory)):
                typer.echo(f"kept {printable(str(path))} (it exists; --force replaces it)")
            else:  # the repository's own file, at its root: never replaced
                typer.echo(f"kept {printable(str(path))} (the repository's own; merge in "
                           "what this publication needs by hand)")
        if not _has_issues(directory / "issues"):
            first = directory / "issues" / "001"
            typer.echo(f"next: newsletter new-issue {printable(str(first))} --number 1")

    guarded(run)


def _has_issues(folder: Path) -> bool:
    """Whether ``folder`` holds anything but the .gitkeep init puts there."""
    try:
        with os.scandir(folder) as found:
            return any(entry.name != ".gitkeep" for entry in found)
    except OSError:
        return False
