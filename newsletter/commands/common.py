"""What every command shares: exit statuses, the one-line error, and the error guard.

Library errors (``newsletter.errors``) become one line on stderr and an exit status; anything
else is a bug in newsletter and says so (exit 70), with ``--debug`` for the traceback.
"""

import sys
from collections.abc import Callable
from typing import NoReturn

import typer

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

# Set by the root callback from --debug, read by the guard.
debug = False


def fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    typer.echo(f"newsletter: error: {message}", err=True)
    raise typer.Exit(code)


def guarded(run: Callable[[], None]) -> None:
    """Run a command body; library errors become one line, anything else exit 70."""
    from newsletter.errors import NewsletterError, UsageError, WriteError

    try:
        run()
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
        fail("interrupted; nothing was written", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (``newsletter check | head``): not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except Exception as exc:
        if debug:
            raise
        fail(f"internal error ({type(exc).__name__}: {exc}); this is a bug in newsletter. "
             "Rerun with --debug for the traceback and report it.", EXIT_INTERNAL)


def no_empty(value: str | None) -> str | None:
    """``--style ""`` (an unset variable in a script) as if the flag were not given."""
    return value or None
