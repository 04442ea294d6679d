"""Writing files so that nothing already on disk is lost or left half-written.

Every write goes to a temporary file in the target's directory, is flushed and fsynced,
then renamed (replace) or hard-linked (create, which fails if the name is taken) into place.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from newsletter.errors import WriteError


def _new_file_mode(path: Path) -> int:
    """The existing file's mode when replacing it; else what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _temp_copy(path: Path, text: str | bytes) -> Path:
    """A fsynced hidden temporary file beside ``path`` holding ``text``."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError(f"{path}: cannot write here: {exc.strerror or exc}") from exc
    temp = Path(name)
    try:
        # mkstemp makes the file 0600; give it the mode a plain open() would have.
        os.chmod(temp, _new_file_mode(path))
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteError(f"{path}: cannot write: {exc.strerror or exc}; "
                             "nothing was changed") from exc
        raise
    return temp


def _sync_directory(directory: Path) -> None:
    # Make the rename itself durable; not every platform can open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, text: str | bytes) -> None:
    """Replace (or create) ``path`` with ``text`` in one step."""
    temp = _temp_copy(path, text)
    try:
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    _sync_directory(path.parent)


def create_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text``; raise FileExistsError if the name is already taken."""
    temp = _temp_copy(path, text)
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    finally:
        temp.unlink(missing_ok=True)
    _sync_directory(path.parent)


@contextlib.contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """Serialise writers of one directory (two editors adding papers at once).

    The lock is taken on the directory itself, so no lock file is left for git to see.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: exclusive create still prevents loss
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError as exc:
        raise WriteError(f"{directory}: cannot open it: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
