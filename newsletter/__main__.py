"""``python -m newsletter`` and the ``newsletter`` console script.

Imports the CLI inside ``main``: Ctrl-C while typer is still being imported then ends the
run quietly with status 130, like Ctrl-C anywhere else, instead of with a traceback.
"""

import signal
import sys


def main() -> None:
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
        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    main()
