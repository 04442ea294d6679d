"""``python -m newsletter`` and the ``newsletter`` console script.

Imports the CLI inside ``main``: Ctrl-C while typer is still being imported then ends the
run quietly with status 130, like Ctrl-C anywhere else, instead of with a traceback.
"""

import signal
import sys


def _unraisable(report: "sys.UnraisableHookArgs") -> None:
    # A Ctrl-C that lands while Python runs a weakref or __del__ callback (the worker pool
    # of check --jobs shutting down) cannot propagate, and Python would print it as an
    # "Exception ignored in ..." traceback after the command's own one-line message.
    if report.exc_type is not None and issubclass(report.exc_type, KeyboardInterrupt):
        return
    sys.__unraisablehook__(report)


def main() -> None:
    sys.unraisablehook = _unraisable
    try:
        from newsletter.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("newsletter: error: interrupted; nothing was written\n")
        sys.exit(130)
    try:
        run()
    finally:
        # The command is done and the interpreter is shutting down (joining threads,
        # flushing): a Ctrl-C now has nothing left to stop, only a traceback to print.
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        except KeyboardInterrupt:  # it came as the command ended: nothing left to stop
            signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    main()
