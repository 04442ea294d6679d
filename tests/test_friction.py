"""What a new user ran into, each fixed: paths from anywhere inside a publication, render of
a file or of a whole publication, help in plain words, warnings beside errors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.support.cli import Run
from tests.support.paths import EXAMPLES


@pytest.fixture
def weekly(tmp_path: Path) -> Path:
    copy = tmp_path / "weekly"
    shutil.copytree(EXAMPLES / "weekly", copy, ignore=shutil.ignore_patterns(".newsletter-*"))
    return copy


def _first_paper(issue: Path) -> Path:
    return sorted((issue / "papers").glob("*.toml"))[0]


@pytest.mark.parametrize("where", ["papers", "."])
def test_check_works_from_inside_an_issue(run: Run, weekly: Path, where: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(weekly / where)
    result = run("check")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.lines[-1] == "All good: 17 files checked, no problems."


def test_a_paper_named_from_its_own_folder_checks_its_issue(
        run: Run, weekly: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(weekly / "papers")
    result = run("check", _first_paper(weekly).name)
    assert result.exit_code == 0, result.stderr
    assert result.lines[-1] == "All good: 17 files checked, no problems."


def test_problems_found_from_inside_point_back_up(run: Run, weekly: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    issue = weekly / "issue.toml"
    issue.write_text(issue.read_text() + "sumary = 'x'\n")
    monkeypatch.chdir(weekly / "papers")
    result = run("check")
    assert result.exit_code == 1
    assert result.lines[0].startswith("../issue.toml:")


@pytest.mark.parametrize("name", ["issue.toml", "papers"])
def test_render_of_a_file_or_folder_of_an_issue_renders_the_issue(run: Run, weekly: Path,
                                                                  name: str) -> None:
    result = run("render", str(weekly / name), "--format", "text")
    assert result.exit_code == 0, result.stderr
    assert "ISSUE 003" in result.stdout


def test_render_of_a_paper_renders_its_issue(run: Run, weekly: Path) -> None:
    result = run("render", str(_first_paper(weekly)), "--format", "text")
    assert result.exit_code == 0 and "ISSUE 003" in result.stdout


def test_render_of_a_publication_names_its_issues(run: Run) -> None:
    result = run("render", str(EXAMPLES), "--format", "text")
    assert result.exit_code == 2
    assert re.fullmatch(r"newsletter: error: \S*examples holds 5 issues; render one of them: "
                        r"\S*examples/briefing, .*, \S*examples/weekly\n", result.stderr), \
        result.stderr


def test_a_warning_is_shown_beside_an_error_of_the_same_file(run: Run, weekly: Path) -> None:
    issue = weekly / "issue.toml"
    text = re.sub(r"^date = .*$", "date = 2099-01-01", issue.read_text(), count=1, flags=re.M)
    issue.write_text(text + "sumary = 'x'\n")
    result = run("check", str(weekly), "--no-cache")
    assert "warning: the date 2099-01-01 is in the future [date-order]" in result.stdout
    assert "error: unknown key 'sumary'" in result.stdout


def _help_of_every_command(run: Run) -> dict[str, str]:
    from newsletter.cli import COMMANDS as commands

    return {name: run(name, "--help").stdout for name in commands}


def test_help_shows_plain_metavars(run: Run) -> None:
    for name, text in _help_of_every_command(run).items():
        assert not re.search(r"<(str|path|int|float|list\[[^\]]*\])>", text), (name, text)
        assert not re.search(r"\{[A-Z_]+\}", text), (name, text)
    add = _help_of_every_command(run)["add-paper"]
    assert re.search(r"--why TEXT\s+An item of why_it_matters; repeat for more\.", add)
    assert re.search(r"--from FILE\s+Read paper fields", add)


def test_markdown_links_need_no_angle_brackets(run: Run) -> None:
    md = run("render", str(EXAMPLES / "weekly"), "--format", "md").stdout
    assert "](https://" in md and "](<" not in md


@pytest.mark.parametrize("quoted", ["“Sparse Attention”", "‘Sparse Attention’", "„Sparse“"])
def test_curly_quotes_are_named_as_the_mistake(run: Run, weekly: Path, quoted: str) -> None:
    paper = _first_paper(weekly)
    text = re.sub(r'^headline = ".*"$', f"headline = {quoted}", paper.read_text(), count=1,
                  flags=re.M)
    if "headline = " not in text:
        text += f"headline = {quoted}\n"
    paper.write_text(text)
    result = run("check", str(weekly), "--no-cache")
    assert result.exit_code == 1
    assert ("invalid TOML: invalid value; text goes in straight quotes (\"...\"), not curly "
            "ones (“...”) [toml-syntax]") in result.stdout
