"""``newsletter schema``: the JSON Schema of an entry file, for editors and tools."""


from typing import Annotated

import typer

from newsletter.commands.common import guarded


def schema(
    kind: Annotated[str, typer.Argument(
        metavar="KIND", help="paper, issue or publication.")] = "paper",
) -> None:
    """Print the JSON Schema of an entry file, generated from the models.

    Editors use it for completion and inline errors (see the README).

    Example: newsletter schema paper > schemas/paper.schema.json
    """

    def run() -> None:
        from newsletter.entries.schema import KINDS, schema_json
        from newsletter.errors import UsageError

        if kind not in KINDS:
            raise UsageError(f"kind must be one of {', '.join(KINDS)}, not '{kind}'")
        typer.echo(schema_json(kind), nl=False)

    guarded(run)
