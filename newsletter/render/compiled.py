"""Compiled templates kept between runs: the bundled styles compile once a version, not once
a command (a tenth of a rebuild of the site, and of each ``render`` of one issue).

Jinja's bytecode cache, in the user's cache folder (``$XDG_CACHE_HOME/newsletter/
templates/``), for the bundled templates only: a publication's own templates come with
pull requests and are compiled in the sandbox on every run. Jinja keys a compiled template
by its name and file and checks it against its source and Jinja's and Python's versions,
but not against the environment's options (a template included by both the text and the
HTML formats compiles differently with and without autoescape): each set of options has a
folder of its own.

What is kept is code (marshal, with a pickled checksum), so a folder is used only when it
and the two above it are this user's and no one else may write into them (no link either);
anything else, and any error reading or writing it, only means compiling again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from functools import cache
from pathlib import Path
from typing import Any


def _own_folder(path: Path) -> bool:
    """Whether ``path`` is a folder (not a link) of this user's that no one else may
    write into."""
    try:
        status = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid()
            and not status.st_mode & 0o022)


@cache
def bytecode_cache(options: str) -> Any:
    """A ``jinja2.BytecodeCache`` for an environment whose options are described by
    ``options``, or None where none can be kept safely."""
    if not hasattr(os, "getuid"):  # not POSIX: no owner to check; compile each run
        return None
    import jinja2

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    top = Path(base) / "newsletter" / "templates"
    folder = top / hashlib.sha256(options.encode()).hexdigest()[:16]
    # Each of the three made 0700 here: makedirs would give all but the last the umask's
    # mode, 0775 under Debian's user-private groups, and such a folder is refused below.
    with contextlib.suppress(OSError):
        os.makedirs(base, exist_ok=True)
    for path in (top.parent, top, folder):
        with contextlib.suppress(OSError):
            os.mkdir(path, mode=0o700)
    if not all(map(_own_folder, (top.parent, top, folder))):
        return None

    class QuietCache(jinja2.FileSystemBytecodeCache):
        """A cache that is never a reason to fail: what cannot be read is compiled."""

        def load_bytecode(self, bucket: Any) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # a file cut short or garbled: Jinja's own checks raise
                bucket.reset()

        def dump_bytecode(self, bucket: Any) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    return QuietCache(str(folder))


def cache_options(**options: Any) -> str:
    """What ``bytecode_cache`` is told of an environment: its options, in order."""
    return repr(sorted((name, repr(value)) for name, value in options.items()))
