"""The write primitives on their own: the append-only log (``newsletter.write.append``) and
the guarded removal (``newsletter.write.remove``), each asked to do what it must refuse."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from newsletter.errors import WriteError
from newsletter.write import append, atomic, remove
from newsletter.write.append import AppendOnlyFile, NotRegularFile
from newsletter.write.remove import NotRemoved, remove_empty_folders, remove_file


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------- the append-only log


def test_a_new_log_is_private_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    old = os.umask(0)
    try:
        with AppendOnlyFile.open(path):
            pass
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_opening_keeps_what_is_there_and_appends_after_it(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"one\n")
    with AppendOnlyFile.open(path) as log:
        # Another writer adds a line meanwhile: O_APPEND lands ours after it, not over it.
        with path.open("ab") as other:
            other.write(b"two\n")
        log.append(b"three\n")
        assert log.size() == len(b"one\ntwo\nthree\n")
    assert path.read_bytes() == b"one\ntwo\nthree\n"


def test_a_link_in_place_of_the_log_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_bytes(b"")
    link = tmp_path / "log.jsonl"
    link.symlink_to(target)
    with pytest.raises(OSError):
        AppendOnlyFile.open(link)
    assert target.read_bytes() == b"" and link.is_symlink()


def test_a_dangling_link_makes_no_file_where_it_points(tmp_path: Path) -> None:
    link = tmp_path / "log.jsonl"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OSError):
        AppendOnlyFile.open(link)
    assert not (tmp_path / "nowhere").exists()


def test_a_named_pipe_is_refused_without_waiting(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    os.mkfifo(path)
    with pytest.raises(NotRegularFile, match="a named pipe"):
        AppendOnlyFile.open(path)


def test_every_byte_is_written_and_fsynced_before_append_returns(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log.jsonl"
    calls: list[str] = []
    real_write, real_fsync = os.write, os.fsync

    def one_byte(fd: int, data: bytes) -> int:  # a short write, as a signal may cause
        calls.append("write")
        return real_write(fd, bytes(data[:1]))

    def fsync(fd: int) -> None:
        calls.append("fsync")
        real_fsync(fd)

    with AppendOnlyFile.open(path) as log:
        monkeypatch.setattr(append.os, "write", one_byte)
        monkeypatch.setattr(append.os, "fsync", fsync)
        log.append(b"abc\n")
    assert path.read_bytes() == b"abc\n"
    assert calls == ["write"] * 4 + ["fsync"]


def test_only_whole_lines_are_appended(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    with AppendOnlyFile.open(path) as log:
        for data in (b"", b"no newline"):
            with pytest.raises(ValueError):
                log.append(data)
        log.append(b"\n")
    assert path.read_bytes() == b"\n"


def test_a_full_disk_keeps_what_was_already_on_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"kept\n")

    def full(fd: int, data: bytes) -> int:
        raise OSError(28, "No space left on device")

    with AppendOnlyFile.open(path) as log:
        monkeypatch.setattr(append.os, "write", full)
        with pytest.raises(OSError, match="No space left"):
            log.append(b"lost\n")
    assert path.read_bytes() == b"kept\n"


def test_a_second_writer_is_locked_out_until_the_first_closes(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    first = AppendOnlyFile.open(path)
    assert first.try_lock()
    with AppendOnlyFile.open(path) as second:
        assert not second.try_lock()
    first.close()
    assert first.closed
    with AppendOnlyFile.open(path) as third:
        assert third.try_lock()


@pytest.mark.parametrize(("before", "after"), [
    (b"a\nb\ntorn", b"a\nb\n"),
    (b"a\nb\n", b"a\nb\n"),                      # nothing unfinished: nothing cut
    (b"torn", b""),                              # no newline at all
    (b"", b""),
    (b"x\n" + b"y" * 10_000, b"x\n"),            # the newline chunks back
    (b"x" * 5000 + b"\n" + b"z" * 5000, b"x" * 5000 + b"\n"),
])
def test_dropping_the_unfinished_line_cuts_no_whole_one(tmp_path: Path, before: bytes,
                                                        after: bytes) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(before)
    with AppendOnlyFile.open(path) as log:
        assert log.drop_unfinished_line() == len(before) - len(after)
        log.append(b"next\n")
    assert path.read_bytes() == after + b"next\n"


def test_a_closed_log_writes_nothing(tmp_path: Path) -> None:
    log = AppendOnlyFile.open(tmp_path / "log.jsonl")
    log.close()
    log.close()  # twice is harmless
    with pytest.raises(ValueError):
        log.append(b"late\n")


# ---------------------------------------------------------------- guarded removal


def test_a_file_holding_what_was_written_is_removed(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<p>old</p>")
    remove_file(path, expected_sha256=_sha(b"<p>old</p>"))
    assert not os.path.lexists(path)


def test_a_file_someone_changed_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<p>edited by hand</p>")
    with pytest.raises(NotRemoved, match="changed since"):
        remove_file(path, expected_sha256=_sha(b"<p>old</p>"))
    assert path.read_bytes() == b"<p>edited by hand</p>"


def test_a_link_is_neither_followed_nor_removed(tmp_path: Path) -> None:
    """Even when what it leads to holds exactly the expected bytes."""
    target = tmp_path / "precious"
    target.write_bytes(b"<p>old</p>")
    link = tmp_path / "page.html"
    link.symlink_to(target)
    with pytest.raises(NotRemoved, match="symbolic link"):
        remove_file(link, expected_sha256=_sha(b"<p>old</p>"))
    assert link.is_symlink() and target.read_bytes() == b"<p>old</p>"


@pytest.mark.parametrize("kind", ["missing", "folder", "pipe"])
def test_what_is_not_a_regular_file_is_left(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "page.html"
    if kind == "folder":
        path.mkdir()
    elif kind == "pipe":
        os.mkfifo(path)  # opened without waiting for a writer
    with pytest.raises(NotRemoved):
        remove_file(path, expected_sha256=_sha(b""))
    assert os.path.lexists(path) == (kind != "missing")
    assert issubclass(NotRemoved, WriteError)


def test_a_file_swapped_in_while_being_read_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<p>old</p>")
    newcomer = tmp_path / "newcomer"
    newcomer.write_bytes(b"<p>someone else's</p>")
    real_read = os.read

    def read_then_swap(fd: int, size: int) -> bytes:
        data = real_read(fd, size)
        if newcomer.exists():
            os.replace(newcomer, path)
        return data

    monkeypatch.setattr(remove.os, "read", read_then_swap)
    with pytest.raises(NotRemoved, match="replaced"):
        remove_file(path, expected_sha256=_sha(b"<p>old</p>"))
    assert path.read_bytes() == b"<p>someone else's</p>"


def test_empty_folders_go_up_to_the_one_named_and_no_further(tmp_path: Path) -> None:
    top = tmp_path / "public"
    (top / "issues" / "7").mkdir(parents=True)
    (top / "issues" / "8").mkdir()
    removed = remove_empty_folders(top / "issues" / "7", up_to=top)
    assert removed == [top / "issues" / "7"]  # issues/ still holds 8/
    assert (top / "issues" / "8").is_dir()
    assert remove_empty_folders(top / "issues" / "8", up_to=top) == [
        top / "issues" / "8", top / "issues"]
    assert top.is_dir()  # the folder named is never removed, empty or not


def test_no_folder_outside_the_one_named_is_removed(tmp_path: Path) -> None:
    (tmp_path / "public").mkdir()
    outside = tmp_path / "publicity" / "empty"
    outside.mkdir(parents=True)
    assert remove_empty_folders(outside, up_to=tmp_path / "public") == []
    assert outside.is_dir()


# ---------------------------------------------------------------- replace_files (the site)


def _pages(tmp_path: Path, count: int) -> list[tuple[Path, bytes]]:
    files = []
    for number in range(count):
        folder = tmp_path / "issues" / str(number)
        folder.mkdir(parents=True)
        (folder / "index.html").write_bytes(b"old %d" % number)
        files.append((folder / "index.html", b"new %d" % number))
    return files


def _leftovers(tmp_path: Path) -> list[str]:
    return sorted(path.name for path in tmp_path.rglob("*") if atomic.is_temp_name(path.name))


@pytest.mark.parametrize("shared_wait", [True, False], ids=["syncfs", "a-fsync-each"])
def test_every_file_is_replaced_and_no_copy_is_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_wait: bool) -> None:
    if not shared_wait:
        monkeypatch.setattr(atomic, "_filesystem_sync", lambda: None)
    files = [*_pages(tmp_path, 5), (tmp_path / "feed.xml", b"<feed/>")]
    (tmp_path / "issues" / "3" / "index.html").unlink()  # a page new to this build
    (tmp_path / "issues" / "4" / "index.html").unlink()
    (tmp_path / "issues" / "4" / "index.html").symlink_to(tmp_path / "feed.xml")
    atomic.replace_files(files)
    assert [path.read_bytes() for path, _ in files] == [data for _, data in files]
    assert not (tmp_path / "issues" / "4" / "index.html").is_symlink()  # replaced, not followed
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("shared_wait", [True, False], ids=["syncfs", "a-fsync-each"])
def test_a_copy_that_cannot_be_written_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_wait: bool) -> None:
    if not shared_wait:
        monkeypatch.setattr(atomic, "_filesystem_sync", lambda: None)
    files = _pages(tmp_path, 6)
    gone = files[3][0]
    gone.unlink()
    gone.parent.rmdir()  # its copy cannot be made: the folder is not there
    with pytest.raises(WriteError, match="cannot write here"):
        atomic.replace_files(files)
    assert [path.read_bytes() for path, _ in files if path != gone] == \
        [b"old %d" % n for n in range(6) if n != 3]
    assert _leftovers(tmp_path) == []


def test_a_rename_that_fails_names_its_file_and_leaves_no_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _pages(tmp_path, 5)
    real_replace = os.replace
    done: list[str] = []

    def third_fails(source: str | Path, target: str | Path) -> None:
        if len(done) == 2:
            raise OSError(30, "Read-only file system")
        done.append(str(target))
        real_replace(source, target)

    monkeypatch.setattr(atomic.os, "replace", third_fails)
    with pytest.raises(WriteError, match=r"issues/2/index\.html: cannot write: Read-only"):
        atomic.replace_files(files)
    assert [path.read_bytes() for path, _ in files] == [b"new 0", b"new 1", b"old 2",
                                                        b"old 3", b"old 4"]
    assert _leftovers(tmp_path) == []


def _interrupted_at_rename(monkeypatch: pytest.MonkeyPatch, at: int) -> list[str]:
    """A real Ctrl-C (SIGINT to this process) as the ``at``-th rename begins."""
    import signal

    real_replace = os.replace
    done: list[str] = []

    def interrupted(source: str | Path, target: str | Path) -> None:
        if len(done) == at:
            os.kill(os.getpid(), signal.SIGINT)
        done.append(str(target))
        real_replace(source, target)

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    return done


@pytest.mark.parametrize("shared_wait", [True, False], ids=["syncfs", "a-fsync-each"])
def test_ctrl_c_among_the_renames_waits_until_every_file_is_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_wait: bool) -> None:
    from newsletter.errors import InterruptedAfterWriting

    if not shared_wait:
        monkeypatch.setattr(atomic, "_filesystem_sync", lambda: None)
    files = _pages(tmp_path, 5)
    renamed = _interrupted_at_rename(monkeypatch, at=2)
    finished: list[bool] = []
    with pytest.raises(InterruptedAfterWriting, match="the pages were all written"):
        atomic.replace_files(files, then=lambda: finished.append(True),
                             written="the pages were all written")
    assert len(renamed) == 5 and finished == [True]
    assert [path.read_bytes() for path, _ in files] == [data for _, data in files]
    assert _leftovers(tmp_path) == []


def test_ctrl_c_ignored_by_the_caller_stays_ignored(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    files = _pages(tmp_path, 3)
    _interrupted_at_rename(monkeypatch, at=1)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        atomic.replace_files(files)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert [path.read_bytes() for path, _ in files] == [data for _, data in files]


def test_ctrl_c_under_sig_dfl_still_ends_the_process(tmp_path: Path) -> None:
    """A caller that set SIGINT to SIG_DFL (die on Ctrl-C): held off, it still dies."""
    import subprocess
    import sys

    script = f"""
import os, signal
from pathlib import Path
from typing import Any
from newsletter.write import atomic
real = os.replace
done = []
def replace(source, target):
    if len(done) == 1:
        os.kill(os.getpid(), signal.SIGINT)
    done.append(target)
    real(source, target)
atomic.os.replace = replace
signal.signal(signal.SIGINT, signal.SIG_DFL)
files = [(Path({str(tmp_path)!r}) / f"page{{n}}", b"new") for n in range(3)]
atomic.replace_files(files)
print("still running after Ctrl-C")
"""
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60)
    assert ran.returncode == -2, (ran.returncode, ran.stdout, ran.stderr)  # SIGINT
    assert [(tmp_path / f"page{n}").read_bytes() for n in range(3)] == [b"new"] * 3


@pytest.mark.parametrize("writer", ["replace_files", "write_atomic"])
def test_ctrl_c_as_a_copy_is_made_leaves_no_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str) -> None:
    """The slow step of a copy is making the file: Ctrl-C lands there most often."""
    import signal
    import tempfile

    files = _pages(tmp_path, 4)
    real_mkstemp = tempfile.mkstemp
    made: list[str] = []

    def interrupted(*args: Any, **kwargs: Any) -> tuple[int, str]:
        got = real_mkstemp(*args, **kwargs)
        made.append(got[1])
        if len(made) == (3 if writer == "replace_files" else 1):
            os.kill(os.getpid(), signal.SIGINT)  # as mkstemp returns, its name unknown
        return got

    monkeypatch.setattr(tempfile, "mkstemp", interrupted)
    with pytest.raises(KeyboardInterrupt):
        if writer == "replace_files":
            atomic.replace_files(files)
        else:
            atomic.write_atomic(files[0][0], b"new")
    assert [path.read_bytes() for path, _ in files] == [b"old %d" % n for n in range(4)]
    assert _leftovers(tmp_path) == []
