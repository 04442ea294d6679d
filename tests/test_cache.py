"""The result cache: a second check reuses unchanged issues, and is never wrong."""

from __future__ import annotations

import hmac
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsletter.check.cache import machine_key
from tests.support.cli import Run


def test_second_check_uses_the_cache_and_gives_the_same_answer(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    issue = example("weekly")
    first = run("check", str(issue))
    cache = issue / ".newsletter-cache" / "results.json"
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
    (issue / ".newsletter-cache" / "results.json").write_bytes(b"not a cache")
    result = run("check", str(issue))
    assert result.exit_code == 0, result.stdout


def test_a_read_only_cache_folder_does_not_fail_the_check(run: Run, example,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:
    issue = example("briefing")
    (issue / ".newsletter-cache").write_text("a file where the folder would go")
    result = run("check", str(issue))
    assert result.exit_code == 0, result.stdout


def forge(issue: Path, edit: Callable[[dict[str, Any]], None], key: bytes) -> None:
    """Rewrite the cache's content and sign it with ``key``."""
    cache = issue / ".newsletter-cache" / "results.json"
    stored = json.loads(cache.read_bytes().partition(b"\n")[2])
    edit(stored)
    body = json.dumps(stored).encode()
    cache.write_bytes(hmac.new(key, body, "blake2b").hexdigest().encode() + b"\n" + body)


def forget_problems(stored: dict[str, Any]) -> None:
    for result in stored["results"].values():
        result["problems"] = []


def test_a_cache_from_elsewhere_cannot_hide_a_problem(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    """A cache committed with a pull request, claiming a broken issue is clean, is not
    believed: it is not signed with this machine's key."""
    issue = example("weekly")
    paper = issue / "papers" / "03-globalsplat.toml"
    paper.write_text(paper.read_text(encoding="utf-8").replace("score = 8.0", 'score = "8"'),
                     encoding="utf-8")
    broken = run("check", str(issue))
    assert broken.exit_code == 1
    forge(issue, forget_problems, key=b"another machine's key, not ours!")
    assert run("check", str(issue)).stdout == broken.stdout
    # The same edit signed with this machine's key is believed: the key is what protects.
    forge(issue, forget_problems, key=machine_key() or b"")
    assert run("check", str(issue)).exit_code == 0


def test_a_cache_that_cannot_be_decoded_is_checked_afresh(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    issue = example("weekly")
    first = run("check", str(issue))

    def scramble(stored: dict[str, Any]) -> None:
        for result in stored["results"].values():
            result["problems"] = [["papers/x.toml", "one", 1, 2, 3, "fatal"]]
            result["facts"] = {"number": "seven"}

    forge(issue, scramble, key=machine_key() or b"")
    second = run("check", str(issue))
    assert (second.exit_code, second.stdout) == (first.exit_code, first.stdout)


def test_without_a_place_for_the_key_check_works_uncached(run: Run, example,  # type: ignore[no-untyped-def]
                                                          tmp_path: Path,
                                                          monkeypatch) -> None:
    """No cache folder to keep the signing key in (a read-only home): nothing is cached,
    and the check says what it would say anyway."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    issue = example("weekly")
    expected = run("check", "--no-cache", str(issue))
    for _ in range(2):
        result = run("check", str(issue))
        assert (result.exit_code, result.stdout) == (expected.exit_code, expected.stdout)
    assert not (issue / ".newsletter-cache" / "results.json").exists()
