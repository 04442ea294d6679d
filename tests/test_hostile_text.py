"""A hostile publication against what CI and the editor print: ``newsletter check`` in every
``--format`` (its github output becomes public annotations), and ``render``.

Control characters and bidirectional controls are refused in entry text at their line, by
code point; whatever a file's name or a key says is printed escaped, so it cannot forge a
line, start a workflow command, drive the terminal or make JSON invalid; a key is reported
whole; and a full disk, a file name that is not UTF-8 or a broken template of the
publication's own are one line and exit 1 or 2, never an internal error (70).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import (
    SUMMARY,
    Run,
    check_output,
    child_env,
    newsletter_argv,
    one_line_error,
    output_lines,
    render_output,
    run_process,
)
from tests.support.paths import TEMPLATES
from tests.support.publication import one_issue, paper

FORMATS = ("text", "json", "github", "sarif")
# What may never reach a terminal or a log raw: C0/C1 controls (tab and newline aside, which
# only ever end a line in the formats), DEL, bidi controls, line separators, surrogates.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                         "\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
PROBLEM_LINE = re.compile(r"^.+:\d+:\d+: (error|warning): .+ \[[a-z-]+\]$")
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
        "\u2069", "\u200e", "\u200f", "\u061c"]


def _judge(report_format: str, stdout: str) -> None:
    """What every format must be: no raw control; JSON that parses; one command a line."""
    assert not RAW_CONTROL.search(stdout), repr(RAW_CONTROL.search(stdout))
    if report_format in ("json", "sarif"):
        json.loads(stdout)
    elif report_format == "github":
        for line in output_lines(stdout):
            assert re.match(r"^::(error|warning) file=[^\n]*::", line), line
    else:
        lines = output_lines(stdout)
        assert SUMMARY.match(lines[-1]), lines
        # PROBLEM's path has no ':', and a hostile name may: judged more loosely here.
        assert all(PROBLEM_LINE.match(line) for line in lines[:-1]), lines


def _check_all_formats(run: Run, root: Path) -> dict[str, str]:
    outputs = {}
    for report_format in FORMATS:
        result = run("check", ".", "--format", report_format)
        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.output and "internal error" not in result.output
        _judge(report_format, result.stdout)
        outputs[report_format] = result.stdout
    return outputs


# ---------------------------------------------------------------- C. escaped in every format


def test_a_key_with_a_terminal_escape_is_reported_escaped(run: Run, tmp_path: Path) -> None:
    # The key as TOML escapes spell it: OSC 0 (set the window title), then BEL.
    one_issue(tmp_path, paper() + '"\\u001b]0;owned\\u0007" = 1\n')
    outputs = _check_all_formats(run, tmp_path)
    assert "unknown key '\\x1b]0;owned\\x07'" in outputs["text"], outputs["text"]
    messages = [p["message"] for p in json.loads(outputs["json"])]
    assert "unknown key '\\x1b]0;owned\\x07'" in messages, messages
    assert "unknown key '\\x1b]0;owned\\x07'" in outputs["github"]


@pytest.mark.parametrize("name", [
    "02\nAll good: no problems.toml",
    "02\r::error file=x.toml::forged.toml",
    "02\n::warning::forged.toml",
    "02\u2028All good: 1 file checked, no problems..toml",
    "02\x1b[2K\x1b[1Aforged.toml",
    "02\u202eforged.toml",
    "02\x85next.toml",
])
def test_a_file_name_cannot_forge_a_line_of_output(run: Run, tmp_path: Path,
                                                   name: str) -> None:
    issue = one_issue(tmp_path, paper())
    try:
        (issue / "papers" / name).write_text("title = 3\n", encoding="utf-8")
    except OSError:
        pytest.skip("the file system refuses that name")
    outputs = _check_all_formats(run, tmp_path)
    text = output_lines(outputs["text"])
    # One problem line per problem, and the summary: the name's line break is escaped.
    assert text[-1].startswith("Found "), text
    assert not any(line.startswith("All good") for line in text)
    github = output_lines(outputs["github"])
    assert len(github) == len(json.loads(outputs["json"])) == len(text) - 1, github


@pytest.mark.parametrize(("field", "value", "code"), [
    ("title", "T \\u0000\\u001b[31m", "U+0000"),
    ("title", "T \\u001b[31m red", "U+001B"),
    ("title", "T \\u009b31m", "U+009B"),
    ("title", "T \\u007f", "U+007F"),
    ("title", "T\\tpadded", "U+0009"),
    ("title", "T \\u2028 two", "U+2028"),
    ("url", "https://example.com/\\u001b", "U+001B"),
    ("url", "https://example.com/\\u202etxt.exe", "U+202E"),
    ("summary", "Prose \\u0007 bell.", "U+0007"),
    ("summary", "Prose \\r carriage.", "U+000D"),
    *[("title", f"Paper \\u{ord(char):04x} name", f"U+{ord(char):04X}") for char in BIDI],
    *[("summary", f"Prose \\u{ord(char):04x} here.", f"U+{ord(char):04X}") for char in BIDI],
])
def test_a_control_character_is_refused_at_its_line_by_code_point(
        run: Run, tmp_path: Path, field: str, value: str, code: str) -> None:
    issue = one_issue(tmp_path, paper(**{field: f'"{value}"'}))
    found = check_output(run("check", "."), tmp_path)
    line = {"title": 1, "url": 2, "summary": 4}[field]
    refusals = [p for p in found if code in p.message]
    assert [(p.path, p.line, p.column, p.rule) for p in refusals] == [
        ("issues/001/papers/01-paper.toml", line, len(field) + 4, "invalid-value")], found
    assert f"{field} contains the" in refusals[0].message and "remove it" in refusals[0].message
    # Never raw in the HTML, the Markdown or the mail: render refuses the issue.
    for render_format in ("html", "md", "email"):
        result = run("render", str(issue), "--format", render_format, "--from", "e@example.com")
        render_output(result, tmp_path)
        assert result.exit_code == 1 and result.stdout == ""


def test_an_issue_title_with_controls_never_reaches_html_or_subject(
        run: Run, tmp_path: Path) -> None:
    issue = one_issue(tmp_path, paper(), extra='title = "T \\u0000\\u001b[31m"\n')
    found = check_output(run("check", "."), tmp_path)
    assert [(p.path, p.line, p.column) for p in found if "U+0000" in p.message] == [
        ("issues/001/issue.toml", 4, 9)], found
    result = run("render", str(issue), "--format", "email", "--from", "e@example.com",
                 "--output", "x.eml")
    render_output(result, tmp_path)
    assert not Path("x.eml").exists()


def test_tab_and_newline_stay_allowed_in_prose(run: Run, tmp_path: Path) -> None:
    issue = one_issue(tmp_path, paper(summary='"""Two lines,\n\tindented\nand fine."""'))
    found = check_output(run("check", "."), tmp_path)
    assert not [p for p in found if p.severity == "error"], found
    assert run("render", str(issue), "--format", "text").exit_code == 0


# ---------------------------------------------------------------------- D. keys as written


@pytest.mark.parametrize(("line", "shown"), [
    ('"api.secret.token" = 1', "unknown key 'api.secret.token'"),
    ("api.secret.token = 1", "unknown key 'api'"),          # a real dotted key: table 'api'
    ('"gain%" = 1', "unknown key 'gain%'"),
    ('"sum.mary" = "x"', "unknown key 'sum.mary'"),
])
def test_an_unknown_key_is_reported_as_the_file_spells_it(
        run: Run, tmp_path: Path, line: str, shown: str) -> None:
    one_issue(tmp_path, paper() + line + "\n")
    found = check_output(run("check", "."), tmp_path)
    unknown = [p for p in found if p.rule == "unknown-key"]
    assert [(p.line, p.message.split(";")[0]) for p in unknown] == [(7, shown)], found


def test_a_quoted_key_with_dots_inside_a_table_is_named_whole(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(), config='[check.rules]\n[check."budgets.x"]\n')
    found = check_output(run("check", "."), tmp_path)
    unknown = [p.message.split(";")[0] for p in found if p.rule == "unknown-key"]
    assert unknown == ["unknown key 'budgets.x'"], found


def test_a_wrong_type_under_a_dotted_key_quotes_it(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(key_findings='[{ text = "x", points = ["y"] }]'))
    found = check_output(run("check", "."), tmp_path)
    assert any(p.message.startswith("key_findings[0] ") for p in found), found


# ----------------------------------------------------- E. the environment is not a bug


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("args", [
    ("check", "."), ("check", ".", "--format", "json"), ("check", ".", "--format", "sarif"),
    ("render", "issues/001", "--format", "md"), ("render", "issues/001", "--format", "email",
                                                 "--from", "e@example.com"),
])
def test_stdout_on_a_full_disk_is_one_line_exit_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    one_issue(tmp_path, paper())
    with open("/dev/full", "wb") as full:
        completed = subprocess.run(newsletter_argv(*args), cwd=tmp_path, stdout=full,
                                   stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   env=child_env(), timeout=60)
    stderr = completed.stderr.decode("utf-8")
    assert completed.returncode == 2, stderr
    assert stderr.splitlines() == [
        "newsletter: error: cannot write to standard output: No space left on device"], stderr


@pytest.mark.skipif(sys.platform == "darwin", reason="APFS refuses names that are not UTF-8")
@pytest.mark.parametrize("report_format", FORMATS)
def test_a_file_name_that_is_not_utf8_gives_valid_utf8_output(
        tmp_path: Path, report_format: str) -> None:
    issue = one_issue(tmp_path, paper())
    fd = os.open(os.fsencode(issue / "papers") + b"/02-\xff\x1b[31m.toml",
                 os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"title = 3\n")
    os.close(fd)
    result = run_process(["check", ".", "--format", report_format], cwd=tmp_path)
    # run_process decodes stdout strictly as UTF-8: it got this far, so it is.
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    _judge(report_format, result.stdout)
    if report_format == "sarif":
        uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for r in json.loads(result.stdout)["runs"][0]["results"]]
        assert "issues/001/papers/02-%FF%1B%5B31m.toml" in uris, uris
    elif report_format == "json":
        paths = {p["path"] for p in json.loads(result.stdout)}
        assert "issues/001/papers/02-\\udcff\\x1b[31m.toml" in paths, paths
    else:
        assert "02-\\udcff\\x1b[31m.toml" in result.stdout, result.stdout


@pytest.mark.parametrize(("template", "line", "says"), [
    ("line one\n{{ 1/0 }}\n", 2, "ZeroDivisionError"),
    # Python's RecursionError, or the sandbox's own limit on nested macros.
    ("{% macro r(n) %}{{ r(n) }}{% endmacro %}\nx\n{{ r(1) }}\n", 1,
     "RecursionError|nested"),
    ("a\nb\n{{ nothere.x }}\n", 3, "'nothere' is undefined"),
    ("a\n{{ f.link() }}\n", 2, "TypeError"),
    ('a\n{% include "missing.j2" %}\n', 2, "missing.j2"),
    ("a\n{{ x( }}\n", 2, "template error"),
    ("a\n{{ '\x1b[31m' ~ 1/0 }}\n", 2, "ZeroDivisionError"),
])
def test_a_broken_template_of_the_publication_is_named_at_its_line(
        run: Run, tmp_path: Path, template: str, line: int, says: str) -> None:
    issue = one_issue(tmp_path, paper())
    own = tmp_path / "templates" / "weekly"
    shutil.copytree(TEMPLATES / "weekly", own)
    (own / "issue.j2").write_text(template, encoding="utf-8")
    result = run("render", str(issue), "--format", "md")
    error = one_line_error(result)
    assert result.exit_code == 1, result.output
    assert error.startswith(f"newsletter: error: templates/weekly/issue.j2:{line}: "), error
    assert re.search(says, error) and str(TEMPLATES) not in error, error
    assert not RAW_CONTROL.search(result.stderr)
