"""An append-only log file: opened O_APPEND, locked, each write whole and fsynced.

A log that says "this was done" must be on disk before the next thing is done, and must
never lose a line it already held. So the file is only ever opened for appending (every
write lands at its end, whoever else writes), each piece (whole lines, ending with a
newline) is written in full and fsynced before ``append`` returns, and a lock (on the
file itself, so no lock file is left behind) keeps a second writer out. The one change
that is not an append is cutting an unfinished last line, the end a killed writer left:
never past the last newline, so no whole line is lost.

The file is never reached through a symbolic link (O_NOFOLLOW) and must be a regular file.
Errors are the operating system's own (OSError), or NotRegularFile, for the caller to
word: what the log is for is the caller's to say.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from newsletter.write.atomic import describe_mode

_OPEN_FLAGS = (os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
               # Opening a named pipe planted there must not wait for a writer.
               | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
_CHUNK = 4096


class NotRegularFile(Exception):
    """The log's name is taken by something that is not a regular file (a folder, a pipe);
    nothing was written to it."""

    def __init__(self, path: Path, mode: int) -> None:
        super().__init__(f"{path}: is {describe_mode(mode)}, not a regular file")
        self.path = path
        self.mode = mode


class AppendOnlyFile:
    """One log file open for appending. Use as a context manager, or ``close`` it: the
    lock goes with the descriptor."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def open(cls, path: Path, *, mode: int = 0o600) -> AppendOnlyFile:
        """Open (or create, with ``mode``: 0600 unless told, whatever the umask allows
        more) the log at ``path``. A symbolic link there raises OSError (ELOOP) and is not
        followed; anything but a regular file raises NotRegularFile."""
        fd = os.open(path, _OPEN_FLAGS, mode)
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            os.close(fd)
            raise NotRegularFile(path, status.st_mode)
        return cls(path, fd)

    def __enter__(self) -> AppendOnlyFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._fd is None

    def fileno(self) -> int:
        if self._fd is None:
            raise ValueError(f"{self.path}: the log is closed")
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # the lock goes with it
            self._fd = None

    def try_lock(self) -> bool:
        """Take the exclusive lock without waiting: False when another holds it. Where
        there is no flock (Windows) there is no lock, and this says True."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            return True
        try:
            fcntl.flock(self.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def size(self) -> int:
        return os.fstat(self.fileno()).st_size

    def append(self, data: bytes) -> None:
        """Write all of ``data``, one or more whole lines (it ends with a newline), at the
        end and fsync it: when this returns, it is on disk. Raises OSError (a full disk),
        what was written so far left in place; ValueError for data that is no whole line,
        which would leave the log ending mid-line."""
        if not data.endswith(b"\n"):
            raise ValueError(f"{self.path}: a log is appended whole lines, ending with a "
                             "newline")
        fd = self.fileno()
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)

    def drop_unfinished_line(self) -> int:
        """Cut what follows the last newline (the line a writer killed while writing it
        left unfinished; everything, when there is no newline at all) and fsync: no whole
        line is ever cut. Returns the number of bytes cut."""
        fd = self.fileno()
        size = os.fstat(fd).st_size
        keep = size
        while keep > 0:
            start = max(0, keep - _CHUNK)
            data = os.pread(fd, keep - start, start)
            newline = data.rfind(b"\n")
            if newline != -1:
                keep = start + newline + 1
                break
            keep = start
        os.ftruncate(fd, keep)
        os.fsync(fd)
        return size - keep
