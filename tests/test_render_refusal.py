"""What render says when it refuses: the problems in full, or a summary when many papers
were written for another style."""

from __future__ import annotations

import re

from tests.support.cli import Run
from tests.support.paths import EXAMPLES

PAPERS_IN_WEEKLY = len(list((EXAMPLES / "weekly" / "papers").glob("*.toml")))


def test_papers_of_another_style_are_summed_up_in_one_line(run: Run) -> None:
    result = run("render", str(EXAMPLES / "weekly"), "--style", "digest", "--format", "text")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert (f"{PAPERS_IN_WEEKLY} papers lack what 'digest' needs: headline, overview, body, "
            "takeaways; for example:") in lines
    examples = [line for line in lines if line.startswith("  ") and "/papers/" in line]
    assert len(examples) == 3
    # Not a line per paper: the summary, a few examples, the issue's own lack, the verdict.
    assert len(lines) <= 7, result.stderr
    assert lines[-1] == ("newsletter: error: " + str(EXAMPLES / "weekly") +
                         ": cannot render in style 'digest': fix the problems above first")
    # What the issue itself lacks is still said in full.
    assert any(re.search(r"issue\.toml:\d+:\d+: error: .*'observation'", line)
               for line in lines)


def test_a_few_lacking_papers_are_each_named(run: Run, example: object) -> None:
    copy = example("weekly")  # type: ignore[operator]
    for path in sorted((copy / "papers").glob("*.toml"))[2:]:
        path.unlink()
    result = run("render", str(copy), "--style", "digest", "--format", "text")
    assert result.exit_code == 1
    assert "papers lack what" not in result.stderr
    assert len(re.findall(r"papers/.*: error: missing 'headline'", result.stderr)) == 2


def test_a_real_error_is_never_summed_up(run: Run, example: object) -> None:
    copy = example("weekly")  # type: ignore[operator]
    first = sorted((copy / "papers").glob("*.toml"))[0]
    first.write_text(first.read_text().replace("score = ", 'score = "', 1)
                     .replace("\nsummary", '"\nsummary', 1))
    result = run("render", str(copy), "--style", "digest", "--format", "text")
    assert result.exit_code == 1
    assert re.search(rf"{first.name}:\d+:\d+: error: score must be a number", result.stderr)
