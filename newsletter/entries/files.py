"""Reading a file of the publication that someone else may have made: a regular file, at
most so many bytes, never a FIFO (which would wait for a writer) or a device (which would
never end). Each caller words the refusal for its own file (a .bib, a cache record).

Entry files have their own tuned reader (``tomlfile.read_bytes``), which reports problems
rather than raising.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class Refused(Exception):
    """Why ``read_regular`` did not read a file: ``reason`` is "link", "not-regular",
    "too-large" or "unreadable" (then ``detail`` is the system's words)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def read_regular(path: Path, limit: int, *, follow_links: bool = True) -> bytes | None:
    """The bytes of ``path``, None when it does not exist; raises Refused otherwise.
    ``follow_links=False`` refuses a symbolic link in place of the file itself."""
    # O_NONBLOCK: opening a FIFO must not wait for a writer; regular files ignore it.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if not follow_links and os.path.islink(path):
            raise Refused("link") from exc
        raise Refused("unreadable", exc.strerror or str(exc)) from exc
    # The kind of file before anything reads it: fdopen of a folder fails on its own.
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Refused("not-regular")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise Refused("too-large")
    return data
