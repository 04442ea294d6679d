"""``newsletter styles``: the house styles, what each is, its formats and required fields."""


from pathlib import Path

import typer

from newsletter.commands.common import guarded


def styles() -> None:
    """List the house styles, what each is, and the fields each requires.

    Example: newsletter styles
    """

    def run() -> None:
        from newsletter.entries.loading import find_publication_file, templates_of
        from newsletter.entries.styles import all_styles

        for style in all_styles(templates_of(find_publication_file(Path.cwd()))):
            typer.echo(f"{style.name}\n  {style.description}")
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

    guarded(run)
