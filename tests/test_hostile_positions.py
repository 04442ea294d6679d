"""One long line costs ``check`` linear time, not quadratic: a pull request cannot stall CI.

Where a problem is (line and column) is looked up in the file's syntax tree. Each column
was found by decoding its line up to that point, so a problem-rich line of a million
characters cost seconds per thousand positions: a 930 KB paper holding its
``why_it_matters`` on one line (thousands of items, some not text, some non-ASCII) took
~40 s of CPU, and an unknown key holding a 980 KB one-line array walked and measured every
item of it although only the key is reported (~7 s, ~35 s on non-ASCII text). Now a
column costs about the same on any line, and arrays are only walked when a problem lies
inside them.

From the contributor's side: such a paper in a scratch issue, then ``check`` as CI runs it
in a real process; its CPU time (getrusage of the child: start-up included, ~0.4 s) must
stay under a second, and the positions it reports must still be right.
"""

from __future__ import annotations

import re
import resource
import shutil
from pathlib import Path

import pytest

from newsletter.entries.tomlfile import MAX_FILE_BYTES
from tests.support.cli import PROBLEM, Result, assert_no_crash, output_lines, run_process
from tests.support.speed import within

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "briefing"
PAPER = "papers/01-spatial-ttt.toml"
CPU_SECONDS = 1.0


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    target = tmp_path / "issue"
    shutil.copytree(EXAMPLE, target, ignore=shutil.ignore_patterns(".newsletter-cache"))
    return target


def timed_check(issue: Path) -> tuple[Result, float]:
    """``check --no-cache`` in a real process, and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run_process(["check", "--no-cache", "."], cwd=issue, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert_no_crash(result)
    return result, spent


def fill(room: int, item: object) -> list[str]:
    """Items ``item(i)`` for i = 0, 1, ... while their UTF-8 bytes fit in ``room``."""
    items, size = [], 0
    while True:
        text = item(len(items))  # type: ignore[operator]
        size += len(text.encode("utf-8"))
        if size > room:
            return items
        items.append(text)


def without(lines: list[str], key: str) -> list[str]:
    """``lines`` without the (one- or many-line) value of top-level ``key``."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
    end = start if lines[start].rstrip().endswith("]") else next(
        i for i in range(start, len(lines)) if lines[i].strip() == "]")
    return lines[:start] + lines[end + 1:]


def with_long_why_it_matters(issue: Path) -> tuple[str, list[int]]:
    """The paper with its why_it_matters replaced by one line of ~930 KB: every 40th item
    an integer (an error each), the others non-ASCII text. The line's text, and the
    indexes of the wrong items."""
    rest = without((issue / PAPER).read_text(encoding="utf-8").splitlines(), "why_it_matters")
    room = MAX_FILE_BYTES - len("\n".join(rest).encode()) - 100
    items = fill(room, lambda i: f"{i}, " if i % 40 == 0 else
                 f'"Pointé {i}: ça compte — 日本語の説明", ')
    line = "why_it_matters = [" + "".join(items) + '"last"]'
    text = "\n".join([*rest, line]) + "\n"
    assert len(text.encode()) <= MAX_FILE_BYTES
    (issue / PAPER).write_text(text, encoding="utf-8")
    return line, [i for i in range(len(items)) if i % 40 == 0]


def test_a_long_line_of_wrong_items_is_checked_in_linear_time(issue: Path) -> None:
    line, wrong = with_long_why_it_matters(issue)
    result, spent = timed_check(issue)
    assert result.exit_code == 1
    reported = [PROBLEM.match(text) for text in output_lines(result.stdout)[:-1]]
    assert all(reported), result.stdout[:2000]
    mine = {int(m["message"].split("[")[1].split("]")[0]): m for m in reported
            if m and m["path"] == PAPER and m["message"].startswith("why_it_matters[")}
    assert sorted(mine) == wrong
    # Each at its item: the column counts characters (é, —, 日本語), not bytes.
    row = (issue / PAPER).read_text(encoding="utf-8").splitlines().index(line) + 1
    starts = {int(found.group(1)): found.start() + 1
              for found in re.finditer(r"(?<=[\[ ])(\d+),", line)}
    for index, match in mine.items():
        assert int(match["line"]) == row
        assert int(match["col"]) == starts[index], (index, match.group(0))
    ok, guard = within(spent, CPU_SECONDS)
    assert ok, f"{spent:.2f} s of CPU for {len(wrong)} problems on a line (guard: {guard})"


def test_an_unknown_key_holding_a_long_array_costs_one_position(issue: Path) -> None:
    paper = issue / PAPER
    base = paper.read_text(encoding="utf-8")
    room = MAX_FILE_BYTES - len(base.encode()) - 20
    items = fill(room, lambda i: f'"{i} élément", ')
    paper.write_text(base + "zzz = [" + "".join(items) + "]\n", encoding="utf-8")
    assert len(paper.read_bytes()) > 950_000
    result, spent = timed_check(issue)
    assert result.exit_code == 1
    row = len(base.splitlines()) + 1
    assert output_lines(result.stdout)[:-1] == [
        f"{PAPER}:{row}:1: error: unknown key 'zzz' [unknown-key]"]
    ok, guard = within(spent, CPU_SECONDS)
    assert ok, f"{spent:.2f} s of CPU for one unknown key (guard: {guard})"


def test_an_unknown_key_inside_each_of_many_bullets_on_one_line(issue: Path) -> None:
    """Positions inside the items of a long line, each found without walking the line
    again. (Fewer items than above: each problem's message costs the same anywhere.)"""
    paper = issue / PAPER
    rest = without(paper.read_text(encoding="utf-8").splitlines(), "key_innovations")
    line = ("key_innovations = [" + '"' + "é" * 300_000 + '", '  # far along a long line
            + "".join(f'{{text = "Risqué {i}", note = "é"}}, ' for i in range(2000)) + "]")
    paper.write_text("\n".join([*rest, line]) + "\n", encoding="utf-8")
    result, spent = timed_check(issue)
    assert result.exit_code == 1
    found = [PROBLEM.match(text) for text in output_lines(result.stdout)[:-1]]
    notes = [m for m in found if m and "'note'" in m["message"]]
    assert len(notes) == 2000, result.stdout[:2000]
    assert {int(m["line"]) for m in notes} == {len(rest) + 1}
    assert sorted(int(m["col"]) for m in notes) == [
        hit.start() + 1 for hit in re.finditer(r"note =", line)]
    ok, guard = within(spent, CPU_SECONDS)
    assert ok, f"{spent:.2f} s of CPU (guard: {guard})"
