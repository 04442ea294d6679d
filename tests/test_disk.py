"""Nothing lost when the disk is full or the folder is read-only.

A file that cannot be written is not a problem with the entries: exit 2 and one line
``newsletter: error: PATH: ...``, and every file already there stays byte-identical (the
new content goes to a temporary file first, which is removed when it cannot be finished).

A full disk is made two ways: a small tmpfs, filled up (needs root, so it is skipped
elsewhere), and RLIMIT_FSIZE in the child (a file may not grow past N bytes, which fails
the write with EFBIG just as a full disk fails it with ENOSPC; works for any user).
A read-only folder needs an unprivileged user, since root writes anyway: as root the
commands run as ``nobody`` (setpriv or runuser) or, when ``nobody`` cannot run this
interpreter, as root without the capabilities that override file permissions.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import (
    Result,
    assert_no_crash,
    check_output,
    child_env,
    one_line_error,
    run_process,
)
from tests.support.paths import EXAMPLES

ADD_PAPER = ["--title", "Disk Full: What Survives", "--url", "https://example.org/disk",
             "--score", "7", "--summary", "A paper that will not fit.",
             "--finding", "Writes fail cleanly.", "--application", "Full disks."]
OLD_OUTPUT = b"The previous render, which must survive.\n" * 600  # 25 KB, bigger than a render


def make_issue(root: Path) -> Path:
    issue = root / "issue"
    (issue / "papers").mkdir(parents=True)
    for name in ("newsletter.toml", "issue.toml"):
        shutil.copy(EXAMPLES / "weekly" / name, issue / name)
    for paper in sorted((EXAMPLES / "weekly" / "papers").glob("*.toml"))[:3]:
        shutil.copy(paper, issue / "papers" / paper.name)
    (issue / "out.md").write_bytes(OLD_OUTPUT)
    return issue


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file and folder below ``folder`` (folders as None), to compare before/after."""
    return {str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


def assert_write_refused(result: Result, path: str) -> str:
    """Exit 2, one line naming the file that could not be written."""
    assert_no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stdout == "", result.stdout
    line = one_line_error(result)
    assert path in line, line
    return line


# ---------------------------------------------------------------------------- RLIMIT_FSIZE


def file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:  # runs in the child, between fork and exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail with EFBIG, do not die
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    return make_issue(tmp_path)


def limited(args: list[str], cwd: Path, limit: int) -> Result:
    return run_process(args, cwd=cwd, preexec_fn=file_size_limit(limit))


def test_render_output_over_an_existing_file_on_a_full_disk(issue: Path) -> None:
    before = snapshot(issue.parent)
    result = limited(["render", "issue", "--output", "issue/out.md"], issue.parent, 4096)

    line = assert_write_refused(result, "issue/out.md")
    assert "File too large" in line and "nothing was changed" in line, line
    assert snapshot(issue.parent) == before  # out.md byte-identical, no temporary left
    # With room again, the same command works.
    assert run_process(["render", "issue", "--output", "issue/out.md"],
                       cwd=issue.parent).exit_code == 0
    assert (issue / "out.md").read_bytes() != OLD_OUTPUT


def test_add_paper_on_a_full_disk(issue: Path) -> None:
    before = snapshot(issue.parent)
    result = limited(["add-paper", "issue", *ADD_PAPER], issue.parent, 100)

    assert_write_refused(result, "issue/papers/04-")
    assert snapshot(issue.parent) == before


def test_new_issue_on_a_full_disk(tmp_path: Path) -> None:
    make_issue(tmp_path)
    result = limited(["new-issue", "next", "--style", "weekly", "--number", "4"], tmp_path,
                     10)

    assert_write_refused(result, "next/issue.toml")
    assert not (tmp_path / "next" / "issue.toml").exists()
    # The directories it made do not stand in the way of the next try.
    retry = run_process(["new-issue", "next", "--style", "weekly", "--number", "4"],
                        cwd=tmp_path)
    assert retry.exit_code == 0, retry.output


def test_new_issue_on_a_full_disk_leaves_no_folder(tmp_path: Path) -> None:
    limited(["new-issue", "next", "--style", "weekly", "--number", "4"], tmp_path, 10)
    assert not (tmp_path / "next").exists()


def test_check_on_a_full_disk_still_checks(issue: Path) -> None:
    """check writes only its cache, and a cache that cannot be written is skipped."""
    result = limited(["check", "issue"], issue.parent, 10)
    check_output(result, issue.parent)
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------------------- tmpfs


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KB tmpfs mounted for the test (root only; skipped where mount is refused)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root; the RLIMIT_FSIZE tests cover a "
                    "full disk here")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs",
                              str(mount_point)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); the "
                    "RLIMIT_FSIZE tests cover a full disk")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(folder: Path) -> Path:
    """Write a filler file until the file system has no block left."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as handle:
        while True:
            try:
                handle.write(b"\0" * 1024)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
    return filler


def test_render_and_add_paper_on_a_full_tmpfs(small_disk: Path) -> None:
    issue = make_issue(small_disk)
    filler = fill(small_disk)
    before = snapshot(small_disk)

    rendered = run_process(["render", "issue", "--output", "issue/out.md"], cwd=small_disk)
    line = assert_write_refused(rendered, "issue/out.md")
    assert "No space left on device" in line, line
    added = run_process(["add-paper", "issue", *ADD_PAPER], cwd=small_disk)
    assert "No space left on device" in assert_write_refused(added, "issue/papers/04-")
    checked = run_process(["check", "issue"], cwd=small_disk)
    check_output(checked, small_disk)
    assert checked.exit_code == 0, checked.output

    after = snapshot(small_disk)
    after.pop("issue/.newsletter-cache", None)  # check may create its (empty) cache folder
    after.pop("issue/.newsletter-cache/.gitignore", None)
    assert after == before  # every file byte-identical, no temporary left
    filler.unlink()
    assert run_process(["add-paper", "issue", *ADD_PAPER], cwd=small_disk).exit_code == 0
    assert len(list((issue / "papers").glob("*.toml"))) == 4


# ---------------------------------------------------------------------------- read-only


def _works(prefix: list[str], folder: Path) -> bool:
    probe = subprocess.run([*prefix, sys.executable, "-c", "import newsletter.cli"],
                           cwd=folder, env=child_env(), capture_output=True, timeout=60)
    return probe.returncode == 0


@pytest.fixture
def unprivileged() -> Iterator[tuple[list[str], Path]]:
    """(command prefix that drops privileges, a scratch folder that user can read).

    Not root: no prefix, chmod is enough. Root: as nobody, if nobody can run this Python;
    else root without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH / CAP_FOWNER, for whom a
    folder's permission bits hold like for anyone."""
    folder = Path(tempfile.mkdtemp(prefix="newsletter-readonly-"))
    folder.chmod(0o755)  # nobody must be able to enter it
    try:
        if os.geteuid() != 0:
            yield [], folder
            return
        candidates = []
        if shutil.which("setpriv"):
            candidates.append(["setpriv", "--reuid=nobody", "--regid=nogroup",
                               "--clear-groups"])
        if shutil.which("runuser"):
            candidates.append(["runuser", "-u", "nobody", "--"])
        if shutil.which("setpriv"):
            candidates.append(["setpriv",
                               "--bounding-set=-dac_override,-dac_read_search,-fowner"])
        if not candidates:
            pytest.skip("running as root and neither setpriv nor runuser is installed, so "
                        "there is no unprivileged user to test a read-only folder with")
        for prefix in candidates:
            if _works(prefix, folder):
                yield prefix, folder
                return
        pytest.skip(f"no way to run {sys.executable} unprivileged ({candidates})")
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)


def read_only(*folders: Path) -> None:
    for folder in folders:
        folder.chmod(0o555)


def test_read_only_folder_refuses_writes_and_changes_nothing(
        unprivileged: tuple[list[str], Path]) -> None:
    prefix, folder = unprivileged
    issue = make_issue(folder)
    bare = folder / "bare"  # an issue whose papers/ folder does not exist yet
    bare.mkdir()
    for name in ("newsletter.toml", "issue.toml"):
        shutil.copy(issue / name, bare / name)
    read_only(issue / "papers", issue, bare, folder)
    before = snapshot(folder)

    def run(*args: str) -> Result:
        return run_process(list(args), cwd=folder, prefix=prefix)

    rendered = run("render", "issue", "--output", "issue/out.md")
    assert "Permission denied" in assert_write_refused(rendered, "issue/out.md")
    added = run("add-paper", "issue", *ADD_PAPER)
    assert "Permission denied" in assert_write_refused(added, "issue/papers")
    into_bare = run("add-paper", "bare", *ADD_PAPER)
    assert "Permission denied" in assert_write_refused(into_bare, "bare/papers")
    created = run("new-issue", "next", "--style", "weekly", "--number", "4")
    assert_no_crash(created)
    assert created.exit_code == 2, created.output
    one_line_error(created)
    # Reading still works: a read-only checkout checks (its cache is just not written).
    checked = run("check", "issue")
    check_output(checked, folder)
    assert checked.exit_code == 0, checked.output

    assert snapshot(folder) == before
