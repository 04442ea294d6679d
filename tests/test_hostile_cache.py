"""A committed ``.newsletter-cache`` can be anything: check neither reads it whole nor
writes through it.

``check`` keeps its results in ``.newsletter-cache/results.json`` beside newsletter.toml.
A pull request can commit that folder (``git add -f``) as anything git stores: the file as
a link to /dev/zero or as 250 MB (once read whole before its signature was checked:
gigabytes of memory), the folder as a link to a folder elsewhere (check wrote results.json
and a .gitignore there), its files as links to files of the editor's. Now a cache file is
opened without following links, read only if it is a regular file under a size cap, the
folder is never written through a link, and each such finding is one ``newsletter: note:``
line on stderr (stdout stays what --format asks for). The key that signs caches is made
0600 from its first moment.

From the contributor's side: a scratch publication with the hostile cache committed, then
``check`` as CI runs it, in a real process.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter.check import cache as result_cache
from tests.support.cli import Cli, Result, assert_no_crash, child_env, output_lines

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "weekly"
NOTE = "newsletter: note: "


@pytest.fixture
def publication(tmp_path: Path) -> Path:
    target = tmp_path / "weekly"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".newsletter-cache"))
    return target


@pytest.fixture
def key_home(tmp_path: Path) -> Path:
    return tmp_path / "xdg"


def check(publication: Path, key_home: Path, *args: str) -> tuple[Result, int]:
    """``newsletter check`` in a real process; its result, and its peak memory (KiB),
    measured by a wrapper process of its own so that no earlier child counts."""
    wrapper = ("import resource, subprocess, sys\n"
               "done = subprocess.run(sys.argv[1:], capture_output=True, timeout=60)\n"
               "sys.stdout.buffer.write(done.stdout)\n"
               "sys.stderr.buffer.write(done.stderr)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
               " done.returncode, file=sys.stderr)\n")
    completed = subprocess.run(
        [sys.executable, "-c", wrapper, sys.executable, "-m", "newsletter", "check", *args],
        cwd=publication, capture_output=True, timeout=90,
        env=child_env(XDG_CACHE_HOME=str(key_home)))
    err = completed.stderr.decode()
    *lines, last = err.rstrip("\n").split("\n")
    peak, code = (int(part) for part in last.split())
    return Result(code, completed.stdout.decode(), "".join(f"{line}\n" for line in lines)
                  ), peak


def notes(result: Result) -> list[str]:
    """The notes on stderr; nothing else is there but the summary (in machine formats)."""
    lines = output_lines(result.stderr)
    found = [line for line in lines if line.startswith(NOTE)]
    assert [line for line in lines if line not in found][:-1] == [], result.stderr
    return found


def assert_clean_check(result: Result) -> None:
    assert_no_crash(result)
    assert result.exit_code == 0, result.output
    assert output_lines(result.stdout)[-1].startswith("All good"), result.stdout


def test_a_folder_linked_elsewhere_is_never_written_through(publication: Path,
                                                            key_home: Path,
                                                            tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (publication / ".newsletter-cache").symlink_to(elsewhere)
    for _ in range(2):
        result, _ = check(publication, key_home, "--format", "json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == []  # the note kept out of stdout
        (note,) = notes(result)
        assert ".newsletter-cache" in note and "symbolic link" in note
    assert list(elsewhere.iterdir()) == []
    assert (publication / ".newsletter-cache").is_symlink()


@pytest.mark.parametrize("what", ["link-to-dev-zero", "250-megabytes", "named-pipe",
                                  "folder", "link-to-editors-file"])
def test_a_cache_file_that_is_not_ours_is_neither_read_nor_replaced(
        publication: Path, key_home: Path, tmp_path: Path, what: str) -> None:
    folder = publication / ".newsletter-cache"
    folder.mkdir()
    results = folder / "results.json"
    victim = tmp_path / "editors-notes.txt"
    victim.write_bytes(b"precious\n")
    if what == "link-to-dev-zero":
        results.symlink_to("/dev/zero")
    elif what == "250-megabytes":
        with results.open("wb") as handle:  # sparse: costs no disk
            handle.truncate(250 << 20)
    elif what == "named-pipe":
        os.mkfifo(results)
    elif what == "folder":
        results.mkdir()
    else:
        results.symlink_to(victim)
    for run in range(2):  # the second run finds what the first left
        result, peak = check(publication, key_home)
        assert_clean_check(result)
        if what == "250-megabytes" and run == 1:
            assert notes(result) == []  # the first run replaced it: it was a file
        else:
            (note,) = notes(result)
            assert "results.json" in note, note
        # Not read whole: a check of this size peaks near 50 MB.
        assert peak < 150_000, f"peak memory {peak} KiB"
    assert victim.read_bytes() == b"precious\n"
    if what == "250-megabytes":
        # A regular file of ours (too large to use) is replaced by a good cache.
        assert results.stat().st_size < 1 << 20
    else:
        assert not stat.S_ISREG(results.lstat().st_mode)  # left as it was


def test_a_linked_gitignore_is_left_alone(publication: Path, key_home: Path,
                                          tmp_path: Path) -> None:
    folder = publication / ".newsletter-cache"
    folder.mkdir()
    victim = tmp_path / "editors-file"
    (folder / ".gitignore").symlink_to(victim)
    result, _ = check(publication, key_home)
    assert_clean_check(result)
    assert not victim.exists()  # not created through the link
    assert (folder / ".gitignore").is_symlink()


def test_a_good_cache_still_serves_the_next_check(publication: Path, key_home: Path) -> None:
    first, _ = check(publication, key_home)
    assert_clean_check(first)
    assert notes(first) == []
    assert (publication / ".newsletter-cache" / "results.json").is_file()
    second, _ = check(publication, key_home)
    assert second.output == first.output


def test_the_signing_key_is_private_from_its_first_moment(publication: Path, key_home: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    # Under a umask that makes files world-readable, every mode the key's file (or a
    # temporary file of it) is given must be private: it used to be made 0644, then
    # chmod-ed to 0600, readable by anyone in between.
    monkeypatch.setenv("XDG_CACHE_HOME", str(key_home))
    modes: list[int] = []
    real_chmod = os.chmod

    def spy(path: object, mode: int, *args: object, **kwargs: object) -> None:
        modes.append(mode)
        real_chmod(path, mode, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "chmod", spy)
    old = os.umask(0)
    try:
        key = result_cache.machine_key()
    finally:
        os.umask(old)
    made = key_home / "newsletter" / "cache-key"
    assert key is not None and made.read_bytes() == key
    assert all(mode & 0o077 == 0 for mode in modes), [oct(mode) for mode in modes]
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert result_cache.machine_key() == key  # read back, not made again
    # A key cut short (a crash while it was written) is made again, private too.
    made.write_bytes(b"short")
    again = result_cache.machine_key()
    assert again is not None and len(again) == 32 and again != key
    assert stat.S_IMODE(made.stat().st_mode) == 0o600


def test_a_cache_over_the_cap_is_not_kept(publication: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    monkeypatch.chdir(publication)
    monkeypatch.setattr(result_cache, "MAX_BYTES", 500)
    result = Cli()("check", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == []
    (note,) = output_lines(result.stderr)[:1]
    assert note.startswith(NOTE) and "larger than" in note
    assert not (publication / ".newsletter-cache" / "results.json").exists()
