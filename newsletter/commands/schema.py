"""``newsletter schema``: the JSON Schema of an entry file, for editors and tools."""


from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands.common import guarded


def schema(
    kind: Annotated[str, typer.Argument(
        metavar="KIND", help="paper, issue or publication.")] = "paper",
) -> None:
    """Print the JSON Schema of an entry file, generated from the models.

    Editors use it for completion and inline errors (see the README). Its styles are
    those of the publication around the current directory (its own templates/ too).

    Example: newsletter schema paper > schemas/paper.schema.json
    """

    def run() -> None:
        from newsletter.entries.loading import find_publication_file
        from newsletter.entries.schema import KINDS, schema_json
        from newsletter.entries.styles import styles_of
        from newsletter.errors import UsageError

        if kind not in KINDS:
            raise UsageError(f"kind must be one of {', '.join(KINDS)}, not '{kind}'")
        styles = styles_of(find_publication_file(Path.cwd()))
        typer.echo(schema_json(kind, styles), nl=False)

    guarded(run)
