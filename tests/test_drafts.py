"""An unfinished issue is a draft: what its style still needs is a warning, not a wall.

The path a new user takes: new-issue, two add-paper, check, render; no newsletter.toml and
an empty lede. Then flipping the issue to published makes the same lines errors.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.cli import PROBLEM, Run

TITLES = ("IndexCache: Accelerating Sparse Attention via Cross-Layer Index Reuse",
          "Spatial-TTT: Streaming Visual-based Spatial Intelligence")


@pytest.fixture
def draft(run: Run, tmp_path: Path) -> Path:
    assert run("new-issue", "demo", "--style", "briefing", "--number", "1", "--date",
               "2026-03-16", "--title", "Demo").exit_code == 0
    for index, title in enumerate(TITLES, start=1):
        result = run("add-paper", "demo", "--title", title, "--url",
                     f"https://arxiv.org/abs/2603.0000{index}", "--headline", f"Headline {index}",
                     "--problem", "The problem.", "--solution", "The solution.",
                     "--why", "Cost: lower.")
        assert result.exit_code == 0, result.stderr
    return tmp_path / "demo"


def _problems(stdout: str) -> list[re.Match[str]]:
    return [match for line in stdout.splitlines() if (match := PROBLEM.match(line))]


def test_a_new_users_draft_checks_with_warnings_only(run: Run, draft: Path) -> None:
    result = run("check", "demo")
    assert result.exit_code == 0, result.stdout
    found = _problems(result.stdout)
    assert found and {m["severity"] for m in found} == {"warning"}
    assert {m["rule"] for m in found} == {"incomplete"}
    assert ("demo/issue.toml:1:1: warning: no newsletter.toml found in this directory or "
            "above; the publication's name: which style 'briefing' needs before the issue "
            "is published [incomplete]") in result.stdout
    # The empty lede is reported at its own line, where the editor will type.
    lede = next(m for m in found if "'lede'" in m["message"])
    line = (draft / "issue.toml").read_text().splitlines()[int(lede["line"]) - 1]
    assert line.startswith("lede = ")
    assert result.lines[-1] == f"Found {len(found)} warnings in 3 files."


def test_strict_fails_a_draft_that_is_not_finished(run: Run, draft: Path) -> None:
    assert run("check", "demo", "--strict").exit_code == 1


def test_published_makes_the_same_lines_errors(run: Run, draft: Path) -> None:
    as_draft = {(m["path"], m["line"], m["col"]) for m in _problems(run("check", "demo").stdout)}
    issue = draft / "issue.toml"
    issue.write_text(issue.read_text().replace('status = "draft"', 'status = "published"'))
    result = run("check", "demo")
    assert result.exit_code == 1
    found = _problems(result.stdout)
    assert {m["severity"] for m in found} == {"error"}
    # Each place the draft was told about is an error now (empty strings are also refused
    # as values, at the same place).
    assert as_draft <= {(m["path"], m["line"], m["col"]) for m in found}


@pytest.mark.parametrize(("text", "rule"), [
    ('score = "8"\n', "wrong-type"),
    ("sumary = 'x'\n", "unknown-key"),
    ('blurb = "[x](javascript:alert(1))"\n', "invalid-value"),
])
def test_a_draft_still_has_real_errors(run: Run, draft: Path, text: str, rule: str) -> None:
    paper = sorted((draft / "papers").glob("*.toml"))[0]
    paper.write_text(paper.read_text() + text)
    result = run("check", "demo")
    assert result.exit_code == 1
    assert any(m["rule"] == rule and m["severity"] == "error"
               for m in _problems(result.stdout)), result.stdout


def test_a_duplicate_in_a_draft_is_an_error(run: Run, draft: Path) -> None:
    second = sorted((draft / "papers").glob("*.toml"))[1]
    second.write_text(second.read_text().replace("2603.00002", "2603.00001"))
    result = run("check", "demo")
    assert result.exit_code == 1 and "[duplicate-paper]" in result.stdout


def test_an_empty_value_in_a_draft_is_not_yet_written(run: Run, draft: Path) -> None:
    paper = sorted((draft / "papers").glob("*.toml"))[0]
    paper.write_text(paper.read_text().replace('headline = "Headline 1"', 'headline = ""'))
    result = run("check", "demo")
    assert result.exit_code == 0, result.stdout
    assert re.search(r"papers/01-[^:]+:\d+:12: warning: 'headline' is empty, which style "
                     r"'briefing' needs before the issue is published \[incomplete\]",
                     result.stdout), result.stdout


def test_a_draft_renders_and_says_what_it_left_out(run: Run, draft: Path) -> None:
    for output_format in ("md", "text", "html"):
        result = run("render", "demo", "--format", output_format)
        assert result.exit_code == 0, result.stderr
        left_out = [m for line in result.stderr.splitlines() if (m := PROBLEM.match(line))]
        assert {m["rule"] for m in left_out} == {"incomplete"}
        assert any("'lede'" in m["message"] for m in left_out)
        assert "Headline 1" in result.stdout and "None" not in result.stdout
    html = run("render", "demo", "--format", "html").stdout
    assert "Draft" in html


def test_a_drafts_email_says_draft_in_its_subject_and_banner(run: Run, draft: Path) -> None:
    import email
    import email.policy

    result = run("render", "demo", "--format", "email", "--from", "Ed <ed@example.com>")
    assert result.exit_code == 0, result.stderr
    message = email.message_from_string(result.stdout, policy=email.policy.default)
    assert message["Subject"] == "[Draft] Demo"
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and text.get_content().startswith("DRAFT")
