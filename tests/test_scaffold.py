"""``newsletter new-issue``: the scaffolded issue.toml, its defaults, and what check makes of it."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from newsletter.commands.add_paper import LIST_FLAGS, OTHER_FLAGS, TEXT_FLAGS
from newsletter.entries.styles import load_style
from tests.support.cli import PROBLEM, Result, Run
from tests.support.paths import EXAMPLES, STYLES

SECTION = "Efficient Inference"


def new_issue(run: Run, style: str = "briefing") -> Result:
    """``new-issue issue`` with every option given."""
    return run("new-issue", "issue", "--style", style, "--number", "12",
               "--date", "2026-04-19", "--title", "This Week in AI")


def read_issue(directory: Path) -> dict[str, Any]:
    return tomllib.loads((directory / "issue.toml").read_text(encoding="utf-8"))


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("newsletter: error: "), stderr
    return lines[0]


def is_placeholder(value: Any) -> bool:
    """An empty value the scaffold left for the editor to fill ("" , [], or blank sections)."""
    if value in ("", []):
        return True
    return isinstance(value, list) and all(
        isinstance(item, dict) and all(v == "" for v in item.values()) for item in value)


def flagged_fields(check_stdout: str, severity: str = "error") -> dict[str, set[str]]:
    """Top-level field names mentioned by check's lines of one severity, per file name."""
    flagged: dict[str, set[str]] = {}
    for line in check_stdout.splitlines():
        match = PROBLEM.match(line)
        if match is None or match["severity"] != severity:
            continue
        # "lede must not be empty", "'takeaways' is empty, ...", "missing 'closing', ..."
        name = re.match(r"(?:missing )?'?(\w+)", match["message"])
        assert name is not None, line
        flagged.setdefault(Path(match["path"]).name, set()).add(name[1])
    return flagged


def paper_args(style: str) -> list[str]:
    """add-paper flags giving a value to every paper field the style requires."""
    flags = {**TEXT_FLAGS, **LIST_FLAGS, **OTHER_FLAGS}
    chosen = load_style(style)
    args: list[str] = []
    for field in chosen.requires_paper:
        value = {"url": "https://arxiv.org/abs/2604.00001", "score": "8.5",
                 "section": SECTION}.get(field, f"Some {field.replace('_', ' ')}.")
        # As many list items as the style shows, so the paper is lint-clean as well.
        repeat = chosen.counts[field][0] if field in chosen.counts else 1
        for _ in range(repeat):
            args += [flags[field], value]
    return args


def scaffold_with_paper(run: Run, tmp_path: Path, style: str) -> Path:
    """A publication (copied from the example), a new issue in it, and one complete paper."""
    (tmp_path / "newsletter.toml").write_bytes(
        (EXAMPLES / style / "newsletter.toml").read_bytes())
    assert new_issue(run, style).exit_code == 0
    added = run("add-paper", "issue", *paper_args(style))
    assert added.exit_code == 0, added.stderr
    return tmp_path / "issue"


def fill_placeholders(issue_dir: Path) -> None:
    """What the editor does next: write something into every empty field."""
    data = read_issue(issue_dir)
    for key, value in data.items():
        if key == "sections" and is_placeholder(value):
            data[key] = [{"title": SECTION, "intro": "Papers that make serving cheaper."}]
        elif value == "":
            data[key] = f"The editor's {key}."
        elif value == []:
            data[key] = [f"The editor's first {key} item."]
    (issue_dir / "issue.toml").write_text(tomli_w.dumps(data), encoding="utf-8")


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


# ------------------------------------------------------------------ what new-issue writes


@pytest.mark.parametrize("style", STYLES)
def test_creates_issue_toml_and_papers_dir(run: Run, tmp_path: Path, style: str) -> None:
    result = new_issue(run, style)

    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "issue" / "issue.toml").is_file()
    assert (tmp_path / "issue" / "papers").is_dir()


@pytest.mark.parametrize("style", STYLES)
def test_issue_toml_parses_with_masthead_values(run: Run, tmp_path: Path, style: str) -> None:
    new_issue(run, style)

    data = read_issue(tmp_path / "issue")

    assert data["style"] == style
    assert data["number"] == 12
    assert data["date"] == dt.date(2026, 4, 19)
    assert data["title"] == "This Week in AI"
    assert data["status"] == "draft"


@pytest.mark.parametrize("style", STYLES)
def test_issue_toml_has_a_comment_above_every_field(run: Run, tmp_path: Path,
                                                     style: str) -> None:
    new_issue(run, style)

    lines = (tmp_path / "issue" / "issue.toml").read_text(encoding="utf-8").splitlines()
    keys = [(i, line.split(" =")[0]) for i, line in enumerate(lines)
            if re.match(r"^\w+ = ", line)]

    assert {key for _, key in keys} == set(read_issue(tmp_path / "issue"))
    for index, key in keys:
        assert index > 0 and lines[index - 1].startswith("# "), f"no comment above {key}"


@pytest.mark.parametrize("style", STYLES)
def test_issue_toml_includes_the_style_required_fields(run: Run, tmp_path: Path,
                                                       style: str) -> None:
    new_issue(run, style)

    data = read_issue(tmp_path / "issue")

    missing = set(load_style(style).requires_issue) - set(data)
    assert not missing


def test_title_round_trips_exactly(run: Run, tmp_path: Path) -> None:
    title = 'Quotes "inside", a back\\slash, Ünïcödé 模型 🚀 and """triple"""'

    result = run("new-issue", "issue", "--style", "weekly", "--number", "1",
                 "--date", "2026-04-19", "--title", title)

    assert result.exit_code == 0, result.stderr
    assert read_issue(tmp_path / "issue")["title"] == title


def test_issue_toml_mode_follows_the_umask(run: Run, tmp_path: Path, umask_022: None) -> None:
    new_issue(run)

    mode = stat.S_IMODE((tmp_path / "issue" / "issue.toml").stat().st_mode)

    assert mode == 0o644, oct(mode)


# ------------------------------------------------------------------ refusals and bad input


def test_refuses_to_overwrite_an_existing_issue(run: Run, tmp_path: Path) -> None:
    new_issue(run)
    path = tmp_path / "issue" / "issue.toml"
    before = path.read_bytes()

    result = run("new-issue", "issue", "--style", "weekly", "--number", "99",
                 "--title", "Another title")

    assert result.exit_code != 0
    assert "issue.toml" in one_line_error(result.stderr)
    assert path.read_bytes() == before


def test_unknown_style_is_a_usage_error_listing_the_styles(run: Run, tmp_path: Path) -> None:
    result = new_issue(run, "no-such-style")

    assert result.exit_code == 2
    message = one_line_error(result.stderr)
    assert "no-such-style" in message
    for style in STYLES:
        assert style in message
    assert not (tmp_path / "issue").exists()


@pytest.mark.parametrize("date", ["2026-02-30", "19/04/2026", "tomorrow", ""])
def test_bad_date_is_a_usage_error(run: Run, tmp_path: Path, date: str) -> None:
    result = run("new-issue", "issue", "--style", "weekly", "--date", date)

    assert result.exit_code == 2
    assert "--date" in one_line_error(result.stderr)
    assert not (tmp_path / "issue").exists()


@pytest.mark.parametrize("number", ["0", "-3"])
def test_number_below_one_is_a_usage_error(run: Run, tmp_path: Path, number: str) -> None:
    result = run("new-issue", "issue", "--style", "weekly", "--number", number)

    assert result.exit_code == 2
    assert "--number" in one_line_error(result.stderr)
    assert not (tmp_path / "issue").exists()


def test_style_is_required_without_a_publication_default(run: Run, tmp_path: Path) -> None:
    result = run("new-issue", "issue", "--number", "1")

    assert result.exit_code == 2
    assert "--style" in one_line_error(result.stderr)
    assert not (tmp_path / "issue").exists()


@pytest.mark.parametrize("title", ["", "two\nlines", "x" * 301])
def test_invalid_title_is_a_one_line_usage_error(run: Run, tmp_path: Path, title: str) -> None:
    result = run("new-issue", "issue", "--style", "weekly", "--number", "1", "--title", title)

    assert result.exit_code == 2
    assert "title" in one_line_error(result.stderr)
    assert not (tmp_path / "issue" / "issue.toml").exists()


# ------------------------------------------------------------------ defaults


def test_default_number_is_one_more_than_the_highest_sibling(run: Run, tmp_path: Path) -> None:
    run("new-issue", "issues/a", "--style", "weekly", "--number", "7")
    run("new-issue", "issues/b", "--style", "weekly", "--number", "3")

    result = run("new-issue", "issues/c", "--style", "weekly")

    assert result.exit_code == 0, result.stderr
    assert read_issue(tmp_path / "issues" / "c")["number"] == 8


def test_default_number_is_1_without_siblings(run: Run, tmp_path: Path) -> None:
    result = run("new-issue", "issues/first", "--style", "weekly")

    assert result.exit_code == 0, result.stderr
    assert read_issue(tmp_path / "issues" / "first")["number"] == 1


def test_default_style_comes_from_newsletter_toml_above(run: Run, tmp_path: Path) -> None:
    (tmp_path / "newsletter.toml").write_text('name = "Daily"\nstyle = "digest"\n',
                                              encoding="utf-8")

    result = run("new-issue", "issues/001", "--number", "1")

    assert result.exit_code == 0, result.stderr
    data = read_issue(tmp_path / "issues" / "001")
    assert data["style"] == "digest"
    assert set(load_style("digest").requires_issue) <= set(data)


def test_default_date_is_today(run: Run, tmp_path: Path) -> None:
    result = run("new-issue", "issue", "--style", "weekly", "--number", "1")

    assert result.exit_code == 0, result.stderr
    assert read_issue(tmp_path / "issue")["date"] == dt.date.today()


# ------------------------------------------------------------------ scaffold → check → render


@pytest.mark.parametrize("style", STYLES)
def test_check_of_a_fresh_issue_reports_exactly_its_placeholders(run: Run, tmp_path: Path,
                                                                 style: str) -> None:
    issue_dir = scaffold_with_paper(run, tmp_path, style)
    required = set(load_style(style).requires_issue)
    # An empty list is a valid value unless the style requires the field; "" never is.
    placeholders = {key for key, value in read_issue(issue_dir).items()
                    if is_placeholder(value) and (value != [] or key in required)}

    # A new issue is a draft: what is still to fill in is a warning at its line ...
    result = run("check", str(issue_dir))
    warned = flagged_fields(result.stdout, "warning")
    assert warned.pop("issue.toml", set()) == placeholders, result.stdout
    # (a paper naming a section the issue has not written yet waits for it, too)
    assert all(fields == {"section"} for fields in warned.values()), result.stdout
    assert flagged_fields(result.stdout) == {}, result.stdout
    assert result.exit_code == 0, result.stdout

    # ... and an error at the same line once the issue says it is published.
    issue = issue_dir / "issue.toml"
    issue.write_text(issue.read_text().replace('status = "draft"', 'status = "published"'))
    published = run("check", str(issue_dir))
    failed = flagged_fields(published.stdout)
    assert failed.pop("issue.toml", set()) == placeholders, published.stdout
    assert all(fields == {"section"} for fields in failed.values()), published.stdout
    assert published.exit_code == (1 if placeholders else 0), published.stdout


@pytest.mark.parametrize("style", STYLES)
def test_filled_in_issue_checks_clean_and_renders(run: Run, tmp_path: Path,
                                                  style: str) -> None:
    issue_dir = scaffold_with_paper(run, tmp_path, style)
    fill_placeholders(issue_dir)

    checked = run("check", str(issue_dir))
    rendered = run("render", str(issue_dir), "--format", "text")

    assert checked.exit_code == 0, checked.stdout
    assert checked.lines[-1].startswith("All good:")
    assert rendered.exit_code == 0, rendered.stderr
    assert "https://arxiv.org/abs/2604.00001" in rendered.stdout
