"""The ``newsletter`` command: the typer app, its global options, and its commands.

Each command is a module of ``newsletter.commands`` that parses its flags, calls the
library and prints. Nothing heavy is imported here or there at module level (pydantic,
jinja2, markdown-it, tree-sitter load inside the commands that use them), so that
``newsletter --help`` starts about as fast as typer itself.
"""

import gc
import os
import sys
from functools import cache
from typing import Annotated, Any

import typer
import typer.core

from newsletter import __version__
from newsletter.commands import common

# Every command, in the order a week's work meets them, and the summary `newsletter --help`
# lists: the first paragraph of the docstring of function X in newsletter.commands.X (X is
# the name with '_' for '-', or as _FUNCTIONS says; tests/test_cli.py holds the two equal).
# A command's module is imported only when it runs or its own --help is asked for: building
# all of them for the top-level help cost a fifth of start-up.
COMMANDS: dict[str, str] = {
    "init": "Start a publication: newsletter.toml, issues/, JSON schemas for "
            "editors, a GitHub Actions workflow and a pre-commit hook that run "
            "'newsletter check'.",
    "new-issue": "Create an issue directory with issue.toml (the style's "
                 "fields, commented) and papers/.",
    "add-paper": "Add a paper to an issue as papers/NN-slug.toml (the next "
                 "number).",
    "import": "Import papers into an issue, prefilled from arXiv, Crossref or a "
              ".bib file.",
    "draft": "Draft the empty fields an issue's style needs, from each paper's "
             "abstract, by a model.",
    "review": "Review the fields a model drafted: each beside the paper's abstract, to "
              "accept or reject.",
    "check": "Validate publication, issue and paper files, each issue against "
             "its style, and lint.",
    "render": "Render an issue in its house style. Refuses an issue that does "
              "not check.",
    "preview": "Serve the issue's web page, email and Markdown on a local "
               "address, and update the open page by itself on every save of the issue, "
               "newsletter.toml or a template.",
    "send": "Send an issue by SMTP, one message per reader, and never twice: a send "
            "log records who was sent it.",
    "site": "Build the publication's static web archive, with Atom, RSS and JSON "
            "feeds that carry each issue whole.",
    "styles": "List the house styles, what each is, and the fields each "
              "requires.",
    "schema": "Print the JSON Schema of an entry file, generated from the "
              "models.",
}


# A command whose name is a Python keyword lives in a module named for what it does.
_FUNCTIONS = {"import": "import_papers"}


@cache
def command(name: str) -> typer.core.TyperCommand:
    """The click command ``name`` runs, built from its module on first use."""
    from importlib import import_module

    function = _FUNCTIONS.get(name, name.replace("-", "_"))
    one = typer.Typer(add_completion=False, rich_markup_mode=None,
                      pretty_exceptions_enable=False)
    one.command(name, cls=common.PlainHelpCommand)(
        getattr(import_module(f"newsletter.commands.{function}"), function))
    built = typer.main.get_command(one)
    assert isinstance(built, typer.core.TyperCommand)
    return built


class LazyCommands(typer.core.TyperGroup):
    """The app's commands, each built when it is run (see COMMANDS)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        # What click's would print, from the summaries instead of the built commands.
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, typer.core.TyperCommand(name, help=summary).get_short_help_str(limit))
                for name, summary in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="newsletter",
    cls=LazyCommands,
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


_COMPLETION_FLAGS = frozenset({"--install-completion", "--show-completion"})


def main() -> None:
    """Run the app on the command line's arguments (see ``newsletter.__main__``)."""
    # A young collection every 700 allocations (Python's default) was a tenth of the time
    # of loading and rendering, which make many short-lived objects and few cycles.
    gc.set_threshold(10_000, 10, 10)
    if os.environ.get(common.COMPLETE_VAR) or _COMPLETION_FLAGS.intersection(sys.argv[1:]):
        from newsletter.commands.completion import run_guarded

        run_guarded(app)  # a TAB, or an install: never a traceback
        return
    app()
