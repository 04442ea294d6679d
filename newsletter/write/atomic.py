"""Writing files so that nothing already on disk is lost or left half-written.

Every write goes to a temporary file in the target's directory, is flushed and fsynced,
then renamed (replace) or hard-linked (create, which fails if the name is taken) into place.

A rename puts a new regular file where the name was, so only a regular file (or a name not
taken yet) is ever replaced that way. A symbolic link is followed: the file it leads to is
replaced and the link kept. What is not a file (a named pipe, a terminal, /dev/null, or
/dev/stdout, whatever stdout is) is written into where it is, never swapped for a file; any
other device, a socket or a directory is refused. A temporary file a killed process left
behind is removed by a later write in its folder, once it is too old to be a live writer's.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from newsletter.errors import WriteError

# mkstemp names a temporary file prefix + 8 characters of this alphabet + suffix; ours are
# ".NAME." + those + ".tmp". Only a file that old is taken for an orphan: a writer holds
# its temporary file for milliseconds.
_TEMP_SUFFIX = ".tmp"
_TEMP_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
STALE_TEMP_SECONDS = 3600.0

# Character devices written into: /dev/null, and terminals (Linux majors: 4 the consoles
# and serial lines, 5 /dev/tty and /dev/ptmx, 136-143 pseudo-terminals). Any other (a
# watchdog, /dev/mem, a tape that rewinds on open) is refused before it is opened.
_TERMINAL_MAJORS = frozenset({4, 5, *range(136, 144)})


def _new_file_mode(path: Path) -> int:
    """The existing file's mode when replacing it; else what the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is one our writes give their temporary files."""
    if not (name.startswith(".") and name.endswith(_TEMP_SUFFIX)):
        return False
    base, dot, letters = name[1:-len(_TEMP_SUFFIX)].rpartition(".")
    return bool(dot and base) and len(letters) == 8 and set(letters) <= _TEMP_LETTERS


def remove_stale_temps(directory: Path, older_than: float = STALE_TEMP_SECONDS) -> list[Path]:
    """Remove the temporary files of ours in ``directory`` that a process killed between
    creating and renaming one left behind: regular files (a link is not followed), of this
    user, not written to for ``older_than`` seconds. Returns what was removed."""
    removed: list[Path] = []
    now = time.time()
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    try:
        entries = os.scandir(directory)
    except OSError:
        return removed
    with entries:
        for entry in entries:
            if not is_temp_name(entry.name):
                continue
            try:
                status = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if (stat.S_ISREG(status.st_mode) and (uid is None or status.st_uid == uid)
                    and now - status.st_mtime > older_than):
                with contextlib.suppress(OSError):  # gone already, or not ours to remove
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _temp_copy(path: Path, text: str | bytes, *, sync: bool = True,
               made: list[Path] | None = None) -> Path:
    """A hidden temporary file beside ``path`` holding ``text``, fsynced unless the caller
    makes it durable itself (``replace_files``, which passes ``made``: the copy is added
    to it the moment it exists, so that an interrupted caller can remove it)."""
    from newsletter.write.held import interrupts_held

    remove_stale_temps(path.parent)
    opened: list[tuple[Path, BinaryIO]] = []
    try:
        # Ctrl-C while mkstemp makes the file, before its name is known, would leave it.
        with interrupts_held():
            try:
                fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMP_SUFFIX,
                                            dir=path.parent)
            except OSError as exc:
                raise WriteError(f"{path}: cannot write here: {exc.strerror or exc}") from exc
            try:
                opened.append((Path(name), os.fdopen(fd, "wb")))
            except BaseException:
                os.close(fd)
                os.unlink(name)
                raise
            if made is not None:
                made.append(opened[0][0])
        temp, handle = opened[0]
        with handle:
            # mkstemp makes the file 0600; give it the mode a plain open() would have.
            os.chmod(temp, _new_file_mode(path))
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            if sync:
                os.fsync(handle.fileno())
    except BaseException as exc:
        for temp, handle in opened:
            handle.close()
            temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise WriteError(f"{path}: cannot write: {exc.strerror or exc}; "
                             "nothing was changed") from exc
        raise
    return temp


def sync_directory(directory: Path) -> None:
    """Make a rename, a creation or a removal in ``directory`` durable (fsync the folder).
    Best effort: not every platform can open a directory."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def describe_mode(mode: int) -> str:
    """What a file of ``mode`` is, in words: "a directory", "a named pipe", ..."""
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file")):
        if test(mode):
            return what
    return "not a regular file"


def _writable_in_place(status: os.stat_result) -> bool:
    """A named pipe, /dev/null or a terminal: written into, never replaced. Decided before
    opening it, as opening some devices already does something."""
    mode = status.st_mode
    if stat.S_ISFIFO(mode):
        return True
    if not stat.S_ISCHR(mode):
        return False
    with contextlib.suppress(OSError):
        if status.st_rdev == os.stat(os.devnull).st_rdev:
            return True
    # Elsewhere a terminal is told only once open (isatty, below).
    return (not sys.platform.startswith("linux")
            or os.major(status.st_rdev) in _TERMINAL_MAJORS)


def _write_in_place(path: Path, data: bytes, status: os.stat_result, *,
                    append: bool = False) -> None:
    """Write ``data`` into what ``path`` is, as ``>`` in a shell would, without blocking on
    a named pipe nobody reads."""
    if not stat.S_ISREG(status.st_mode) and not _writable_in_place(status):
        raise WriteError(f"{path}: is {describe_mode(status.st_mode)}; not writing to it")
    flags = (os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
             | (os.O_APPEND if append else 0))
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO and stat.S_ISFIFO(status.st_mode):
            raise WriteError(f"{path}: is a named pipe with no reader; start the reader "
                             "first (nothing was written)") from exc
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    try:
        opened = os.fstat(fd)
        if not os.path.samestat(opened, status):  # swapped for something else meanwhile
            raise WriteError(f"{path}: changed while being opened; nothing was written")
        if stat.S_ISCHR(opened.st_mode) and opened.st_rdev != os.stat(os.devnull).st_rdev \
                and not os.isatty(fd):
            raise WriteError(f"{path}: is a character device; not writing to it")
        # Non-blocking was for the open only: a slow reader is waited for, not failed.
        os.set_blocking(fd, True)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def _through_proc(path: Path) -> bool:
    """Whether ``path`` is, or links to, a process's file descriptor (/dev/stdout,
    /dev/fd/1, /proc/self/fd/1): its file is someone's open stream, written into (at its
    end) rather than replaced, so that ``--output /dev/stdout >> log`` keeps the log."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on links followed
        current = os.path.join(os.path.realpath(os.path.dirname(current)),
                               os.path.basename(current))
        if current.startswith(("/proc/", "/dev/fd/")):
            return True
        try:
            link = os.readlink(current)
        except OSError:
            return False
        current = os.path.join(os.path.dirname(current), link)
    return False


def _replaced_file(path: Path, status: os.stat_result | None) -> Path:
    """The file a rename must replace for ``path``: itself, or what its links lead to."""
    if not path.is_symlink():
        return path
    resolved = Path(os.path.realpath(path))
    if status is not None:
        try:
            same = os.path.samestat(status, os.stat(resolved))
        except OSError:
            same = False
        if not same:
            raise WriteError(f"{path}: a link whose file cannot be found; not writing "
                             "through it")
    return resolved


def make_folders(folder: Path) -> list[Path]:
    """Create ``folder`` and the missing folders above it (one made meanwhile by someone
    else is neither an error nor ours); the ones made, outermost first. When one cannot
    be made, those made are removed again."""
    missing = []
    current = folder
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    made: list[Path] = []
    for each in reversed(missing):
        try:
            each.mkdir()
        except FileExistsError:  # made by someone else meanwhile
            continue
        except OSError as exc:
            remove_folders(made)
            raise WriteError(f"{each}: cannot create the folder: "
                             f"{exc.strerror or exc}") from exc
        made.append(each)
    return made


def remove_folders(made: Sequence[str | os.PathLike[str]]) -> None:
    """Remove the folders ``made`` (outermost first) that are still empty, innermost
    first: undoing ``make_folders`` when what was to go into them did not."""
    for folder in reversed(made):
        with contextlib.suppress(OSError):  # not empty: someone else wrote there
            os.rmdir(folder)


def write_atomic(path: Path, text: str | bytes, *, make_parents: bool = False) -> None:
    """Replace (or create) ``path`` with ``text`` in one step.

    A symbolic link is followed and the file it leads to replaced (the link stays). A named
    pipe, /dev/null, a terminal or /dev/stdout is written into instead; any other kind of
    file is refused. With ``make_parents``, missing folders above ``path`` are created
    (and removed again if the write fails).
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        status: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        status = None
    except OSError as exc:  # a loop of links, a file where a folder should be
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    if status is not None and (not stat.S_ISREG(status.st_mode) or _through_proc(path)):
        _write_in_place(path, data, status, append=stat.S_ISREG(status.st_mode))
        return
    target = _replaced_file(path, status)
    if target != path and not target.parent.is_dir():
        # A dangling link does not get folders made for it wherever it points.
        raise WriteError(f"{path}: is a link to {target}, in a folder that does not exist")
    made = make_folders(target.parent) if make_parents else []
    try:
        temp = _temp_copy(target, data)
        try:
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        remove_folders(made)
        raise
    sync_directory(target.parent)


@functools.cache
def _filesystem_sync() -> Callable[[int], int] | None:
    """Linux's syncfs(2), which makes every write to one filesystem durable at once;
    None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        syncfs: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    return syncfs


def _sync_filesystems(folders: Iterable[Path], syncfs: Callable[[int], int]) -> None:
    """Wait until what was written under ``folders`` is on disk: one syncfs for each
    filesystem they are on."""
    import ctypes

    done: set[int] = set()
    for folder in folders:
        fd = os.open(folder, os.O_RDONLY)
        try:
            device = os.fstat(fd).st_dev
            if device not in done:
                if syncfs(fd) != 0:
                    code = ctypes.get_errno()
                    raise OSError(code, os.strerror(code))
                done.add(device)
        finally:
            os.close(fd)


def replace_files(files: Sequence[tuple[Path, bytes]], *, then: Callable[[], None] | None = None,
                  written: str = "every file was written first") -> None:
    """Replace (or create) each path with its bytes, each in one step, for the one kind of
    name the caller may give: a regular file or a free name (the site's output folder
    checks that). A link put in the way since is replaced, never followed.

    Every temporary copy is written first: when one cannot be, nothing is replaced and
    no copy is left. Then each is renamed into place, and ``then`` (what else completes
    the change) runs. From the first rename until ``then`` has run, Ctrl-C is held off
    (see ``held``), and arrives afterwards as InterruptedAfterWriting(``written``).
    Where syncfs(2) is, the waits for the disk are shared: the copies reach it together
    before the renames, the renames together after them; two waits for a build instead
    of two a file, which were most of the time of writing a site. Elsewhere each copy and
    each folder is fsynced."""
    from newsletter.write.held import interrupts_held

    syncfs = _filesystem_sync() if len(files) > 1 else None
    folders = list(dict.fromkeys(path.parent for path, _ in files))
    temps: list[Path] = []
    held = contextlib.ExitStack()
    try:
        for path, data in files:
            _temp_copy(path, data, sync=syncfs is None, made=temps)
        if syncfs is not None:
            _sync_filesystems(folders, syncfs)
        # Last in the block: an interrupt before the hold begins still removes the copies.
        held.enter_context(interrupts_held(written))
    except BaseException as exc:
        for temp in temps:
            temp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(f"{folders[0]}: cannot write: {exc.strerror or exc}; nothing "
                             "was changed") from exc
        raise
    with held:
        for index, ((path, _), temp) in enumerate(zip(files, temps, strict=True)):
            try:
                os.replace(temp, path)
            except OSError as exc:
                for left in temps[index:]:
                    left.unlink(missing_ok=True)
                raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        if syncfs is None:
            for folder in folders:
                sync_directory(folder)
        else:
            with contextlib.suppress(OSError):  # best effort, as sync_directory
                _sync_filesystems(folders, syncfs)
        if then is not None:
            then()


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
    sync_directory(path.parent)


def refuse_overwriting_inputs(output: Path, inputs: Iterable[Path]) -> None:
    """Raise WriteError if writing ``output`` would change one of ``inputs``: the same file
    by any name (a link, a hard link, another spelling of its path) or, for an input that is
    a folder, a file in it (an existing one, or a new one that would be read next time)."""
    try:
        written: os.stat_result | None = os.stat(output)
    except OSError:
        written = None
    where = os.path.realpath(output)
    for given in inputs:
        try:
            status = os.stat(given)
        except OSError:
            continue  # gone: nothing of it to lose
        if stat.S_ISDIR(status.st_mode):
            folder = os.path.realpath(given)
            if where == folder or where.startswith(folder.rstrip(os.sep) + os.sep) or (
                    written is not None and _hard_link_in(written, given)):
                raise WriteError(f"{output}: is in {given}, which the issue is rendered "
                                 "from; not writing there")
        elif where == os.path.realpath(given) or (
                written is not None and os.path.samestat(written, status)):
            same = "" if os.fspath(output) == os.fspath(given) else f" ({given})"
            raise WriteError(f"{output}: is one of the files the issue is rendered "
                             f"from{same}; not overwriting it")


def _hard_link_in(written: os.stat_result, folder: Path) -> bool:
    """Whether the file ``written`` is also a file somewhere under ``folder``."""
    if not stat.S_ISREG(written.st_mode) or written.st_nlink < 2:
        return False
    for root, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                if os.path.samestat(written, os.stat(os.path.join(root, name),
                                                     follow_symlinks=False)):
                    return True
    return False


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
