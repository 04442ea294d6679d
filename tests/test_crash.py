"""Nothing lost: SIGKILL a writing command at random moments, then look at every file.

``add-paper`` creates ``papers/NN-slug.toml`` (a fsynced hidden temporary file, hard-linked
into place under a lock on the issue); ``render --output`` replaces its output file (the
same temporary file, renamed over it); ``check`` rewrites ``.newsletter-cache/`` the same
way. Each is started again and again and killed at a random (seeded) moment, and after
every kill:

* every paper is byte-identical to before, or is a new paper whose bytes are exactly what
  add-paper writes for it (so it parses with tomllib); an output file is its old bytes or
  exactly the complete new render; the cache file verifies and reads;
* nothing else appeared but hidden ``.NAME.*.tmp`` orphans of a killed write. A killed
  process cannot remove them; the next write in that folder removes those over an hour
  old (tests/test_hostile_output.py), so here what makes them acceptable meanwhile is
  tested: check, render and add-paper ignore them, and they are never mistaken for entries.

Children are forks of the test process (warm: their whole life is newsletter's own work;
half of them on a simulated slow disk, where fsync, link and rename take milliseconds, so
kills land between the steps of a write) and real ``python -m newsletter`` processes (whose
life is mostly interpreter start-up, so fewer). Run with ``-s`` to see how the kills fell:
before anything was written, mid-write (temporary file only), after the link (paper and
its temporary twin), or at the end.
"""

from __future__ import annotations

import hmac
import json
import os
import random
import re
import shutil
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from newsletter.check.cache import machine_key
from tests.support.cli import Cli, check_output, render_output
from tests.support.paths import EXAMPLES
from tests.support.processes import (
    Ending,
    fork_cli,
    kill_pid,
    kill_process,
    start_process,
    warm_imports,
)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork() and SIGKILL")

SEED = 20260419
# Kills per command (214 in all): forks of this process, and real python -m newsletter.
FORK_KILLS = {"add-paper": 140, "render": 36, "check": 20}
PROCESS_KILLS = {"add-paper": 14, "render": 4}
ORPHAN = re.compile(r"^\.(?P<target>.+)\.[^.]+\.tmp$")
PAPER_NAME = re.compile(r"^\d{2,}-[a-z0-9-]+\.toml$")


def paper_fields(number: int) -> dict[str, Any]:
    return {
        "title": f"Crash Test Paper {number}: Writing Files Safely",
        "url": f"https://example.org/crash/{number}",
        "score": 7.5,
        "summary": f"Paper {number} is about what survives a kill.",
        "key_findings": ["Temporary files are renamed into place.",
                         "The directory is fsynced after the rename."],
        "applications": ["Never lose an editor's work."],
    }


def paper_args(number: int) -> list[str]:
    fields = paper_fields(number)
    args = ["--title", fields["title"], "--url", fields["url"], "--score",
            str(fields["score"]), "--summary", fields["summary"]]
    for finding in fields["key_findings"]:
        args += ["--finding", finding]
    for application in fields["applications"]:
        args += ["--application", application]
    return args


def expected_paper(number: int) -> bytes:
    """The complete bytes add-paper writes for paper ``number`` (checked against a real
    uninterrupted run in each test)."""
    from newsletter.create.add_paper import build_paper, paper_toml

    return paper_toml(build_paper(paper_fields(number))).encode("utf-8")


def make_issue(root: Path, name: str) -> Path:
    """A weekly issue with no papers yet (add-paper's whole life is then short)."""
    issue = root / name
    (issue / "papers").mkdir(parents=True)
    for entry in ("newsletter.toml", "issue.toml"):
        shutil.copy(EXAMPLES / "weekly" / entry, issue / entry)
    return issue


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative name → bytes); directories are walked."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(folder))] = path.read_bytes()
    return found


def orphans(files: dict[str, bytes] | list[str]) -> list[str]:
    return [name for name in files if ORPHAN.match(Path(name).name)]


class Tally:
    """What happened to the children, for the assertions and for ``-s``."""

    def __init__(self) -> None:
        self.endings: Counter[str] = Counter()
        self.orphans = 0
        self.last = Ending(False, 0, 0.0)
        self.moments: Counter[str] = Counter()

    def add(self, how: str, ending: Ending) -> None:
        self.last = ending
        if ending.killed:
            self.endings[f"{how}: killed"] += 1
        else:
            assert ending.exit_code == 0, f"{how} exited {ending.exit_code}"
            self.endings[f"{how}: finished"] += 1

    def kills(self, prefix: str = "") -> int:
        return sum(n for key, n in self.endings.items()
                   if key.startswith(prefix) and key.endswith("killed"))


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    warm_imports()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.chdir(tmp_path)
    yield Cli()


def lifetime(run: Callable[[], Ending], times: int = 3) -> float:
    """The median duration of uninterrupted runs."""
    endings = [run() for _ in range(times)]
    assert all(not e.killed and e.exit_code == 0 for e in endings), endings
    return sorted(e.seconds for e in endings)[times // 2]


# ---------------------------------------------------------------------------- add-paper


def assert_papers_sound(issue: Path, before: dict[str, bytes], attempted: int,
                        complete: dict[bytes, int]) -> dict[str, bytes]:
    """Old papers untouched; a new one complete; nothing else but orphans."""
    now = snapshot(issue / "papers")
    for name, content in before.items():
        if not ORPHAN.match(name):
            assert now.get(name) == content, f"{name} changed or vanished"
    new = {name: content for name, content in now.items()
           if name not in before and not ORPHAN.match(name)}
    assert len(new) <= 1, f"one command added {sorted(new)}"
    for name, content in new.items():
        assert PAPER_NAME.match(name), name
        assert complete.get(content) == attempted, f"{name} is not a complete paper"
        assert tomllib.loads(content.decode("utf-8"))["url"].endswith(f"/{attempted}")
    for name in orphans(now):
        target = ORPHAN.match(name)
        assert target is not None and PAPER_NAME.match(target["target"]), name
    return now


def assert_orphans_ignored(cli: Cli, issue: Path) -> None:
    """Whatever orphans a kill left, check sees only the real entries and is clean."""
    result = cli("check", "--no-cache", issue.name)
    found = check_output(result, issue.parent)
    assert result.exit_code == 0, result.stdout
    assert not [p for p in found if ORPHAN.match(Path(p.path).name)], found
    papers = [p for p in (issue / "papers").iterdir() if not p.name.startswith(".")]
    summary = result.stdout.splitlines()[-1]
    counted = re.search(r"(\d+) files?", summary)
    assert counted and int(counted[1]) == len(papers) + 2, summary  # + issue, publication


def test_add_paper_killed_at_random_moments_loses_nothing(tmp_path: Path, cli: Cli) -> None:
    rng = random.Random(SEED)
    tally = Tally()
    complete = {expected_paper(n): n for n in range(1000)}
    numbers = iter(range(1000))

    def attempt(issue: Path, how: str, start_and_kill: Callable[[list[str]], Ending]) -> None:
        number = next(numbers)
        before = snapshot(issue / "papers")
        tally.add(how, start_and_kill(["add-paper", issue.name, *paper_args(number)]))
        now = assert_papers_sound(issue, before, number, complete)
        if tally.last.killed:  # what the kill interrupted, as the files tell it
            paper = any(n not in before and not ORPHAN.match(n) for n in now)
            orphan = len(orphans(now)) > len(orphans(list(before)))
            tally.moments[{(False, False): "before writing", (False, True): "mid-write",
                           (True, True): "after the link", (True, False): "at the end"}[
                               paper, orphan]] += 1

    # Forks: warm children, killed anywhere in their life, or inside the write on a slow
    # disk (fsync, link and rename take 2-20 ms; the kill comes up to three of those after
    # the first new name appears in papers/). A fresh issue every 20 papers keeps each run
    # short.
    issue = make_issue(tmp_path, "forked-0")
    durations = []
    for _ in range(3):
        attempt(issue, "fork, uninterrupted", lambda args: kill_pid(
            fork_cli(args, tmp_path), after=60))
        durations.append(tally.last.seconds)
    typical = sorted(durations)[1]
    # What add-paper really wrote is what expected_paper says it writes.
    assert all(content in complete for content in snapshot(issue / "papers").values())

    def at_random(args: list[str]) -> Ending:
        return kill_pid(fork_cli(args, tmp_path), after=rng.uniform(0, 1.2 * typical))

    def inside_the_write(args: list[str]) -> Ending:
        papers = tmp_path / args[1] / "papers"
        slow = rng.uniform(0.002, 0.02)
        listing = set(os.listdir(papers))
        return kill_pid(fork_cli(args, tmp_path, slow_disk=slow), after=0,
                        trigger=lambda: set(os.listdir(papers)) != listing,
                        then=rng.uniform(0, 3 * slow))

    for round_ in range(1, 600):
        if tally.kills("fork") >= FORK_KILLS["add-paper"]:
            break
        if round_ % 20 == 0:  # the next commands were not disturbed by what kills left
            assert_orphans_ignored(cli, issue)
            tally.orphans += len(orphans(snapshot(issue / "papers")))
            issue = make_issue(tmp_path, f"forked-{round_ // 20}")
        if rng.random() < 0.5:
            attempt(issue, "fork, at a random moment", at_random)
        else:
            attempt(issue, "fork, slow disk, inside the write", inside_the_write)
    tally.orphans += len(orphans(snapshot(issue / "papers")))
    assert_orphans_ignored(cli, issue)

    # Real processes, as a user starts them, killed at a random moment of their life
    # (which is mostly the interpreter starting).
    real = make_issue(tmp_path, "real")
    attempt(real, "process, uninterrupted", lambda args: kill_process(
        start_process(args, tmp_path), after=600))
    typical = tally.last.seconds
    for _ in range(100):
        if tally.kills("process") >= PROCESS_KILLS["add-paper"]:
            break
        attempt(real, "process, at a random moment", lambda args: kill_process(
            start_process(args, tmp_path), after=rng.uniform(0, 1.1 * typical)))
    tally.orphans += len(orphans(snapshot(real / "papers")))
    assert_orphans_ignored(cli, real)

    print(f"\nadd-paper: {dict(tally.endings)}; kills by what they interrupted: "
          f"{dict(tally.moments)}; orphan temporary files left: {tally.orphans}")
    assert tally.kills("fork") >= FORK_KILLS["add-paper"]
    assert tally.kills("process") >= PROCESS_KILLS["add-paper"]


def test_an_orphan_temporary_file_is_not_an_entry(cli: Cli, tmp_path: Path) -> None:
    """What a kill can leave: a hidden, partly written temporary file beside the papers.
    check does not read it, add-paper does not number after it, render does not show it."""
    issue = make_issue(tmp_path, "issue")
    assert cli("add-paper", issue.name, *paper_args(1)).exit_code == 0
    orphan = issue / "papers" / ".02-crash-test-paper-2-writing-files.toml.k3x9_q.tmp"
    orphan.write_bytes(expected_paper(2)[:57])  # cut mid-line: not valid TOML
    twin = issue / "papers" / ".01-crash-test-paper-1-writing-files.toml.a1b2c3.tmp"
    twin.write_bytes(expected_paper(1))  # killed after the link: a complete copy

    assert_orphans_ignored(cli, issue)
    added = cli("add-paper", issue.name, *paper_args(2))
    assert added.exit_code == 0 and "papers/02-" in added.stdout, added.output
    rendered = cli("render", issue.name, "--format", "text")
    render_output(rendered, tmp_path)
    assert rendered.stdout.count("Crash Test Paper") == 2, rendered.stdout


# ---------------------------------------------------------------------------- render


def test_render_output_killed_at_random_moments_is_old_or_complete(tmp_path: Path,
                                                                   cli: Cli) -> None:
    rng = random.Random(SEED + 1)
    tally = Tally()
    issue = make_issue(tmp_path, "issue")
    for number in range(3):
        assert cli("add-paper", issue.name, *paper_args(number)).exit_code == 0
    # Each kill renders another format over the file, so old and new always differ.
    complete = {}
    for output_format in ("md", "text", "html"):
        result = cli("render", issue.name, "--format", output_format)
        assert result.exit_code == 0, result.stderr
        complete[output_format] = result.stdout.encode("utf-8")
    output = issue / "issue.out"
    output.write_bytes(b"an older render, kept until a new one is complete\n")
    outside = snapshot(tmp_path)

    def render(output_format: str) -> list[str]:
        return ["render", issue.name, "--format", output_format, "--output",
                str(output.relative_to(tmp_path))]

    def attempt(how: str, output_format: str, kill: Callable[[], Ending]) -> None:
        old = output.read_bytes()
        tally.add(how, kill())
        now = output.read_bytes()
        assert now in (old, complete[output_format]), f"{how}: a partial output file"
        after = snapshot(tmp_path)
        changed = {name for name in set(after) | set(outside)
                   if after.get(name) != outside.get(name)}
        assert changed <= {str(output.relative_to(tmp_path))} | set(orphans(after)), changed

    formats = ("md", "text", "html")
    typical = lifetime(lambda: kill_pid(fork_cli(render("md"), tmp_path), after=60))
    outside = snapshot(tmp_path)
    rounds = 0
    while tally.kills("fork") < FORK_KILLS["render"] and rounds < 200:
        output_format = formats[rounds % 3]
        rounds += 1
        if rng.random() < 0.5:
            attempt("fork, at a random moment", output_format, lambda f=output_format: kill_pid(
                fork_cli(render(f), tmp_path), after=rng.uniform(0, 1.2 * typical)))
        else:
            slow = rng.uniform(0.002, 0.02)
            listing = set(os.listdir(issue))
            attempt("fork, slow disk, inside the write", output_format,
                    lambda f=output_format, slow=slow, listing=listing: kill_pid(
                        fork_cli(render(f), tmp_path, slow_disk=slow), after=0,
                        trigger=lambda: set(os.listdir(issue)) != listing,
                        then=rng.uniform(0, 3 * slow)))

    typical = kill_process(start_process(render("md"), tmp_path), after=600).seconds
    while tally.kills("process") < PROCESS_KILLS["render"] and rounds < 250:
        output_format = formats[rounds % 3]
        rounds += 1
        attempt("process, at a random moment", output_format, lambda f=output_format: kill_process(
            start_process(render(f), tmp_path), after=rng.uniform(0, 1.1 * typical)))

    left = orphans(snapshot(issue))
    assert_orphans_ignored(cli, issue)
    print(f"\nrender --output: {dict(tally.endings)}; orphan temporary files left: "
          f"{len(left)}")
    assert tally.kills("fork") >= FORK_KILLS["render"]
    assert tally.kills("process") >= PROCESS_KILLS["render"]


# ---------------------------------------------------------------------------- check's cache


def test_check_killed_while_writing_its_cache_keeps_a_usable_cache(tmp_path: Path,
                                                                    cli: Cli) -> None:
    rng = random.Random(SEED + 2)
    tally = Tally()
    issue = make_issue(tmp_path, "issue")
    for number in range(3):
        assert cli("add-paper", issue.name, *paper_args(number)).exit_code == 0
    paper = next((issue / "papers").glob("01-*.toml"))
    original = paper.read_text(encoding="utf-8")
    cache = issue / ".newsletter-cache" / "results.json"
    edits = iter(range(1000))

    def check(after: float | None) -> Ending:
        # An edit each time, so that every check has a new entry to write to its cache.
        paper.write_text(original.replace("what survives", f"what survives ({next(edits)})"),
                         encoding="utf-8")
        slow = rng.choice([0.0, rng.uniform(0.002, 0.02)])
        return kill_pid(fork_cli(["check", issue.name], tmp_path, slow_disk=slow),
                        after=60 if after is None else after)

    typical = lifetime(lambda: check(None))
    for _ in range(200):
        if tally.kills() >= FORK_KILLS["check"]:
            break
        ending = check(rng.uniform(0, 1.2 * typical))
        # check exits 0 here (warnings only), or it was killed.
        tally.add("fork, at a random moment", ending)
        if cache.exists():
            # The file is whole: its signature verifies, and what follows is the JSON.
            signature, _, body = cache.read_bytes().partition(b"\n")
            assert signature == hmac.new(machine_key() or b"", body, "blake2b") \
                .hexdigest().encode()
            stored = json.loads(body)
            assert isinstance(stored, dict) and "results" in stored
        # The next check, with whatever cache the kill left, says what a fresh one says.
        cached = check_output(cli("check", issue.name), tmp_path)
        assert cached == check_output(cli("check", "--no-cache", issue.name), tmp_path)
    left = orphans(snapshot(issue))
    assert_orphans_ignored(cli, issue)
    print(f"\ncheck: {dict(tally.endings)}; orphan temporary files left: {len(left)}")
    assert tally.kills() >= FORK_KILLS["check"]
