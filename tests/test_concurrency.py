"""Nothing lost when editors add papers at the same moment.

40 ``add-paper`` processes write into one issue at once while this process keeps checking
it: every paper is saved whole, under its own number, nobody's file is overwritten, a
reader never sees half a paper, and the issue checks clean. Then 10 processes add the
*same* paper at once: exactly one wins, the others are refused on one line.

The writers are forks of this process with everything imported, blocked on a pipe until
all exist, then released by one write: they reach the lock within a millisecond or two of
each other, which 40 interpreters starting up (~0.5 s each, on 2 cores) never would.
tests/test_add_paper.py runs real ``python -m newsletter`` writers side by side.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import Cli, Result, check_output, one_line_error
from tests.support.paths import EXAMPLES
from tests.support.processes import fork_gated, warm_imports, where_stuck

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")

WRITERS = 40
SAME_PAPER_WRITERS = 10
# A liveness guard (a writer stuck on the lock), not a speed test: 40 writers and the
# reader share two cores with whatever else runs; under two busy loops the run passed
# 120 s once.
TIMEOUT = 300


def paper_args(number: int) -> list[str]:
    # Titles in pairs share a slug ("... 7" and "... 7!"), so two writers want the same
    # file name as well as the same next number.
    return ["--title", f"Concurrent Paper {number // 2}{'!' * (number % 2)}",
            "--url", f"https://example.org/concurrent/{number}",
            "--score", "6.5", "--summary", f"Written by writer {number}.",
            "--finding", "Nobody overwrote anybody.", "--application", "Team editing."]


@pytest.fixture
def issue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    warm_imports()
    monkeypatch.chdir(tmp_path)
    issue = tmp_path / "issue"
    (issue / "papers").mkdir(parents=True)
    for name in ("newsletter.toml", "issue.toml"):
        shutil.copy(EXAMPLES / "weekly" / name, issue / name)
    yield issue


def run_together(issue: Path, argvs: list[list[str]], *, watch: bool) -> list[Result]:
    """Fork every writer, release them at once; meanwhile (``watch``) check the issue over
    and over: it must check clean at every moment."""
    outputs = issue.parent / "outputs"
    outputs.mkdir()
    read_end, write_end = os.pipe()
    pids = [fork_gated(args, issue.parent, read_end, outputs / str(i))
            for i, args in enumerate(argvs)]
    codes: dict[int, int] = {}
    try:
        os.write(write_end, b"go" * len(pids))  # one byte per writer: all start now
        cli, checks, deadline = Cli(), 0, time.monotonic() + TIMEOUT
        while len(codes) < len(pids):
            if time.monotonic() > deadline:
                waiting = [pid for pid in pids if pid not in codes]
                pytest.fail(f"{len(waiting)} of {len(pids)} writers did not finish in "
                            f"{TIMEOUT} s ({checks} checks ran meanwhile):\n"
                            + where_stuck(waiting, outputs,
                                          [str(pids.index(pid)) for pid in waiting]))
            for pid in pids:
                if pid not in codes:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        codes[pid] = os.waitstatus_to_exitcode(status)
            if watch and len(codes) < len(pids):
                result = cli("check", "--no-cache", issue.name)
                check_output(result, issue.parent)
                assert result.exit_code == 0, f"a reader saw a broken issue:\n{result.stdout}"
                checks += 1
            else:
                time.sleep(0.005)
    finally:
        os.close(read_end)
        os.close(write_end)
        for pid in pids:
            if pid not in codes:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
    if watch:
        print(f"\n{len(pids)} writers at once; {checks} checks ran while they wrote")
    results = [Result(codes[pid], (outputs / f"{i}.out").read_text(encoding="utf-8"),
                      (outputs / f"{i}.err").read_text(encoding="utf-8"))
               for i, pid in enumerate(pids)]
    shutil.rmtree(outputs)
    return results


def test_forty_writers_at_once_keep_every_paper(issue: Path) -> None:
    results = run_together(issue, [["add-paper", issue.name, *paper_args(i)]
                                   for i in range(WRITERS)], watch=True)

    assert [r.exit_code for r in results] == [0] * WRITERS, [r.stderr for r in results]
    reported = [re.fullmatch(r"added (.+)\n", r.stdout) for r in results]
    assert all(reported), [r.stdout for r in results]
    files = sorted((issue / "papers").iterdir())
    assert [p.name for p in files if p.name.startswith(".")] == []  # no temporary left
    assert len(files) == WRITERS
    # Each writer's own file holds its own paper, whole.
    for i, match in enumerate(reported):
        assert match is not None
        saved = tomllib.loads((issue.parent / match[1]).read_text(encoding="utf-8"))
        assert saved["url"] == f"https://example.org/concurrent/{i}"
    numbers = sorted(int(p.name.split("-")[0]) for p in files)
    assert numbers == list(range(1, WRITERS + 1))  # distinct, and no gaps
    checked = Cli()("check", issue.name)
    check_output(checked, issue.parent)
    assert checked.exit_code == 0, checked.stdout


def test_the_same_paper_added_ten_times_at_once_is_saved_once(issue: Path) -> None:
    results = run_together(issue, [["add-paper", issue.name, *paper_args(1)]] *
                           SAME_PAPER_WRITERS, watch=False)

    assert sorted(r.exit_code for r in results) == [0] + [1] * (SAME_PAPER_WRITERS - 1), \
        [r.stderr for r in results]
    for refused in (r for r in results if r.exit_code):
        assert "already in this issue" in one_line_error(refused)
    assert len(list((issue / "papers").iterdir())) == 1
