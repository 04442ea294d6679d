"""A pull request nests a paper thousands of levels deep: no command may crash on it.

toml-rs (Rust) recurses once per array or inline table and overflowed its stack past a few
thousand levels: ``check``, ``render`` and ``add-paper --from`` died of SIGSEGV (exit 139,
no message), and ``check --jobs 2`` lost its worker (exit 70). It also recovers from a
syntax error and parses on, so a file wrong on its first line still reached that depth
further down. The depth is now measured before any parser sees the text.

From the contributor's side: a publication whose issues each hold one hostile paper, of
10^2 to 10^6 levels of every kind of nesting TOML has (arrays, inline tables, dotted keys,
[table] and [[array.of.tables]] headers), some hidden from a careless scan (after a syntax
error, inside what only looks like a string, after a comment a lone CR ends). Then what CI
and an editor run, as real processes: ``check`` (serially and with ``--jobs 2``), ``check
--format json``, ``render`` and ``add-paper --from``. Each must refuse every file with one
``path:line:col: error: invalid TOML: nested too deeply ...`` line, exit 1 (add-paper: 2,
as for any unusable --from file), and change nothing on disk.

Then the guard itself: fast at 10^6 levels, never refusing what tomllib reads at a depth
an entry can have, and never letting through a text that crashes toml-rs (generated texts,
parsed by toml-rs in a child process so that a crash fails the test instead of pytest).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.entries.tomlfile import (
    MAX_FILE_BYTES,
    _depth,
    _scan_nesting,
    parse,
)
from tests.support.cli import (
    PROBLEM,
    assert_no_crash,
    check_output,
    child_env,
    output_lines,
    run_process,
)

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "briefing"
MESSAGE = "invalid TOML: nested too deeply"
SIZES = (10**2, 10**3, 10**4, 10**5, 10**6)


@dataclass(frozen=True)
class Shape:
    """A way to nest: ``head``, then ``unit`` ``levels`` times, then ``tail``; the line
    the refusal must point at."""

    name: str
    head: str
    unit: str
    tail: str = "\n"
    line: int = 2

    def text(self, levels: int) -> str:
        # 10^6 levels of a 1-byte unit do not fit under the 1 MB file limit with the head:
        # as many as fit (a file over the limit is refused for its size, before parsing).
        room = (MAX_FILE_BYTES - len(self.head.encode()) - len(self.tail.encode()))
        count = min(levels, room // len(self.unit.encode()))
        return self.head + self.unit * count + self.tail


TITLE = 'title = "Deep"\n'
SHAPES = (
    Shape("open-arrays", TITLE + "why_it_matters = ", "["),
    Shape("closed-arrays", TITLE + "a = ", "["),  # closed: see paper_text
    Shape("inline-tables", TITLE + "a = ", "{b = "),
    Shape("tables-in-arrays", TITLE + "a = ", "[{b = "),
    Shape("dotted-key", TITLE + "a", ".b", " = 1\n"),
    Shape("table-header", TITLE + "[a", ".b", "]\n"),
    Shape("array-of-tables-header", TITLE + "[[a", ".b", "]]\n"),
    # toml-rs reports line 2 and parses on: line 3 reached its recursion all the same.
    Shape("after-a-syntax-error", TITLE + "a = = 1\nb = ", "[", line=3),
    # x"... is one bare token to toml-rs (a quote does not end it): the brackets are code.
    Shape("behind-a-quote-in-a-bare-token", TITLE + 'a = [x"', "[", '"]\n'),
    # A lone CR ends a comment for toml-rs: what follows is code, not comment.
    Shape("after-a-comment-ending-in-cr", TITLE + "# note\rb = ", "["),
)


def paper_text(shape: Shape, levels: int) -> str:
    if shape.name == "closed-arrays":
        half = min(levels, (MAX_FILE_BYTES - 40) // 2)
        return shape.head + "[" * half + "]" * half + "\n"
    return shape.text(levels)


@pytest.fixture(scope="module", params=SIZES, ids=[f"10^{len(str(n)) - 1}" for n in SIZES])
def publication(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> tuple[Path, int]:
    """A publication (newsletter.toml at its root) with one issue per shape, each holding
    a good paper and ``papers/02-deep.toml``; and the deep files again outside it, as
    metadata files for add-paper --from."""
    levels = request.param
    root = tmp_path_factory.mktemp(f"deep-{levels}")
    shutil.copy(EXAMPLE / "newsletter.toml", root / "newsletter.toml")
    good = sorted((EXAMPLE / "papers").glob("*.toml"))[0]
    (root / "from").mkdir()
    for number, shape in enumerate(SHAPES, start=1):
        issue = root / "issues" / f"{number:03d}-{shape.name}"
        (issue / "papers").mkdir(parents=True)
        text = (EXAMPLE / "issue.toml").read_text(encoding="utf-8")
        (issue / "issue.toml").write_text(text, encoding="utf-8")
        shutil.copy(good, issue / "papers" / "01-good.toml")
        deep = paper_text(shape, levels).encode("utf-8")
        assert len(deep) <= MAX_FILE_BYTES
        (issue / "papers" / "02-deep.toml").write_bytes(deep)
        (root / "from" / f"{shape.name}.toml").write_bytes(deep)
    return root, levels


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file()
            and ".newsletter-cache" not in path.parts}


def deep_file(shape: Shape, number: int) -> str:
    return f"issues/{number:03d}-{shape.name}/papers/02-deep.toml"


def assert_each_refused(lines: list[str], *, prefix: str = "") -> None:
    """Exactly one 'nested too deeply' line for each shape's file, at the shape's line."""
    for number, shape in enumerate(SHAPES, start=1):
        name = prefix + deep_file(shape, number)
        mine = [line for line in lines if line.startswith(f"{name}:")]
        assert len(mine) == 1, (shape.name, mine)
        match = PROBLEM.match(mine[0])
        assert match, mine[0]
        assert match["severity"] == "error" and match["rule"] == "toml-syntax", mine[0]
        assert match["message"].startswith(MESSAGE), mine[0]
        assert int(match["line"]) == shape.line, (shape.name, mine[0])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_check_refuses_every_deep_paper_with_one_line(publication: tuple[Path, int],
                                                      jobs: str) -> None:
    root, _ = publication
    before = snapshot(root)
    # --jobs 2 with ten issues really uses the worker processes (that died with exit 70).
    result = run_process(["check", "--no-cache", "--jobs", jobs], cwd=root, timeout=120)
    found = check_output(result, root)
    assert result.exit_code == 1
    assert_each_refused([line for line in output_lines(result.stdout) if PROBLEM.match(line)])
    # The good papers beside them are still checked (and fine).
    assert not [p for p in found if "01-good" in p.path and p.severity == "error"]
    assert snapshot(root) == before


def test_check_json_stays_parseable(publication: tuple[Path, int]) -> None:
    root, _ = publication
    result = run_process(["check", "--no-cache", "--format", "json"], cwd=root, timeout=120)
    assert_no_crash(result)
    assert result.exit_code == 1
    reported = json.loads(result.stdout)
    deep = [item for item in reported if item["path"].endswith("02-deep.toml")]
    assert len(deep) == len(SHAPES)
    assert all(item["message"].startswith(MESSAGE) for item in deep)


def run_in_one_child(root: Path, commands: list[list[str]]) -> list[tuple[int, str, str]]:
    """Run many CLI commands in one child process (in-process there, so fast), one JSON
    line of (exit code, stdout, stderr) each. A crash of the child fails the test with the
    command it was running, instead of taking pytest down with it."""
    driver = (
        "import json, sys\n"
        "from tests.support.cli import Cli\n"
        "cli = Cli()\n"
        "for args in json.loads(sys.stdin.read()):\n"
        "    r = cli(*args, timeout=120)\n"
        "    print(json.dumps([r.exit_code, r.stdout, r.stderr]), flush=True)\n")
    completed = subprocess.run([sys.executable, "-c", driver], cwd=root,
                               input=json.dumps(commands).encode(), capture_output=True,
                               env=child_env(), timeout=600)
    done = [json.loads(line) for line in completed.stdout.decode().splitlines()]
    assert completed.returncode == 0, (
        f"the child died with {completed.returncode} running {commands[len(done)]}: "
        f"{completed.stderr.decode()[-2000:]}")
    assert len(done) == len(commands)
    return [(code, out, err) for code, out, err in done]


def test_render_refuses_every_deep_issue(publication: tuple[Path, int]) -> None:
    root, _ = publication
    before = snapshot(root)
    issues = [f"issues/{n:03d}-{shape.name}" for n, shape in enumerate(SHAPES, start=1)]
    outputs = [["render", issue, "--output", f"out/{Path(issue).name}.md"] for issue in issues]
    results = run_in_one_child(root, [["render", issue] for issue in issues] + outputs)
    for (code, out, err), command in zip(results, [["render", i] for i in issues] + outputs,
                                         strict=True):
        assert code == 1, (command, err)
        assert out == "", command
        assert "Traceback" not in err and "internal error" not in err, err
        lines = output_lines(err)
        assert lines[-1].endswith("cannot render: fix the problems above first"), err
        assert_each_refused_one(lines[:-1], command[1])
    assert snapshot(root) == before  # and no output file, no out/ folder
    assert not (root / "out").exists()


def assert_each_refused_one(lines: list[str], issue: str) -> None:
    deep = [line for line in lines if line.startswith(f"{issue}/papers/02-deep.toml:")]
    assert len(deep) == 1 and MESSAGE in deep[0], lines


def test_add_paper_from_a_deep_file_is_one_line_and_writes_nothing(
        publication: tuple[Path, int]) -> None:
    root, _ = publication
    target = "issues/001-open-arrays"
    before = snapshot(root)
    commands = [["add-paper", target, "--from", f"from/{shape.name}.toml"] for shape in SHAPES]
    for (code, out, err), shape in zip(run_in_one_child(root, commands), SHAPES, strict=True):
        # A --from file that cannot be used is a usage error (exit 2), as a missing one is.
        assert code == 2, (shape.name, code, err)
        lines = output_lines(err)
        assert len(lines) == 1, err
        assert lines[0].startswith(f"newsletter: error: from/{shape.name}.toml:{shape.line}:")
        assert MESSAGE in lines[0], lines[0]
        assert out == ""
    assert snapshot(root) == before


# ---------------------------------------------------------------------------- the guard


def test_the_guard_is_fast_at_a_million_levels(tmp_path: Path) -> None:
    """parse() of each shape at 10^6 levels, timed in a child process (were the guard
    gone, toml-rs would crash the process that parses: better the child than pytest)."""
    for shape in SHAPES:
        (tmp_path / f"{shape.name}.toml").write_text(paper_text(shape, 10**6), encoding="utf-8")
    child = ("import json, sys, time\n"
             "from pathlib import Path\n"
             "from newsletter.entries.tomlfile import parse\n"
             "for name in json.loads(sys.argv[1]):\n"
             "    text = Path(name).read_bytes().decode('utf-8')\n"
             "    started = time.process_time()\n"
             "    data, problem = parse(Path(name), text)\n"
             "    spent = time.process_time() - started\n"
             "    print(json.dumps([data is None, problem and problem.message,\n"
             "                      problem and problem.line, spent]), flush=True)\n")
    names = [str(tmp_path / f"{shape.name}.toml") for shape in SHAPES]
    completed = subprocess.run([sys.executable, "-c", child, json.dumps(names)],
                               capture_output=True, text=True, env=child_env(), timeout=120)
    results = [json.loads(line) for line in completed.stdout.splitlines()]
    assert completed.returncode == 0, (completed.returncode, SHAPES[len(results)].name)
    for shape, (refused, message, line, spent) in zip(SHAPES, results, strict=True):
        assert refused and message.startswith(MESSAGE) and line == shape.line, shape.name
        # A bound, not a benchmark: ~0.1 s here; a scan that looked at each level in
        # Python (or a regex that backtracked) would take seconds.
        assert spent < 0.5, f"{spent:.2f} s of CPU to refuse {shape.name}"


@pytest.mark.parametrize("text", [
    "a = " + "[" * 99 + "]" * 99,  # 100 levels, the document included: the most allowed
    "a" + ".b" * 99 + " = 1",
    "[a" + ".b" * 98 + "]",
    'a = """' + "[" * 5000 + '"""',  # brackets in strings and comments do not nest
    "a = '''" + "{" * 5000 + "'''",
    'a = "' + "[" * 5000 + '"',
    "a = '" + "[" * 5000 + "'",
    "# " + "[" * 5000 + "\na = 1",
    'a = ["' + "]" * 5000 + '", ' + "[" * 50 + "]" * 50 + "]",
    '"a.b.c.d.e.f.g.h.i.j" = [' + ", ".join(["1.5"] * 3000) + "]",  # dots that do not nest
    "a = [" + ", ".join(["[[1], {x = 2}]"] * 3000) + "]",
])
def test_what_tomllib_reads_at_an_entrys_depth_is_not_refused(text: str) -> None:
    data, problem = parse(Path("ok.toml"), text)
    assert problem is None, problem
    assert data == tomllib.loads(text)


@pytest.mark.parametrize("text", [
    "a = " + "[" * 100 + "]" * 100,  # 101 levels
    "a" + ".b" * 100 + " = 1",
    "[a" + ".b" * 99 + "]",
    "[[a" + ".b" * 98 + "]]",
])
def test_one_level_past_the_limit_is_refused(text: str) -> None:
    data, problem = parse(Path("deep.toml"), text)
    assert data is None and problem is not None and problem.message.startswith(MESSAGE)


# Valid documents, nested by every means tomli_w writes: inline arrays and tables, [tables]
# and [[arrays of tables]]; the scan's depth must bound tomllib's data depth from above,
# and equal it where there are no arrays of tables (whose depth it can only bound).
keys = st.sampled_from(["a", "b", "c.d", "é", "x y", '"q"', "'s'"])
values = st.recursive(
    st.integers() | st.text(st.sampled_from('[]{}"\'#.=,\n\\ab'), max_size=6) | st.floats(
        allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=25)


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.dictionaries(keys, values, max_size=4), st.booleans())
def test_the_scan_measures_what_tomllib_reads(data: dict[str, Any], inline: bool) -> None:
    text = tomli_w.dumps(data, multiline_strings=inline)
    real = _depth(tomllib.loads(text))
    scanned = _scan_nesting(text, limit=10**9)
    assert scanned.too_deep_at is None and not scanned.unsure
    assert scanned.deepest >= real, text
    if "[[" not in text:
        assert scanned.deepest == real, text


# Hostile soups: a run of thousands of openers of one kind hidden among TOML's tokens,
# invalid ones included. Whatever parse() lets through must not crash toml-rs.
TOKENS = ["[", "]", "[[", "]]", "{", "}", '"', "'", '"""', "'''", "=", ".", ",", "#", "\\",
          "\n", "\r\n", "\r", "\t", " ", "a", "b = ", "1", "1.5", "\\q", "\\\n", "\x01",
          "\x7f", "é", '"x"', "'y'", "a.b", "[a]\n", "[[a]]\n", "= =", '\\"', "}{", "][",
          'x"', "1'", "# \r", 'a"b" = ', "''", '""', "x'''", 'x"""']
OPENERS = ["[", "{", "{b = ", "[{", "{a=[", "a.", '["]", ', "[ '}' ", "[#\n", '["\\q]" ',
           'x"[', '[x"', "#\r[", "[1'", '{"a"=[', "[x'''[", "['''\"[", "[}", "{]"]
soups = st.lists(st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=8).map("".join),
    st.tuples(st.sampled_from(OPENERS), st.integers(3000, 6000)).map(lambda p: p[0] * p[1]),
), min_size=1, max_size=12).map("".join)


def test_nothing_the_guard_lets_through_crashes_toml_rs() -> None:
    """parse() each soup in a child process: past the guard it calls toml-rs, so a text the
    guard misjudges kills the child (and fails this test), not pytest."""
    texts: list[str] = []

    @settings(max_examples=1500, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(soups)
    def collect(text: str) -> None:
        texts.append(text)

    collect()
    child = ("import json, sys\n"
             "from pathlib import Path\n"
             "from newsletter.entries.tomlfile import parse\n"
             "for i, text in enumerate(json.loads(sys.stdin.read())):\n"
             "    print(i, flush=True)\n"
             "    _, problem = parse(Path('soup.toml'), text)\n"
             "    if problem is None or 'nested too deeply' not in problem.message:\n"
             "        print('through', flush=True)\n")
    completed = subprocess.run([sys.executable, "-c", child], input=json.dumps(texts),
                               capture_output=True, text=True, timeout=600, env=child_env())
    lines = completed.stdout.split()
    if completed.returncode != 0:
        last = int([line for line in lines if line.isdigit()][-1])
        pytest.fail(f"parse() crashed ({completed.returncode}) on {texts[last][:400]!r}")
    # Many are shallow enough to reach toml-rs: they are the ones that test the guard.
    assert lines.count("through") > 200
