"""The site's output folder: where it may be, what is written into it, what is removed.

The folder is refused when it is, or holds, what the site is built from (the publication's
folder, an issue, a templates folder), or lies inside an issue. Inside it nothing is
written or removed through a symbolic link, and only a regular file is ever replaced, so
a link planted there (``issues -> ~``) cannot send a write or a removal elsewhere.

A file whose bytes would not change is not written (it keeps its modification time, and
a host that syncs by time uploads nothing). What the site wrote is listed, with the hash
of each file, in ``.newsletter-site.json``; the next build removes a file listed there
that it no longer makes (the page of an issue that is gone) only when its name is one
the site makes and its bytes are still those it wrote. The list is read as hostile input
(it is in a folder anyone may have written to): a name outside the site's own, a link, a
file someone else changed since, are left alone. Every write goes through
``newsletter.write.atomic``, every removal through ``newsletter.write.remove``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from newsletter.errors import UsageError, WriteError
from newsletter.write.atomic import make_folders, remove_folders, replace_files, write_atomic
from newsletter.write.remove import NotRemoved, remove_empty_folders, remove_file

MANIFEST = ".newsletter-site.json"
_MANIFEST_KIND = "newsletter-site"
_MANIFEST_FORMAT = 1
# A manifest of 100,000 issues is a few MB; a larger one is not ours, and not read.
_MANIFEST_MAX = 16 << 20

# Every name the site writes: removal never reaches past these.
SITE_FILES = frozenset({"index.html", "papers/index.html", "feed.xml", "rss.xml", "feed.json",
                        "sitemap.xml"})
_ISSUE_PAGE = re.compile(r"issues/[1-9][0-9]{0,17}/index\.html")


def site_name(name: str) -> bool:
    """Whether ``name`` (relative, '/'-separated) is one the site writes."""
    return name in SITE_FILES or _ISSUE_PAGE.fullmatch(name) is not None


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _make_folder(folder: str, made: list[str] | None) -> None:
    """Make ``folder`` inside the output folder and add it to ``made``."""
    try:
        os.mkdir(folder)
    except FileExistsError:
        raise WriteError(f"{folder}: cannot create the folder: it appeared meanwhile") from None
    except OSError as exc:
        raise WriteError(f"{folder}: cannot create the folder: {exc.strerror or exc}") from exc
    if made is not None:
        made.append(folder)


# The file descriptors of the locks this process holds: a forked child (a worker of
# --jobs, or anything a library user forks) closes its copies, so that a child outliving
# its parent does not hold the lock (closing a copy does not release the parent's).
_HELD_LOCKS: set[int] = set()


def _close_inherited_locks() -> None:
    for fd in list(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD_LOCKS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_inherited_locks)


@contextlib.contextmanager
def build_lock(output: Path) -> Iterator[None]:
    """Held by a build of the site into ``output`` from before it reads the folder until
    it has written it: a second build into the same folder at once is refused with a
    UsageError, instead of the two interleaving their writes and removals. A script that
    uploads the folder may hold it too, so that no build changes the site mid-upload.

    The lock is flock(2) on the output folder itself, which is made for it when missing:
    every build into the folder meets it, whoever runs it and whatever their environment,
    and it ends with the process that held it, however that ends. The folders made are
    removed again, if still empty, by the build that held the lock and before it lets go
    (a build that was refused leaves them to the one that holds them). Where there is no
    flock (Windows), or the file system has no locks, or the output is not a folder
    (which the build then refuses), there is no lock."""
    owner = os.getpid()
    real = os.path.realpath(output)
    made: list[str] = []
    fd = _locked_folder(output, real, made)
    try:
        yield
    finally:
        if os.getpid() == owner:  # not in a child forked meanwhile: the parent's to undo
            remove_folders(made)  # those the build wrote into are kept
            if fd is not None:
                _HELD_LOCKS.discard(fd)
                os.close(fd)


def _make_missing(real: str, made: list[str]) -> None:
    """Make the folder ``real`` and those above it that are missing, adding them to
    ``made``, outermost first."""
    made.extend(map(os.fspath, make_folders(Path(real))))


def _locked_folder(output: Path, real: str, made: list[str]) -> int | None:
    """An open descriptor of the folder ``real`` (made when missing, and added to
    ``made``), flocked; None where there can be no lock."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    for _ in range(3):
        _make_missing(real, made)
        try:
            fd = os.open(real, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            continue  # removed since it was made or seen: made again
        except OSError:
            return None  # not a folder (or a link put there since): the build refuses it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UsageError(f"{output}: another build of the site is writing this folder "
                             "now; run this one again when it has finished") from None
        except OSError:
            os.close(fd)
            return None  # a file system without locks: built as without flock
        # The folder locked must be the one the build writes: one removed by a build that
        # failed, and made again by another, is another folder, with another lock.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(real))
        except OSError:
            same = False
        if same:
            _HELD_LOCKS.add(fd)
            return fd
        os.close(fd)
    remove_folders(made)  # this build locked none of them
    raise UsageError(f"{output}: the folder keeps being replaced while this build starts; "
                     "run it again when nothing else writes there")


class OutputDir:
    """The output folder of one build (see the module's docstring)."""

    def __init__(self, path: Path, *, sources: Iterable[Path], protected: Iterable[Path]
                 ) -> None:
        """``sources``: folders the output must not be or hold (the publications');
        ``protected``: folders it must neither hold nor be inside (issues, templates)."""
        self.path = path
        try:
            status = os.stat(path)
        except FileNotFoundError:
            status = None
        except OSError as exc:
            raise WriteError(f"{path}: cannot use it as the output folder: "
                             f"{exc.strerror or exc}") from exc
        if status is not None and not stat.S_ISDIR(status.st_mode):
            raise UsageError(f"{path}: is not a folder; --output names the folder the site "
                             "is written into")
        # The folder itself may be a link (public -> /srv/www): followed once, here.
        self.real = os.path.realpath(path)
        for source in sources:
            where = os.path.realpath(source)
            if _inside(where, self.real):
                raise UsageError(f"{path}: holds {source}, which the site is built from; "
                                 "write the site to a folder of its own, e.g. public/")
        for folder in protected:
            where = os.path.realpath(folder)
            if _inside(self.real, where) or _inside(where, self.real):
                raise UsageError(f"{path}: is in or holds {folder}, which the site is built "
                                 "from; write the site to a folder of its own, e.g. public/")
        self._manifest: dict[str, str] = {}

    @contextlib.contextmanager
    def locked(self) -> Iterator[OutputDir]:
        """The folder locked for this build (``build_lock``), and what the last build
        wrote there read, as it is once no other build can be writing it."""
        with build_lock(self.path):
            self._manifest = self._read_manifest()
            yield self

    # ------------------------------------------------------------------ paths inside it

    def _walk(self, name: str, *, make: bool, made: list[str] | None = None) -> str | None:
        """The real path of ``name`` inside the folder, its folders made when ``make``
        (and added to ``made``, outermost first); None when a folder on the way is missing
        (and not made). A link, or a file where a folder should be, on the way refuses."""
        parts = name.split("/")
        current = self.real
        if make and not os.path.lexists(current):
            _make_missing(current, made if made is not None else [])
        for part in parts[:-1]:
            current = os.path.join(current, part)
            try:
                status = os.lstat(current)
            except FileNotFoundError:
                if not make:
                    return None
                _make_folder(current, made)
                continue
            except OSError as exc:
                raise WriteError(f"{current}: {exc.strerror or exc}") from exc
            if stat.S_ISLNK(status.st_mode):
                raise WriteError(f"{current}: is a link; the site writes nothing through "
                                 "links in its output folder")
            if not stat.S_ISDIR(status.st_mode):
                raise WriteError(f"{current}: is not a folder; the site needs one there")
        return os.path.join(current, parts[-1])

    def _regular(self, where: str) -> os.stat_result | None:
        """The file at ``where`` if it is a regular file, None if there is none; anything
        else (a link, a folder, a pipe) refuses."""
        try:
            status = os.lstat(where)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise WriteError(f"{where}: {exc.strerror or exc}") from exc
        if stat.S_ISLNK(status.st_mode):
            raise WriteError(f"{where}: is a link; the site replaces no link in its "
                             "output folder")
        if not stat.S_ISREG(status.st_mode):
            raise WriteError(f"{where}: is not a regular file; not replacing it")
        return status

    def read(self, name: str) -> bytes | None:
        """The bytes of a file the site wrote, if it is still there as a regular file."""
        where = self._walk(name, make=False)
        if where is None:
            return None
        try:
            if self._regular(where) is None:
                return None
            with open(where, "rb") as handle:
                return handle.read()
        except (OSError, WriteError):
            return None

    def unchanged(self, name: str, digest: str) -> bool:
        """Whether ``name`` holds what the last build wrote there, hashed ``digest``."""
        if self._manifest.get(name) != digest:
            return False
        data = self.read(name)
        return data is not None and sha256(data) == digest

    # ------------------------------------------------------------------ the build's writes

    def write_all(self, files: Mapping[str, bytes], kept: Mapping[str, str], *,
                  then: Callable[[], None] | None = None) -> tuple[
                      list[str], list[str], list[str]]:
        """Write ``files`` (name → bytes) where their bytes changed, keep ``kept`` (name →
        hash of what is there, checked unchanged), remove what the last build wrote and
        this one does not, then the manifest, then run ``then``. Returns (written,
        unchanged, removed). Ctrl-C from the first file put in place to the end of
        ``then`` arrives once they are done, as InterruptedAfterWriting."""
        written: list[str] = []
        same: list[str] = list(kept)
        # Every name is looked at before the first write, so that a link or a folder in
        # the way refuses the build with nothing written, not half of it.
        for name in [*sorted(files), MANIFEST]:
            where = self._walk(name, make=False)
            if where is not None:
                self._regular(where)
        changed: list[tuple[str, bytes]] = []
        made: list[str] = []
        now = {name: sha256(data) for name, data in files.items()} | dict(kept)
        removed: list[str] = []

        def finish() -> None:
            removed.extend(name for name in sorted(set(self._manifest) - set(now))
                           if self._remove(name, self._manifest[name]))
            try:
                self._write_manifest(now)
            except WriteError as exc:
                # After the renames: the files are new, which the message must not deny.
                raise WriteError(
                    f"{str(exc).removesuffix('; nothing was changed')}: the site's files were "
                    f"written, but not {MANIFEST}, the list of them that tells the next "
                    "build which pages to remove; build again once it can be written"
                ) from exc
            if then is not None:
                then()

        try:
            for name in sorted(files):
                data = files[name]
                where = self._walk(name, make=True, made=made)
                assert where is not None
                status = self._regular(where)
                if status is not None and status.st_size == len(data):
                    with open(where, "rb") as handle:
                        if handle.read() == data:
                            same.append(name)
                            continue
                changed.append((where, data))
                written.append(name)
            replace_files([(Path(where), data) for where, data in changed], then=finish,
                          written=f"{self.path} was written in full first")
        except BaseException:
            # A folder made for this build goes again when nothing was put into it.
            remove_folders(made)
            raise
        return written, sorted(same), removed

    def _write_manifest(self, files: dict[str, str]) -> None:
        manifest = {"kind": _MANIFEST_KIND, "format": _MANIFEST_FORMAT,
                    "files": dict(sorted(files.items()))}
        data = (json.dumps(manifest, indent=1, sort_keys=False) + "\n").encode("utf-8")
        where = self._walk(MANIFEST, make=True)
        assert where is not None
        if self.read(MANIFEST) != data:
            self._regular(where)
            write_atomic(Path(where), data)
        self._manifest = files

    def _remove(self, name: str, digest: str) -> bool:
        """Remove a file the last build wrote, if it is still its bytes; then its folder
        (an issue's), if that is left empty."""
        try:
            where = self._walk(name, make=False)
        except WriteError:
            return False
        if where is None:
            return False
        try:
            remove_file(Path(where), expected_sha256=digest)
        except NotRemoved:
            return False  # changed (or replaced) by someone else since: theirs now
        remove_empty_folders(Path(where).parent, up_to=Path(self.real))
        return True

    # ------------------------------------------------------------------ the manifest

    def _read_manifest(self) -> dict[str, str]:
        """What the last build wrote, name → hash, as far as the manifest can be believed:
        anything but a small regular JSON file of ours yields nothing, and a name the
        site does not write, or a hash that is not one, is dropped."""
        where = os.path.join(self.real, MANIFEST)
        try:
            fd = os.open(where, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                         | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return {}
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode) or status.st_size > _MANIFEST_MAX:
                return {}
            with os.fdopen(fd, "rb", closefd=False) as handle:
                raw = handle.read(_MANIFEST_MAX + 1)
        except OSError:
            return {}
        finally:
            os.close(fd)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return {}
        if not isinstance(data, dict) or data.get("kind") != _MANIFEST_KIND:
            return {}
        files = data.get("files")
        if not isinstance(files, dict):
            return {}
        return {name: digest for name, digest in files.items()
                if isinstance(name, str) and site_name(name) and isinstance(digest, str)
                and re.fullmatch(r"[0-9a-f]{64}", digest)}
