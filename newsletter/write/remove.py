"""Removing a file we wrote, and only that: never through a link, never what someone changed.

A file is removed only when it is a regular file (a symbolic link in its place is not
followed, and is not removed either: it is someone's) whose bytes still hash to what we
wrote there. The bytes are read through the descriptor that is checked, and the name is
checked to still be that same file just before it is unlinked, so a file swapped in
between is left alone. Folders left empty may be removed after it, up to (not including)
a folder the caller names, and only while they are empty.

Only the last part of the path is guarded against links: the folders on the way are the
caller's to check (``newsletter.publish.output`` walks them without following links).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from newsletter.errors import WriteError
from newsletter.write.atomic import describe_mode, sync_directory

# Read this much at a time while hashing: a stale page is small, a planted file may not be.
_CHUNK = 1 << 16


class NotRemoved(WriteError):
    """The file was left where it is; the message says why."""


def remove_file(path: Path, *, expected_sha256: str) -> None:
    """Remove ``path`` if it is a regular file whose bytes hash (SHA-256, hex) to
    ``expected_sha256``; raise NotRemoved, with nothing removed, if it is not there, is a
    link or anything but a regular file, holds other bytes, or cannot be removed."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise NotRemoved(f"{path}: is not there; nothing to remove") from None
    except OSError as exc:
        if os.path.islink(path):
            raise NotRemoved(f"{path}: is a symbolic link; not removing it") from None
        raise NotRemoved(f"{path}: cannot read it: {exc.strerror or exc}; not removing "
                         "it") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise NotRemoved(f"{path}: is {describe_mode(status.st_mode)}; not removing it")
        digest = hashlib.sha256()
        while chunk := os.read(fd, _CHUNK):
            digest.update(chunk)
    except OSError as exc:
        raise NotRemoved(f"{path}: cannot read it: {exc.strerror or exc}; not removing "
                         "it") from None
    finally:
        os.close(fd)
    if digest.hexdigest() != expected_sha256:
        raise NotRemoved(f"{path}: changed since it was written; not removing it")
    try:
        now = os.lstat(path)
    except OSError as exc:
        raise NotRemoved(f"{path}: {exc.strerror or exc}; not removing it") from None
    if not os.path.samestat(now, status):
        raise NotRemoved(f"{path}: was replaced while being read; not removing it")
    try:
        os.unlink(path)
    except OSError as exc:
        raise NotRemoved(f"{path}: cannot remove it: {exc.strerror or exc}") from None
    sync_directory(path.parent)


def remove_empty_folders(folder: Path, *, up_to: Path) -> list[Path]:
    """Remove ``folder`` and the folders above it while each is empty, stopping at the
    first that is not (or cannot be removed) and never removing ``up_to`` or anything
    outside it. Returns the folders removed, innermost first."""
    removed: list[Path] = []
    top = os.fspath(up_to)
    current = os.fspath(folder)
    while current != top and current.startswith(top.rstrip(os.sep) + os.sep):
        try:
            os.rmdir(current)  # only when empty
        except OSError:
            break
        removed.append(Path(current))
        current = os.path.dirname(current)
    if removed:
        sync_directory(Path(current))
    return removed
