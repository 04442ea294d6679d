"""Pathological Markdown cannot make check or render slow: any file check accepts checks and
renders in under a second of CPU per format, and a file past an entry's budget is refused
before any validator or Markdown reader sees it.

CPU time is a bound here, not a benchmark: the inputs cost tens of seconds before.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import tomli_w

from newsletter.entries.loading import TEXT_BUDGET
from tests.support.cli import child_env, newsletter_argv
from tests.support.paths import EXAMPLES

CPU_LIMIT = 1.0
# Each is one bullet of 2,000 characters (the cap of a bullet), of a shape that costs
# Markdown readers more than plain text does.
PATTERNS = {
    "brackets": "[" * 100 + "a" * 1900,
    "half-links": "[[[a](https://e.com/" * 5 + "x" * 1900,
    "open-links": "[a](" * 25 + "b" * 1900,
    "emphasis": "*_" * 1000,
    "backticks": "`" * 2000,
    "angles": "<" * 2000,
    "entities": "&#" * 1000,
    "images": "![" * 50 + "x" * 1900,
    "links": "[a](https://e.com/)" * 100 + "z" * 100,
}


def _cpu(args: list[str], cwd: Path) -> tuple[int, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(newsletter_argv(*args), cwd=cwd, env=child_env(),
                          capture_output=True, text=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return done.returncode, spent, done.stdout + done.stderr


def _issue_with(tmp_path: Path, items: list[str]) -> Path:
    issue = tmp_path / "weekly"
    shutil.copytree(EXAMPLES / "weekly", issue, ignore=shutil.ignore_patterns(".newsletter-*"))
    paper = sorted((issue / "papers").glob("*.toml"))[0]
    data = tomllib.loads(paper.read_text(encoding="utf-8"))
    data["key_findings"] = items
    paper.write_text(tomli_w.dumps(data), encoding="utf-8")
    return issue


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_worst_accepted_file_checks_and_renders_fast(tmp_path: Path, pattern: str) -> None:
    # As many such bullets as fit the budget, beside the paper's own text.
    items = [PATTERNS[pattern]] * ((TEXT_BUDGET - 6_000) // 2_000)
    issue = _issue_with(tmp_path, items)
    code, spent, output = _cpu(["check", "--no-cache", str(issue)], tmp_path)
    assert spent < CPU_LIMIT, f"check took {spent:.2f} s of CPU"
    assert code in (0, 1), output
    if code == 1:  # refused (e.g. too many '['): nothing to render
        assert "[invalid-value]" in output, output
        return
    for output_format in ("md", "text", "html", "email"):
        code, spent, output = _cpu(["render", str(issue), "--format", output_format],
                                   tmp_path)
        assert code == 0, output[-500:]
        # An email is two renderings (its HTML and its text part) in one command.
        limit = 2 * CPU_LIMIT if output_format == "email" else CPU_LIMIT
        assert spent < limit, f"render --format {output_format} took {spent:.2f} s"


def test_a_file_past_the_budget_is_refused_before_validation(tmp_path: Path) -> None:
    issue = _issue_with(tmp_path, ["[a](" * 480] * 400)  # 5 s of check before
    code, spent, output = _cpu(["check", "--no-cache", str(issue)], tmp_path)
    assert code == 1 and spent < CPU_LIMIT
    assert "holds more than an entry can" in output and "[too-long]" in output
    assert output.count("error:") == 1  # one line, not one per bullet


def test_too_many_brackets_in_one_text_is_refused_at_its_line(tmp_path: Path) -> None:
    issue = _issue_with(tmp_path, ["[" * 101 + "a"])
    code, _, output = _cpu(["check", "--no-cache", str(issue)], tmp_path)
    assert code == 1
    assert "key_findings[0] has 101 '[' characters; at most 100 in one text" in output
