"""The ``newsletter`` command: the typer app, its global options, and its commands.

Each command is a module of ``newsletter.commands`` that parses its flags, calls the
library and prints. Nothing heavy is imported here or there at module level (pydantic,
jinja2, markdown-it, tree-sitter load inside the commands that use them), so that
``newsletter --help`` starts about as fast as typer itself.
"""

import os
import sys
from typing import Annotated

import typer

from newsletter import __version__
from newsletter.commands import (
    add_paper,
    check,
    common,
    completion,
    init,
    new_issue,
    preview,
    render,
    schema,
    styles,
)

app = typer.Typer(
    name="newsletter",
    help="Compose AI-research newsletters from one TOML file per paper.\n\n"
    "An issue is a directory with issue.toml and papers/*.toml; a newsletter.toml in it or "
    "above it holds the publication's defaults. Typical session:\n\n"
    "  newsletter new-issue issues/012 --style briefing --number 12\n\n"
    "  newsletter add-paper issues/012 --title ... --url ...\n\n"
    "  newsletter check issues/012\n\n"
    "  newsletter render issues/012 --format md --output issue-012.md",
    no_args_is_help=True,
    # --install-completion / --show-completion, for the shell it is run from: typer's,
    # whose machinery comes with `import typer` anyway (adding the options: ~0.1 ms).
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(ctx: typer.Context, value: bool) -> None:
    # Not while a shell asks what may follow '--version': the version is no suggestion.
    if value and not ctx.resilient_parsing:
        typer.echo(f"newsletter {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the Python traceback of an internal error.")] = False,
) -> None:
    common.debug = debug


# In the order a week's work meets them.
app.command("init", cls=common.PlainHelpCommand)(init.init)
app.command("new-issue", cls=common.PlainHelpCommand)(new_issue.new_issue)
app.command("add-paper", cls=common.PlainHelpCommand)(add_paper.add_paper)
app.command("check", cls=common.PlainHelpCommand)(check.check)
app.command("render", cls=common.PlainHelpCommand)(render.render)
app.command("preview", cls=common.PlainHelpCommand)(preview.preview)
app.command("styles", cls=common.PlainHelpCommand)(styles.styles)
app.command("schema", cls=common.PlainHelpCommand)(schema.schema)


_COMPLETION_FLAGS = frozenset({"--install-completion", "--show-completion"})


def main() -> None:
    """Run the app on the command line's arguments (see ``newsletter.__main__``)."""
    if os.environ.get(completion.COMPLETE_VAR) or _COMPLETION_FLAGS.intersection(sys.argv[1:]):
        completion.run_guarded(app)  # a TAB, or an install: never a traceback
        return
    app()
