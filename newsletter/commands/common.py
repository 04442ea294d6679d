"""What every command shares: exit statuses, the one-line error, and the error guard.

Library errors (``newsletter.errors``) become one line on stderr and an exit status; anything
else is a bug in newsletter and says so (exit 70), with ``--debug`` for the traceback.
"""

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import typer
import typer.core

# Set by the shell on every TAB (typer's protocol): the run is a completion request.
COMPLETE_VAR = "_NEWSLETTER_COMPLETE"

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

# Set by the root callback from --debug, read by the guard.
debug = False


def fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    from newsletter.entries.problems import printable

    # A message may quote a file's name or text: one line, and nothing a terminal obeys.
    typer.echo(f"newsletter: error: {printable(message)}", err=True)
    raise typer.Exit(code)


# Failures of the machine or its disk, never of newsletter, whichever file they hit.
_ENVIRONMENT_ERRORS = ("ENOSPC", "EDQUOT", "EFBIG", "EIO", "EROFS")


def _stdout_failed() -> bool:
    """Whether standard output cannot take what was written to it (a full disk, /dev/full):
    what is still buffered there is flushed again, and fails again if so."""
    try:
        sys.stdout.flush()
    except OSError:
        return True
    except ValueError:  # closed
        return True
    return False


def _silence_stdout() -> None:
    # What stays buffered in sys.stdout is flushed once more at exit; with nowhere to go,
    # Python would print a traceback of its own ("Exception ignored ...") and exit 120.
    import contextlib
    import os

    with contextlib.suppress(OSError, ValueError):  # no descriptor: output captured in-process
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def guarded(run: Callable[[], None]) -> None:
    """Run a command body; library errors become one line, anything else exit 70."""
    from newsletter.errors import NewsletterError, UsageError, WriteError
    from newsletter.write.held import forget_written, last_written

    forget_written()
    try:
        run()
        sys.stdout.flush()  # a write that fails on the last buffer fails here, not at exit
    except typer.Exit:
        raise
    except (UsageError, WriteError) as exc:
        # A file that cannot be written (full disk, read-only folder) is, like a wrong
        # flag, not a problem with the entries: exit 2, as for usage errors.
        fail(str(exc), EXIT_USAGE)
    except NewsletterError as exc:
        fail(str(exc), EXIT_PROBLEMS)
    except (KeyboardInterrupt, typer.Abort):
        # Ctrl-C anywhere, or Ctrl-C / Ctrl-D at a prompt (a prompt raises Abort for both).
        # After a change of several files went in place (the site), the message says so:
        # Ctrl-C while it went in place was held off until it had (InterruptedAfterWriting).
        done = last_written()
        fail(f"interrupted; {done or 'nothing was written'}", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (``newsletter check | head``): not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except OSError as exc:
        # Standard output on a full disk (``newsletter check > /dev/full``), or a disk that
        # fails under a file being read: the environment, not a bug. Exit 2, like a file
        # that cannot be written (WriteError). Every file newsletter writes itself turns
        # its OSError into a WriteError or a problem, so one without a file name that
        # reaches here was writing to standard output.
        import errno

        environment = exc.errno in {getattr(errno, name, None) for name in _ENVIRONMENT_ERRORS}
        if _stdout_failed() or (environment and not exc.filename):
            _silence_stdout()
            fail(f"cannot write to standard output: {exc.strerror or exc}", EXIT_USAGE)
        if environment:
            fail(f"{exc.filename}: {exc.strerror or exc}", EXIT_USAGE)
        if debug:
            raise
        _internal(exc)
    except Exception as exc:
        if debug:
            raise
        _internal(exc)


def _internal(exc: BaseException) -> NoReturn:
    fail(f"internal error ({type(exc).__name__}: {exc}); this is a bug in newsletter. "
         "Rerun with --debug for the traceback and report it.", EXIT_INTERNAL)


def no_empty(value: str | None) -> str | None:
    """``--style ""`` (an unset variable in a script) as if the flag were not given."""
    return value or None


# Typer's help names Python types (``--title <str>``, ``PATH... <list[Path]>``) and wraps a
# required argument in braces (``{DIR}``); people read metavars: TEXT, FILE, N, DIR.
_TYPE_WORDS = {"str": "TEXT", "path": "FILE", "int": "N", "float": "NUMBER",
               "list[str]": "TEXT", "list[Path]": "PATH", "list[path]": "PATH"}


def plain_help(text: str) -> str:
    """Help text with plain metavars instead of Python types, columns kept aligned."""
    import re

    def padded(match: re.Match[str], word: str) -> str:
        # Followed by the help column: pad to the old width, so the column stays put.
        aligned = match.string.startswith("  ", match.end())
        return word + " " * (len(match.group(0)) - len(word)) if aligned else word

    text = re.sub(r"\{([A-Z][A-Z_]*)\}", lambda m: padded(m, m.group(1)), text)
    # An argument's line names it already: "DIR <path>" is just DIR.
    text = re.sub(r"(?m)^(\s+[A-Z][A-Z_]*(?:\.\.\.)?) <[^>\n]+>",
                  lambda m: padded(m, m.group(1)), text)
    return re.sub(r" <(str|path|int|float|list\[str\]|list\[Path\]|list\[path\])>",
                  lambda m: padded(m, " " + _TYPE_WORDS[m.group(1)]), text)


class PlainHelpCommand(typer.core.TyperCommand):
    """A command whose --help shows plain metavars (see ``plain_help``)."""

    def get_help(self, ctx: Any) -> str:
        return plain_help(super().get_help(ctx))


def in_ci() -> bool:
    """A CI job (``CI`` or ``GITHUB_ACTIONS`` set): no person watches its terminal."""
    return any(os.environ.get(name, "").strip().lower() not in ("", "0", "false")
               for name in ("CI", "GITHUB_ACTIONS"))


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def progress_bar(label: str, show_from: int = 1) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr, told ``(done, total)``: on a terminal only (never in CI or
    a pipe, where it would be noise in a log), and only once the total reaches
    ``show_from``. rich is imported when the bar is first drawn."""
    if not sys.stderr.isatty() or in_ci():
        yield None
        return
    bar: list[Any] = []

    def advance(done: int, total: int) -> None:
        if not bar and total >= show_from:
            from rich.progress import Progress

            bar.append(Progress(transient=True, console=stderr_console()))
            bar[0].start()
            bar.append(bar[0].add_task(label, total=total))
        if bar:
            bar[0].update(bar[1], completed=done, total=total)

    try:
        yield advance
    finally:
        if bar:
            bar[0].stop()
