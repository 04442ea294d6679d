"""``newsletter styles``: the house styles, what each is, its formats and required fields."""

import sys
from pathlib import Path
from typing import Any

import typer

from newsletter.commands.common import guarded


def styles() -> None:
    """List the house styles, what each is, and the fields each requires.

    Example: newsletter styles
    """

    def run() -> None:
        from newsletter.entries.loading import find_publication_file, templates_of
        from newsletter.entries.styles import all_styles, style_folders

        own = templates_of(find_publication_file(Path.cwd()))
        builtin = style_folders()
        if sys.stdout.isatty():
            _table(all_styles(own), own, builtin)
            for line in _base_pieces(own):
                typer.echo(line)
            return
        from newsletter.entries.problems import printable

        # A publication's own style (its folder name, its description) comes with a pull
        # request: piped into a log or a terminal pager, it must not carry escapes either.
        for style in all_styles(own):
            typer.echo(printable(f"{style.name}"
                                 f"{_origin(style.name, style.folder, own, builtin)}")
                       + f"\n  {printable(style.description)}")
            typer.echo(f"  formats: {', '.join(style.formats)}")
            for kind, names in (("publication", style.requires_publication),
                                ("issue", style.requires_issue),
                                ("paper", style.requires_paper)):
                if names:
                    typer.echo(f"  {kind} requires: {', '.join(names)}")
            if style.requires_paper_not_featured is not None:
                typer.echo("  paper with featured = false requires: "
                           + ", ".join(style.requires_paper_not_featured))
            typer.echo("")
        for line in _base_pieces(own):
            typer.echo(line)

    guarded(run)


def _table(styles: list[Any], own: tuple[Path, ...], builtin: dict[str, Path]) -> None:
    """On a terminal: one row a style (rich, imported only here)."""
    from rich.console import Console
    from rich.table import Table

    from newsletter.entries.problems import printable

    table = Table(show_lines=True, header_style="bold")
    for column in ("style", "what it is", "formats", "each paper needs"):
        table.add_column(column, overflow="fold")
    for style in styles:
        needs = ", ".join(style.requires_paper)
        if style.requires_paper_not_featured is not None:
            needs += f" (short items: {', '.join(style.requires_paper_not_featured)})"
        table.add_row(printable(style.name + _origin(style.name, style.folder, own, builtin)),
                      printable(style.description), ", ".join(style.formats), needs)
    Console(highlight=False, markup=False, emoji=False).print(table)


def _origin(name: str, folder: Path, own: tuple[Path, ...], builtin: dict[str, Path]) -> str:
    """Where a publication's own style comes from, after its name; nothing for a built-in."""
    from newsletter.entries.problems import display_path

    if not any(folder.is_relative_to(root) for root in own):
        return ""
    verb = "overridden by" if name in builtin else "from"
    return f" ({verb} {display_path(folder)}/)"


def _base_pieces(own: tuple[Path, ...]) -> list[str]:
    """The shared pieces a publication's templates/_base overrides, and those it adds."""
    from newsletter.entries.problems import printable
    from newsletter.entries.styles import builtin_templates_dir

    builtin = builtin_templates_dir() / "_base"
    lines = []
    for root in own:
        base = root / "_base"
        if not base.is_dir():
            continue
        names = sorted(path.name for path in base.iterdir() if path.is_file())
        overridden = [name for name in names if (builtin / name).is_file()]
        added = [name for name in names if name not in overridden]
        if overridden:
            lines.append(f"base pieces overridden: {printable(', '.join(overridden))}")
        if added:
            lines.append(f"base pieces added: {printable(', '.join(added))}")
    return lines
