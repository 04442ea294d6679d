"""``python -m newsletter`` and the ``newsletter`` console script.

Imports the CLI inside ``main``: Ctrl-C while typer is still being imported then ends the
run quietly with status 130, like Ctrl-C anywhere else, instead of with a traceback.
"""

import sys


def main() -> None:
    try:
        from newsletter.cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("newsletter: error: interrupted; nothing was written\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
