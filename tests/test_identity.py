"""One identity for a paper: duplicate-paper, covered-before and add-paper agree on it."""

from __future__ import annotations

import subprocess
import time
import unicodedata
from pathlib import Path

import pytest

from newsletter.entries.identity import ArxivId, arxiv_id, link_key, parse_arxiv, same_text
from tests.support.cli import Run, child_env, newsletter_argv


def _publication(root: Path) -> Path:
    (root / "newsletter.toml").write_text('name = "P"\nstyle = "weekly"\n')
    return root


def _issue(root: Path, folder: str, number: int, papers: dict[str, tuple[str, str]]) -> Path:
    issue = root / "issues" / folder
    (issue / "papers").mkdir(parents=True)
    (issue / "issue.toml").write_text(f"number = {number}\ndate = 2026-0{number}-01\n")
    for name, (title, url) in papers.items():
        (issue / "papers" / f"{name}.toml").write_text(
            f'title = "{title}"\nurl = "{url}"\nscore = 8.0\nsummary = "S."\n'
            'key_findings = ["a", "b", "c", "d"]\napplications = ["x", "y", "z"]\n')
    return issue


@pytest.mark.parametrize(("first", "second"), [
    ("https://arxiv.org/abs/2501.00663", "https://arxiv.org/pdf/2501.00663v2"),
    ("https://arxiv.org/abs/2501.00663v1", "https://arxiv.org/pdf/2501.00663v2.pdf"),
    ("https://arxiv.org/abs/2501.00663", "https://huggingface.co/papers/2501.00663"),
    ("https://arxiv.org/abs/2501.00663", "https://www.alphaxiv.org/abs/2501.00663"),
    ("https://export.arxiv.org/abs/2501.00663", "https://arxiv.org/html/2501.00663v3"),
    ("https://arxiv.org/abs/hep-th/9901001", "https://arxiv.org/pdf/hep-th/9901001v2"),
    ("https://doi.org/10.1145/ABC.123", "https://dx.doi.org/10.1145/abc.123"),
])
def test_two_links_to_one_paper_in_an_issue_are_a_duplicate(
        run: Run, tmp_path: Path, first: str, second: str) -> None:
    root = _publication(tmp_path)
    _issue(root, "001", 1, {"01-a": ("One Title", first), "02-b": ("Another Title", second)})
    result = run("check", "--no-cache")
    assert result.exit_code == 1
    assert "issues/001/papers/02-b.toml:2:7: error: the same paper (" in result.stdout
    assert "as 01-a.toml [duplicate-paper]" in result.stdout


@pytest.mark.parametrize("variant", [
    unicodedata.normalize("NFD", "Café Attention"),       # decomposed accent
    "Café\u200b Attention",                               # zero-width space
    "Ｃａｆé Attention",                                    # fullwidth letters
    "CAFÉ   attention",                                   # case and spacing
])
def test_a_title_that_reads_the_same_was_covered_before(
        run: Run, tmp_path: Path, variant: str) -> None:
    root = _publication(tmp_path)
    _issue(root, "001", 1, {"01-a": ("Café Attention", "https://example.org/a")})
    _issue(root, "002", 2, {"01-b": (variant, "https://example.org/b")})
    result = run("check", "--no-cache")
    assert "issues/002/papers/01-b.toml:2:7: warning: already covered in issue 1" \
        in result.stdout, result.stdout


def test_an_old_style_id_was_covered_before(run: Run, tmp_path: Path) -> None:
    root = _publication(tmp_path)
    _issue(root, "001", 1, {"01-a": ("A", "https://arxiv.org/abs/math.GT/0309136")})
    _issue(root, "002", 2, {"01-b": ("B", "https://arxiv.org/pdf/math.GT/0309136v1")})
    result = run("check", "--no-cache")
    assert "issues/002/papers/01-b.toml:2:7: warning: already covered in issue 1" \
        in result.stdout


def test_add_paper_refuses_another_form_of_a_link_already_there(
        run: Run, tmp_path: Path) -> None:
    root = _publication(tmp_path)
    issue = _issue(root, "001", 1, {"01-a": ("A", "https://arxiv.org/abs/2501.00663")})
    result = run("add-paper", str(issue), "--title", "B", "--url",
                 "https://huggingface.co/papers/2501.00663v2")
    assert result.exit_code == 1
    assert "(arxiv:2501.00663)" in result.stderr and "already in this issue" in result.stderr


def test_two_issues_with_one_number_are_an_error(run: Run, tmp_path: Path) -> None:
    root = _publication(tmp_path)
    _issue(root, "001", 1, {"01-a": ("A", "https://example.org/a")})
    _issue(root, "001-again", 1, {"01-b": ("B", "https://example.org/b")})
    result = run("check", "--no-cache")
    assert result.exit_code == 1
    assert ("issues/001-again/issue.toml:1:10: error: issue 1 is numbered like "
            "issues/001/issue.toml; each issue needs its own number [duplicate-number]"
            ) in result.stdout


def test_concurrent_new_issues_take_distinct_numbers(tmp_path: Path) -> None:
    root = _publication(tmp_path)
    (root / "issues").mkdir()
    runs = [subprocess.Popen(newsletter_argv("new-issue", f"issues/n{index}"), cwd=root,
                             env=child_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE) for index in range(8)]
    for process in runs:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    numbers = sorted(int(line.split("=")[1]) for path in (root / "issues").glob("*/issue.toml")
                     for line in path.read_text().splitlines()
                     if line.startswith("number ="))
    assert numbers == list(range(1, 9))


def test_identity_keys() -> None:
    assert arxiv_id("arXiv:2604.01234v2") == "2604.01234"
    assert arxiv_id("https://arxiv.org/abs/2604.01234?context=cs") == "2604.01234"
    assert arxiv_id("https://example.org/abs/2604.01234") is None
    assert link_key("https://www.Example.org/a/#top") == "url:example.org/a"
    assert same_text("Café") == same_text(unicodedata.normalize("NFD", "CAFÉ"))


@pytest.mark.parametrize(("text", "base", "version"), [
    ("2604.01234", "2604.01234", None),
    ("2604.01234v2", "2604.01234", 2),
    ("  arXiv:2604.01234 ", "2604.01234", None),
    ("ARXIV:2604.01234v3", "2604.01234", 3),
    ("0704.0001", "0704.0001", None),                       # four digits before 2015
    ("https://arxiv.org/abs/2604.01234", "2604.01234", None),
    ("http://arxiv.org/abs/2604.01234v2?context=cs#ref", "2604.01234", 2),
    ("arxiv.org/abs/2604.01234/", "2604.01234", None),
    ("https://arxiv.org/pdf/2604.01234", "2604.01234", None),
    ("https://arxiv.org/pdf/2604.01234v2", "2604.01234", 2),
    ("https://arxiv.org/pdf/2604.01234v2.pdf", "2604.01234", 2),
    ("https://arxiv.org/html/2604.01234v1", "2604.01234", 1),
    ("https://export.arxiv.org/abs/2604.01234", "2604.01234", None),
    ("https://www.arxiv.org/abs/2604.01234", "2604.01234", None),
    ("hep-th/9901001", "hep-th/9901001", None),
    ("HEP-TH/9901001v2", "hep-th/9901001", 2),
    ("math.GT/0309136", "math.GT/0309136", None),
    ("math.gt/0309136v1", "math.GT/0309136", 1),
    ("https://arxiv.org/abs/math.GT/0309136", "math.GT/0309136", None),
    ("https://arxiv.org/pdf/hep-th/9901001v2.pdf", "hep-th/9901001", 2),
    ("https://huggingface.co/papers/2604.01234", "2604.01234", None),
    ("https://www.alphaxiv.org/abs/2604.01234", "2604.01234", None),
    ("https://alphaxiv.org/overview/2604.01234v2", "2604.01234", 2),
])
def test_every_accepted_arxiv_form(text: str, base: str, version: int | None) -> None:
    found = parse_arxiv(text)
    assert found == ArxivId(base, version)
    assert found.abs_url == f"https://arxiv.org/abs/{base}"
    assert str(found) == (f"{base}v{version}" if version else base)
    assert link_key(text) == f"arxiv:{base}"


@pytest.mark.parametrize("text", [
    "2604.01234v999999999999",                   # no paper has a thousand versions
    "2604.01234v0",
    "2604.0١٢٣٤",                                # Arabic-Indic digits
    "２６０４.０１２３４",                           # fullwidth digits
    "https://arxiv.org/abs/2604.0١٢٣٤",
    "https://arxiv.org/abs/２６０４.０１２３４v2",
    "https://arxiv.org.evil.com/abs/2604.01234",
    "https://evil.com/arxiv.org/abs/2604.01234",
    "https://arxiv.org@evil.com/abs/2604.01234",
    "https://evil.com/?u=https://arxiv.org/abs/2604.01234",
    "https://arxiv.org/abs/2604.01234/extra",
    "https://example.org/abs/2604.01234",
    "arXiv:2604.01234 extra",
    "2604.123",
    "2604.123456",
    "hep-th/990100",
    "abc",
    "",
    "2604.01234\n2604.05678",                     # two lines are not one id
    "https://arxiv.org/abs/2604.01234\x00",
    "https://arxiv.org/abs/2604.01234\n?context=cs",
])
def test_hostile_arxiv_text_is_no_id(text: str) -> None:
    assert parse_arxiv(text) is None
    assert not link_key(text).startswith("arxiv:")


@pytest.mark.parametrize("text", [
    "https://arxiv.org/abs/" + "2" * 10_000,
    "https://arxiv.org/abs/" + "a-" * 5_000 + "/0309136",
    "arXiv:" + "1" * 10_000 + ".01234",
    "https://arxiv.org/abs/2604.01234?" + "x" * 10_000,
])
def test_ten_kilobytes_of_text_are_no_id_and_quick(text: str) -> None:
    started = time.perf_counter()
    assert parse_arxiv(text) is None
    assert time.perf_counter() - started < 0.05
