"""The result cache: a second check reuses unchanged issues, and is never wrong."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import Run


def test_second_check_uses_the_cache_and_gives_the_same_answer(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    issue = example("weekly")
    first = run("check", str(issue))
    cache = issue / ".newsletter-cache" / "results.pickle"
    assert cache.is_file()
    assert (issue / ".newsletter-cache" / ".gitignore").read_text().strip().endswith("*")
    second = run("check", str(issue))
    assert (first.exit_code, first.stdout) == (second.exit_code, second.stdout)


def test_an_edit_with_the_same_size_and_mtime_is_seen(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    issue = example("weekly")
    paper = issue / "papers" / "03-globalsplat.toml"
    assert run("check", str(issue)).exit_code == 0
    before = paper.stat()
    text = paper.read_text(encoding="utf-8")
    broken = text.replace("score = 8.0", "score = 8.O")  # same length, now invalid TOML
    assert broken != text and len(broken) == len(text)
    paper.write_text(broken, encoding="utf-8")
    os.utime(paper, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert paper.stat().st_size == before.st_size
    result = run("check", str(issue))
    assert result.exit_code == 1
    assert "03-globalsplat.toml:" in result.stdout and "[toml-syntax]" in result.stdout


def test_no_cache_leaves_no_cache_behind(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    issue = example("digest")
    assert run("check", "--no-cache", str(issue)).exit_code == 0
    assert not (issue / ".newsletter-cache").exists()


def test_a_corrupt_cache_is_ignored(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    issue = example("pulse")
    run("check", str(issue))
    (issue / ".newsletter-cache" / "results.pickle").write_bytes(b"not a pickle")
    result = run("check", str(issue))
    assert result.exit_code == 0, result.stdout


def test_a_read_only_cache_folder_does_not_fail_the_check(run: Run, example,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    issue = example("briefing")
    (issue / ".newsletter-cache").write_text("a file where the folder would go")
    result = run("check", str(issue))
    assert result.exit_code == 0, result.stdout
