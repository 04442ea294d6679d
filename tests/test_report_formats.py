"""`newsletter check --format text|json|github|sarif`: the same problems for people, tools,
GitHub pull requests and code-scanning dashboards, with the same exit status in each.

The github output of a deliberately broken copy of the weekly example is kept as a golden
file, tests/golden/check/broken.github.txt; ``pytest --update-goldens`` rewrites it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import newsletter.check.lint
from newsletter.check.rules import RULES
from tests.support.cli import PROBLEM, Result, Run
from tests.support.golden import compare_with_golden
from tests.support.publication import one_issue, paper

GOLDEN = Path(__file__).parent / "golden" / "check"
FORMATS = ("text", "json", "github", "sarif")
JSON_KEYS = {"path", "line", "column", "severity", "rule", "message"}
GITHUB = re.compile(
    r"^::(?P<command>error|warning) file=(?P<file>[^,]*),line=(?P<line>\d+),"
    r"col=(?P<col>\d+),title=(?P<title>[^,:]*)::(?P<message>.*)$")

Key = tuple[str, int, int, str, str, str]  # path, line, column, severity, rule, message


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(newsletter.check.lint, "today", lambda: dt.date(2026, 5, 1))


def replace_line(path: Path, start: str, new: str | None) -> None:
    """Replace the first line of ``path`` that starts with ``start`` (None deletes it)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if line.startswith(start))
    lines[number] = "" if new is None else new + "\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture
def broken(example: Callable[[str], Path]) -> Path:
    """A copy of examples/weekly with two errors of each file kind and four warnings."""
    weekly = example("weekly")
    papers = weekly / "papers"
    replace_line(weekly / "issue.toml", "date = ", "date = 2026-06-01")            # future
    replace_line(papers / "03-globalsplat.toml", "score = ", 'score = "8"')          # type
    with (papers / "03-globalsplat.toml").open("a", encoding="utf-8") as file:
        file.write('"gain%" = 12\n')                                                 # key
    replace_line(papers / "04-dr3-eval.toml", "score = ", None)                      # style
    replace_line(papers / "05-radagent.toml", "url = ",
                 'url = "http://arxiv.org/abs/2604.01234"')                           # http
    replace_line(papers / "07-rad-2.toml", 'summary = """',
                 'summary = """TODO: tighten this. ')                                 # TODO
    return weekly


def check(run: Run, *args: str) -> Result:
    result = run("check", *args)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output, output
    return result


# ---------------------------------------------------------------------------- parsers


def from_text(result: Result) -> list[Key]:
    found = []
    for line in result.lines[:-1]:
        match = PROBLEM.match(line)
        assert match, f"not path:line:col: severity: message [rule]: {line!r}"
        found.append((match["path"], int(match["line"]), int(match["col"]),
                      match["severity"], match["rule"], match["message"]))
    return found


def from_json(result: Result) -> list[Key]:
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    found = []
    for item in data:
        assert set(item) == JSON_KEYS, item
        assert isinstance(item["line"], int) and isinstance(item["column"], int)
        found.append((item["path"], item["line"], item["column"], item["severity"],
                      item["rule"], item["message"]))
    return found


def unescape(text: str) -> str:
    return re.sub(r"%(25|0D|0A|3A|2C)",
                  lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m[1]],
                  text)


def from_github(result: Result) -> list[Key]:
    found = []
    for line in result.lines:
        match = GITHUB.match(line)
        assert match, f"not a workflow command: {line!r}"
        found.append((unescape(match["file"]), int(match["line"]), int(match["col"]),
                      match["command"], unescape(match["title"]), unescape(match["message"])))
    return found


def from_sarif(result: Result) -> list[Key]:
    run_ = json.loads(result.stdout)["runs"][0]
    return [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"],
             r["locations"][0]["physicalLocation"]["region"]["startColumn"],
             r["level"], r["ruleId"], r["message"]["text"]) for r in run_["results"]]


PARSERS: dict[str, Callable[[Result], list[Key]]] = {
    "text": from_text, "json": from_json, "github": from_github, "sarif": from_sarif}


# ---------------------------------------------------------------------------- all formats

EXPECTED = [
    ("weekly/issue.toml", 3, 8, "warning", "date-order",
     "the date 2026-06-01 is in the future"),
    ("weekly/papers/03-globalsplat.toml", 5, 9, "error", "wrong-type",
     "score must be a number without quotes, e.g. 8.2"),
    ("weekly/papers/03-globalsplat.toml", 33, 1, "error", "unknown-key",
     "unknown key 'gain%'"),
    ("weekly/papers/04-dr3-eval.toml", 1, 1, "error", "style-requires",
     "missing 'score', required by style 'weekly'"),
    ("weekly/papers/05-radagent.toml", 3, 7, "warning", "insecure-link",
     "http://arxiv.org/abs/2604.01234 is not https; use the https address if there is one"),
    ("weekly/papers/07-rad-2.toml", 6, 11, "warning", "placeholder-text",
     "'TODO' left in the text; finish it before publishing"),
]


def test_text_lists_every_problem_at_its_position(run: Run, broken: Path) -> None:
    result = check(run, "weekly")
    assert result.exit_code == 1
    assert from_text(result) == EXPECTED
    assert result.lines[-1] == "Found 3 errors and 3 warnings in 17 files."
    assert result.stderr == ""


@pytest.mark.parametrize("report_format", FORMATS)
def test_every_format_reports_the_same_problems(run: Run, broken: Path,
                                                report_format: str) -> None:
    result = check(run, "weekly", "--format", report_format)
    assert result.exit_code == 1
    assert PARSERS[report_format](result) == EXPECTED


@pytest.mark.parametrize("report_format", ["json", "github", "sarif"])
def test_machine_formats_put_the_summary_on_stderr(run: Run, broken: Path,
                                                   report_format: str) -> None:
    result = check(run, "weekly", "--format", report_format)
    assert result.stderr == "Found 3 errors and 3 warnings in 17 files.\n"
    assert "Found" not in result.stdout


# ---------------------------------------------------------------------------- json


def test_json_is_a_list_of_problem_objects(run: Run, broken: Path) -> None:
    result = check(run, "weekly", "--format", "json")
    data = json.loads(result.stdout)  # stdout is pure JSON, nothing before or after
    assert [set(item) for item in data] == [JSON_KEYS] * len(EXPECTED)
    assert data[1] == {"path": "weekly/papers/03-globalsplat.toml", "line": 5, "column": 9,
                       "severity": "error", "rule": "wrong-type",
                       "message": "score must be a number without quotes, e.g. 8.2"}


def test_json_of_a_clean_issue_is_an_empty_list(run: Run,
                                                example: Callable[[str], Path]) -> None:
    example("weekly")
    result = check(run, "weekly", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []
    assert result.stderr == "All good: 17 files checked, no problems.\n"


# ---------------------------------------------------------------------------- github




def test_github_output_matches_golden(run: Run, broken: Path, update_goldens: bool) -> None:
    result = check(run, "weekly", "--format", "github")
    assert result.exit_code == 1
    compare_with_golden(result.stdout, GOLDEN / "broken.github.txt", update_goldens)


def test_github_lines_are_workflow_commands(run: Run, broken: Path) -> None:
    lines = check(run, "weekly", "--format", "github").lines
    assert lines[1] == ("::error file=weekly/papers/03-globalsplat.toml,line=5,col=9,"
                        "title=wrong-type::score must be a number without quotes, e.g. 8.2")
    assert lines[0].startswith("::warning file=weekly/issue.toml,line=3,col=8,"
                               "title=date-order::")
    assert lines[2].endswith("::unknown key 'gain%25'")  # % is escaped in data


@pytest.mark.skipif(sys.platform == "win32", reason="':' is not allowed in Windows file names")
def test_github_escapes_data_and_properties(run: Run, tmp_path: Path) -> None:
    """Data escapes %, CR and LF; properties (file, title) also ':' and ','."""
    directory = one_issue(tmp_path / "we,ird: 100%", paper(**{'"x:y,z 50%\\r\\n"': "1"}))
    paper_path = directory / "papers/01-paper.toml"
    assert paper_path.read_text(encoding="utf-8").splitlines()[6] == '"x:y,z 50%\\r\\n" = 1'
    result = check(run, "--format", "github")
    assert result.lines == [
        "::error file=we%2Cird%3A 100%25/issues/001/papers/01-paper.toml,line=7,col=1,"
        "title=unknown-key::unknown key 'x:y,z 50%25%0D%0A'"]


def test_github_prints_nothing_for_a_clean_issue(run: Run,
                                                 example: Callable[[str], Path]) -> None:
    example("weekly")
    result = check(run, "weekly", "--format", "github")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "All good: 17 files checked, no problems.\n"


# ---------------------------------------------------------------------------- sarif


def test_sarif_spans_each_value_of_the_broken_issue(run: Run, broken: Path) -> None:
    """The SARIF log's own tests (the official schema, the multitool) are in
    tests/test_sarif.py; here, its results for the issue every format reports."""
    results = json.loads(check(run, "weekly", "--format", "sarif").stdout)["runs"][0]["results"]
    assert results[1]["ruleId"] == "wrong-type"
    assert results[1]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "weekly/papers/03-globalsplat.toml"},
        "region": {"startLine": 5, "startColumn": 9, "endLine": 5, "endColumn": 12}}  # "8"
    assert all(RULES[result["ruleId"]].severity.value == result["level"] for result in results)


# ---------------------------------------------------------------------------- text


def test_text_keeps_each_problem_on_one_line(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(**{'"a\\nb"': "1"}))
    result = check(run)
    assert len(result.lines) == 2, result.stdout
    assert from_text(result)[0][4] == "unknown-key"


# ---------------------------------------------------------------------------- exit status


def _clean(example: Callable[[str], Path]) -> list[str]:
    example("weekly")
    return ["weekly"]


def _warnings(example: Callable[[str], Path]) -> list[str]:
    replace_line(example("weekly") / "papers/05-radagent.toml", "url = ",
                 'url = "http://arxiv.org/abs/2604.01234"')
    return ["weekly"]


def _warnings_strict(example: Callable[[str], Path]) -> list[str]:
    return [*_warnings(example), "--strict"]


def _errors(example: Callable[[str], Path]) -> list[str]:
    replace_line(example("weekly") / "papers/05-radagent.toml", "score = ", 'score = "8"')
    return ["weekly"]


def _usage(example: Callable[[str], Path]) -> list[str]:
    return ["does-not-exist"]


SCENARIOS: dict[str, tuple[Callable[[Callable[[str], Path]], list[str]], int]] = {
    "clean": (_clean, 0), "warnings": (_warnings, 0), "warnings-strict": (_warnings_strict, 1),
    "errors": (_errors, 1), "usage-error": (_usage, 2)}


@pytest.mark.parametrize("report_format", FORMATS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_exit_status_is_the_same_in_every_format(run: Run, example: Callable[[str], Path],
                                                 scenario: str, report_format: str) -> None:
    setup, expected = SCENARIOS[scenario]
    result = check(run, *setup(example), "--format", report_format)
    assert result.exit_code == expected, result.stdout + result.stderr
    if expected == 2:
        assert result.stdout == ""
        assert result.stderr.startswith("newsletter: error: ")
    elif report_format in ("json", "sarif"):
        json.loads(result.stdout)


def test_an_unknown_format_is_a_usage_error(run: Run, broken: Path) -> None:
    result = run("check", "weekly", "--format", "bogus")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("newsletter: error: --format must be one of full, concise, json, "
                             "github, sarif, not 'bogus'\n")
