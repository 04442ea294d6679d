"""``render --output`` writes only what is ours to write, and leaves no orphans for good.

An editor runs ``newsletter render ISSUE --output FILE`` in a checkout a pull request
shaped. The output used to be a temporary file renamed over whatever FILE was: a named
pipe, a device node, /dev/stdout, a committed link to /proc/self/fd/1, even (as root)
/dev/null itself became a regular file; ``--output issues/001/issue.toml`` silently turned
the issue into Markdown. Now a rename replaces only a regular file (or a name not taken),
a link is followed (the file it leads to is replaced, the link kept), a pipe, terminal or
/dev/null is written into where it is (a pipe with no reader is one line, not a hang),
anything else is refused in one line; a file the issue is rendered from is never written.

Orphans: a write killed between creating its temporary file and renaming it leaves
``.NAME.XXXXXXXX.tmp``. Every command ignores those; now the next write in that folder
removes the ones of ours that are old enough (an hour) not to be a live writer's.

Everything runs as a real ``python -m newsletter`` process in a scratch publication.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.cli import (
    Result,
    assert_no_crash,
    child_env,
    newsletter_argv,
    output_lines,
    run_process,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "briefing"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
PAPER = "papers/01-spatial-ttt.toml"


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    """The briefing example as a publication of one issue (newsletter.toml beside
    issue.toml), with a templates/ folder of its own."""
    target = tmp_path / "issue"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".newsletter-cache"))
    (target / "templates").mkdir()
    return target


def render(issue: Path, output: str | Path, timeout: float = 60.0) -> Result:
    return run_process(["render", ".", "--format", "md", "--output", str(output)],
                       cwd=issue, timeout=timeout)


@pytest.fixture
def document(issue: Path) -> bytes:
    """What the render writes (as it prints it to stdout)."""
    result = run_process(["render", ".", "--format", "md"], cwd=issue)
    assert result.exit_code == 0, result.output
    return result.stdout.encode("utf-8")


def refused(result: Result, *words: str) -> str:
    """One ``newsletter: error:`` line, exit 2, nothing on stdout."""
    assert_no_crash(result)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = output_lines(result.stderr)
    assert len(lines) == 1 and lines[0].startswith("newsletter: error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def wrote(result: Result) -> None:
    assert_no_crash(result)
    assert result.exit_code == 0, result.output
    assert output_lines(result.stderr)[-1].startswith("wrote "), result.stderr


def tree(root: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry under ``root``: its type and bytes (or link target)."""
    found: dict[str, tuple[int, bytes | str]] = {}
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        content: bytes | str = b""
        if stat.S_ISLNK(mode):
            content = os.readlink(path)
        elif stat.S_ISREG(mode):
            content = path.read_bytes()
        found[str(path.relative_to(root))] = (stat.S_IFMT(mode), content)
    return found


# ---------------------------------------------------------------------------- pipes, devices


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_with_no_reader_is_one_line_not_a_hang(issue: Path) -> None:
    os.mkfifo(issue / "out.md")
    started = time.monotonic()
    line = refused(render(issue, "out.md", timeout=20), "out.md", "no reader")
    assert time.monotonic() - started < 20, line
    assert stat.S_ISFIFO((issue / "out.md").lstat().st_mode)  # still a pipe
    assert not [p for p in issue.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_with_a_reader_gets_the_document(issue: Path, document: bytes) -> None:
    os.mkfifo(issue / "out.md")
    # cat opening the pipe (it waits for a writer) is the reader the render finds.
    reader = subprocess.Popen(["cat", str(issue / "out.md")], stdout=subprocess.PIPE)
    time.sleep(0.3)
    wrote(render(issue, "out.md"))
    received, _ = reader.communicate(timeout=20)
    assert received == document
    assert stat.S_ISFIFO((issue / "out.md").lstat().st_mode)


def null_device(issue: Path) -> str:
    """/dev/null, or as root a null device node of our own: had the rename come back, a
    test run as root would replace the machine's /dev/null with a regular file."""
    if not AS_ROOT:
        return os.devnull
    node = issue.parent / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.stat(os.devnull).st_rdev)
    return str(node)


def test_dev_null_stays_a_device(issue: Path) -> None:
    null = null_device(issue)
    before = os.stat(null)
    wrote(render(issue, null))
    after = os.stat(null)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_link_to_dev_null_stays_a_link(issue: Path) -> None:
    null = null_device(issue)
    (issue / "out.md").symlink_to(null)
    wrote(render(issue, "out.md"))
    assert os.readlink(issue / "out.md") == null
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


# As root, /dev/stdout itself only where a regression cannot replace the machine's: the
# links to it, made in the scratch folder, go the same way.
STDOUTS = ["/proc/self/fd/1", "link-to-proc", "link-to-dev-stdout",
           pytest.param("/dev/stdout", marks=pytest.mark.skipif(
               AS_ROOT, reason="a regression would replace the machine's /dev/stdout"))]


def stdout_name(issue: Path, name: str) -> str:
    if name.startswith("link-to-"):  # committed to the repository
        target = "/proc/self/fd/1" if name == "link-to-proc" else "/dev/stdout"
        (issue / name).symlink_to(target)
    return name


@pytest.mark.skipif(not os.path.exists("/proc/self/fd/1"), reason="needs /proc")
@pytest.mark.parametrize("name", STDOUTS)
def test_stdout_gets_the_document_in_place(issue: Path, document: bytes, name: str) -> None:
    """stdout is a pipe here (captured): written into, as a shell's > would."""
    result = render(issue, stdout_name(issue, name))
    assert_no_crash(result)
    assert result.exit_code == 0, result.output
    assert result.stdout.encode("utf-8") == document
    if name.startswith("link-to-"):
        assert (issue / name).is_symlink()
    assert not [p for p in issue.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.skipif(not os.path.exists("/proc/self/fd/1"), reason="needs /proc")
@pytest.mark.parametrize("name", STDOUTS)
def test_stdout_redirected_to_a_log_is_appended_to_not_replaced(
        issue: Path, document: bytes, name: str) -> None:
    log = issue.parent / "log.txt"
    log.write_bytes(b"earlier lines\n")
    with log.open("ab") as out:
        # As 'newsletter render . --output /dev/stdout >> log.txt' in a shell.
        completed = subprocess.run(
            newsletter_argv("render", ".", "--output", stdout_name(issue, name)), cwd=issue,
            stdout=out, stderr=subprocess.PIPE, timeout=60, env=child_env())
    assert completed.returncode == 0, completed.stderr
    assert log.read_bytes() == b"earlier lines\n" + document


@pytest.mark.skipif(not AS_ROOT, reason="making device nodes needs root")
def test_another_device_node_is_refused_unopened(issue: Path) -> None:
    # /dev/zero's numbers: harmless, and not a terminal or /dev/null.
    zero = os.makedev(1, 5)
    os.mknod(issue / "out.md", stat.S_IFCHR | 0o666, zero)
    refused(render(issue, "out.md"), "out.md", "character device")
    status = (issue / "out.md").lstat()
    assert stat.S_ISCHR(status.st_mode) and status.st_rdev == zero


def test_a_socket_and_a_directory_are_refused(issue: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(issue / "out.sock"))
        refused(render(issue, "out.sock"), "out.sock", "socket")
        assert stat.S_ISSOCK((issue / "out.sock").lstat().st_mode)
    (issue / "out").mkdir()
    (issue / "out" / "keep").write_text("x")
    refused(render(issue, "out"), "out", "directory")
    assert (issue / "out" / "keep").read_text() == "x"


# ---------------------------------------------------------------------------- links, folders


def test_a_link_to_a_file_keeps_the_link_and_replaces_the_file(issue: Path,
                                                               document: bytes) -> None:
    elsewhere = issue.parent / "site"
    elsewhere.mkdir()
    (elsewhere / "index.md").write_bytes(b"old page\n")
    os.chmod(elsewhere / "index.md", 0o640)
    (issue / "out.md").symlink_to(elsewhere / "index.md")
    wrote(render(issue, "out.md"))
    assert os.readlink(issue / "out.md") == str(elsewhere / "index.md")
    assert (elsewhere / "index.md").read_bytes() == document
    assert stat.S_IMODE((elsewhere / "index.md").stat().st_mode) == 0o640  # mode kept
    assert sorted(p.name for p in elsewhere.iterdir()) == ["index.md"]  # no temporary left


def test_a_chain_of_links_is_followed_to_its_file(issue: Path, document: bytes) -> None:
    (issue / "real.md").write_bytes(b"old\n")
    (issue / "one").symlink_to("real.md")
    (issue / "two").symlink_to("one")
    wrote(render(issue, "two"))
    assert (issue / "real.md").read_bytes() == document
    assert (issue / "two").is_symlink() and (issue / "one").is_symlink()


def test_a_dangling_link_and_a_loop_are_one_line(issue: Path) -> None:
    (issue / "dangling").symlink_to(issue.parent / "missing-folder" / "x.md")
    refused(render(issue, "dangling"), "dangling")
    assert not (issue.parent / "missing-folder").exists()  # no folder made out there
    (issue / "loop").symlink_to("loop")
    refused(render(issue, "loop"), "loop")
    assert (issue / "loop").is_symlink()


def test_missing_folders_of_the_output_are_created(issue: Path, document: bytes) -> None:
    wrote(render(issue, "build/site/issue-012.md"))
    assert (issue / "build/site/issue-012.md").read_bytes() == document


def test_a_file_in_the_way_of_a_folder_is_one_line_and_nothing_made(issue: Path) -> None:
    (issue / "build").write_text("not a folder")
    before = tree(issue)
    refused(render(issue, "build/site/issue-012.md"), "build")
    assert tree(issue) == before


# ---------------------------------------------------------------------------- the inputs


@pytest.mark.parametrize("output", [
    "issue.toml", "./issue.toml", "papers/../issue.toml", PAPER, "newsletter.toml",
    "templates/briefing/issue.j2",  # new in templates/: it would be read next time
])
def test_a_file_the_issue_is_rendered_from_is_never_written(issue: Path, output: str) -> None:
    before = tree(issue)
    refused(render(issue, output), "rendered from")
    assert tree(issue) == before


def test_the_inputs_are_found_by_any_name(issue: Path) -> None:
    (issue.parent / "hard.md").hardlink_to(issue / PAPER)
    (issue.parent / "soft.md").symlink_to(issue / "issue.toml")
    before = tree(issue)
    for name in (issue.parent / "hard.md", issue.parent / "soft.md", issue / "issue.toml"):
        refused(render(issue, name), "rendered from")
    assert tree(issue) == before
    assert (issue.parent / "soft.md").is_symlink()


# ---------------------------------------------------------------------------- orphans


def orphan(folder: Path, target: str, letters: str, age: float) -> Path:
    path = folder / f".{target}.{letters}.tmp"
    path.write_bytes(b"half a document")
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_the_next_write_removes_old_orphans_of_ours_only(issue: Path) -> None:
    hour = 3600.0
    old = orphan(issue, "out.md", "abcd_123", 2 * hour)
    other_name = orphan(issue, "issue-011.md", "zz9zz9zz", 30 * hour)
    live = orphan(issue, "out.md", "live0000", 60)  # a concurrent writer's
    not_ours = [orphan(issue, "notes", "short", 2 * hour),  # 5 letters: not mkstemp's
                orphan(issue, "out.md", "ABCDEFGH", 2 * hour),  # capitals: neither
                issue / "out.md.abcdefgh.tmp"]  # not hidden
    not_ours[-1].write_bytes(b"mine")
    os.utime(not_ours[-1], (time.time() - 2 * hour,) * 2)
    outside = issue.parent / "precious.txt"
    outside.write_bytes(b"keep")
    link = issue / ".link.abcdefgh.tmp"
    link.symlink_to(outside)
    os.utime(link, (time.time() - 2 * hour,) * 2, follow_symlinks=False)
    if AS_ROOT:  # another user's, old or not, is not ours to remove
        someone = orphan(issue, "out.md", "other000", 2 * hour)
        os.chown(someone, 12345, 12345)
        not_ours.append(someone)
    wrote(render(issue, "out.md"))
    assert not old.exists() and not other_name.exists()
    assert live.exists()
    assert all(path.exists() for path in not_ours)
    assert link.is_symlink() and outside.read_bytes() == b"keep"


def test_check_and_add_paper_clean_their_own_folders(issue: Path) -> None:
    cache = issue / ".newsletter-cache"
    first = run_process(["check", "."], cwd=issue)
    assert first.exit_code == 0 and cache.is_dir(), first.output
    stale_cache = orphan(cache, "results.json", "k1k1k1k1", 7200)
    stale_paper = orphan(issue / "papers", "06-new.toml", "p0p0p0p0", 7200)
    # Orphans are ignored by every command meanwhile: still clean.
    assert run_process(["check", "--no-cache", "."], cwd=issue).exit_code == 0
    (issue / "papers" / "01-spatial-ttt.toml").write_bytes(
        (issue / PAPER).read_bytes() + b"\n")  # a change: check writes its cache again
    assert run_process(["check", "."], cwd=issue).exit_code == 0
    assert not stale_cache.exists()
    added = run_process(["add-paper", ".", "--title", "A New Paper", "--url",
                         "https://arxiv.org/abs/2699.00001", "--headline", "H",
                         "--problem", "P", "--solution", "S", "--why", "W"], cwd=issue)
    assert added.exit_code == 0, added.output
    assert not stale_paper.exists()
