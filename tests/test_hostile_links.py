"""Nothing is read from outside the publication, whatever links a pull request adds.

The secret sits outside the repository; the pull request adds only symbolic links. CI runs
``check --format github`` (public annotations) and the editor runs ``render``: the secret
must appear in neither, and each link is one error at the link's own path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.cli import Run
from tests.support.paths import EXAMPLES

SECRET = 'DATABASE_URL = "http://admin:S3cr3t@db.internal/prod"\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A publication holding the weekly example as issues/003, and a secret beside it."""
    (tmp_path / "secret.toml").write_text(SECRET, encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    shutil.copytree(EXAMPLES / "weekly" / "papers", tmp_path / "elsewhere" / "papers")
    (tmp_path / "elsewhere" / "issue.toml").write_text(SECRET + "number = 9\n")
    root = tmp_path / "repo"
    (root / "issues").mkdir(parents=True)
    shutil.copy(EXAMPLES / "weekly" / "newsletter.toml", root / "newsletter.toml")
    shutil.copytree(EXAMPLES / "weekly", root / "issues" / "003",
                    ignore=shutil.ignore_patterns("newsletter.toml", ".newsletter-cache"))
    return root


def _leaks(text: str) -> bool:
    return "S3cr3t" in text or "DATABASE_URL" in text or "db.internal" in text


@pytest.mark.parametrize("report_format", ["text", "github", "json", "sarif"])
def test_a_paper_linking_outside_is_refused_unread(run: Run, repo: Path,
                                                  report_format: str) -> None:
    os.symlink(repo.parent / "secret.toml", repo / "issues" / "003" / "papers" / "99-x.toml")
    result = run("check", str(repo), "--format", report_format, "--no-cache")
    assert result.exit_code == 1
    assert not _leaks(result.stdout + result.stderr)
    assert "99-x.toml" in result.stdout and "outside-publication" in result.stdout


def test_the_message_is_one_line_at_the_link(run: Run, repo: Path) -> None:
    os.symlink(repo.parent / "secret.toml", repo / "issues" / "003" / "papers" / "99-x.toml")
    result = run("check", str(repo), "--no-cache")
    assert (f"{repo.name}/issues/003/papers/99-x.toml:1:1: error: is a link that leads "
            "outside the publication; not read [outside-publication]") in result.stdout


def test_render_refuses_an_issue_with_such_a_paper(run: Run, repo: Path) -> None:
    os.symlink(repo.parent / "secret.toml", repo / "issues" / "003" / "papers" / "99-x.toml")
    result = run("render", str(repo / "issues" / "003"), "--format", "text")
    assert result.exit_code == 1 and not _leaks(result.stdout + result.stderr)


def test_an_issue_folder_linking_outside_is_refused(run: Run, repo: Path) -> None:
    os.symlink(repo.parent / "elsewhere", repo / "issues" / "009")
    for args in (["check", str(repo / "issues" / "009"), "--no-cache"],
                 ["render", str(repo / "issues" / "009"), "--format", "md"]):
        result = run(*args)
        assert result.exit_code == 1, args
        assert not _leaks(result.stdout + result.stderr)
        assert "outside the publication" in result.stdout + result.stderr


def test_a_papers_folder_linking_outside_is_refused(run: Run, repo: Path) -> None:
    papers = repo / "issues" / "003" / "papers"
    shutil.rmtree(papers)
    os.symlink(repo.parent / "elsewhere" / "papers", papers)
    result = run("check", str(repo), "--no-cache")
    assert result.exit_code == 1
    assert result.stdout.count("[outside-publication]") == len(
        list((repo.parent / "elsewhere" / "papers").glob("*.toml")))


def test_a_publication_file_linking_outside_is_refused(run: Run, repo: Path) -> None:
    (repo / "newsletter.toml").unlink()
    os.symlink(repo.parent / "secret.toml", repo / "newsletter.toml")
    result = run("check", str(repo), "--format", "github", "--no-cache")
    assert result.exit_code == 1 and not _leaks(result.stdout + result.stderr)
    assert "newsletter.toml" in result.stdout and "outside-publication" in result.stdout


def test_links_inside_the_publication_are_fine(run: Run, repo: Path) -> None:
    papers = repo / "issues" / "003" / "papers"
    first = sorted(papers.glob("*.toml"))[0]
    (repo / "shared").mkdir()
    moved = repo / "shared" / first.name
    first.rename(moved)
    os.symlink(moved, first)
    assert run("check", str(repo), "--no-cache").exit_code == 0


def test_an_insecure_link_message_does_not_repeat_a_password(run: Run, repo: Path) -> None:
    paper = sorted((repo / "issues" / "003" / "papers").glob("*.toml"))[0]
    paper.write_text(paper.read_text() + 'blurb = "See http://admin:S3cr3t@db.internal/x"\n')
    result = run("check", str(repo), "--format", "github", "--no-cache")
    assert "insecure-link" in result.stdout
    assert "S3cr3t" not in result.stdout and "admin" not in result.stdout
