"""Shell completion: what TAB offers after ``--style`` and ``--format``, and the guard
around a completion run.

The shell runs ``newsletter`` with ``_NEWSLETTER_COMPLETE`` set on every TAB (typer's
protocol; ``newsletter --install-completion`` writes the script that does so). These
callbacks run then, inside the user's prompt: they never raise, never print, and offer
only names a shell cannot read as anything but a word. Imported by the command modules at
start-up, so this module imports nothing at its top beyond the standard library and typer.
"""

import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import typer

from newsletter.commands.common import COMPLETE_VAR

# Shown as suggestions, so also as words in the shell (zsh evaluates them): a style folder
# of a publication's own templates/ named '$(rm -rf ~)' or 'a\nb' is not offered.
# (A pattern string, compiled on first use by re's cache: not at start-up.)
_SAFE_WORD = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

Completer = Callable[..., list[str]]


def when_completing(callback: Completer) -> Completer | None:
    """``callback`` in a run the shell started to ask for completions, else None: typer
    inspects every callback's signature each time it builds the command line, which
    ``newsletter --help`` would pay for (a third of a millisecond) and never use."""
    return callback if os.environ.get(COMPLETE_VAR) else None


def _offer(names: Iterable[str], incomplete: str) -> list[str]:
    return [name for name in names
            if re.fullmatch(_SAFE_WORD, name) and name.startswith(incomplete)]


def _quietly(find: Callable[[], Iterable[str]], incomplete: str) -> list[str]:
    """The names ``find`` gives that start with ``incomplete``; none if anything fails (an
    unreadable folder, a vanished cwd): a traceback on the user's prompt helps nobody."""
    try:
        return _offer(find(), incomplete)
    except Exception:
        return []


def _start(ctx: typer.Context) -> Path:
    """Where to look for the publication: the path already typed on the line (render's
    DIR, check's first PATH), or the current directory."""
    typed: object = None
    for name in ("directory", "paths"):
        value = ctx.params.get(name)
        typed = typed or (value[0] if isinstance(value, list | tuple) and value else value)
    # Before the option being completed ('render DIR --style <TAB>'), the parser stops at
    # the option still lacking its value, and DIR is left over in ctx.args.
    typed = typed or next((arg for arg in ctx.args if not arg.startswith("-")), None)
    if not typed:
        return Path.cwd()
    path = Path(str(typed))
    while not path.exists() and path != path.parent:
        path = path.parent  # new-issue's DIR does not exist yet
    return path if path.is_dir() else path.parent


def styles(ctx: typer.Context, incomplete: str) -> list[str]:
    """Built-in styles and the publication's own (its templates/ folder). Only where the
    newsletter.toml is counts, not what it says: a broken one still gets the names."""

    def find() -> Iterable[str]:
        from newsletter.entries.loading import find_publication_file
        from newsletter.entries.styles import styles_of

        return styles_of(find_publication_file(_start(ctx)))

    return _quietly(find, incomplete)


def builtin_styles(incomplete: str) -> list[str]:
    """The built-in styles: what ``init --style`` accepts."""

    def find() -> Iterable[str]:
        from newsletter.entries.styles import style_folders

        return sorted(style_folders())

    return _quietly(find, incomplete)


def render_formats(incomplete: str) -> list[str]:
    """The formats ``render`` makes of one issue (newsletter/render/registry.py)."""

    def find() -> Iterable[str]:
        from newsletter.render.registry import issue_formats

        return issue_formats()

    return _quietly(find, incomplete)


def report_formats(incomplete: str) -> list[str]:
    """``check --format``: full, concise and the machine formats ('text' is concise's old
    name, accepted but not offered)."""

    def find() -> Iterable[str]:
        from newsletter.check.report import REPORT_FORMATS

        return ("full", "concise", *(name for name in REPORT_FORMATS if name != "text"))

    return _quietly(find, incomplete)


def colours(incomplete: str) -> list[str]:
    """``check --color``."""
    return _offer(("auto", "always", "never"), incomplete)


def run_guarded(app: Callable[[], None]) -> None:
    """Run the app for a shell's completion request or for ``--install-completion`` /
    ``--show-completion``, which typer handles. A completion request that fails gives no
    suggestions and prints nothing; an install that cannot write its files (a read-only
    home) is one line and exit 2, never a traceback."""
    completing = bool(os.environ.get(COMPLETE_VAR))
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if completing:
            sys.exit(1)
        from newsletter.entries.problems import printable

        typer.echo(f"newsletter: error: cannot set up shell completion: "
                   f"{printable(str(exc))}", err=True)
        sys.exit(2)
