"""The benchmark's synthetic publications are what they claim: valid, realistic, stable.

A benchmark over entries that fail to check would time the error path, not the work.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.cli import Run
from tests.support.paths import REPO, STYLES

sys.path.insert(0, str(REPO / "benchmarks"))
from generate import generate


@pytest.mark.parametrize("style", STYLES)
def test_a_generated_publication_checks_clean_and_renders(run: Run, tmp_path: Path,
                                                          style: str) -> None:
    issue_dirs = generate(tmp_path / "pub", issues=3, papers_per_issue=6, style=style)
    assert len(issue_dirs) == 3
    papers = sorted((tmp_path / "pub").glob("issues/*/papers/*.toml"))
    assert len(papers) == 18
    sizes = [path.stat().st_size for path in papers]
    assert min(sizes) >= 700 and max(sizes) <= 2_600, sizes  # a paper file of 1-2 KB
    result = run("check", "--strict", str(tmp_path / "pub"))
    assert result.exit_code == 0, result.stdout
    assert run("render", str(issue_dirs[0]), "--format", "md").exit_code == 0


def test_generation_is_deterministic(tmp_path: Path) -> None:
    for out in ("a", "b"):
        generate(tmp_path / out, issues=2, papers_per_issue=3, style="weekly", seed=7)
    first = {p.relative_to(tmp_path / "a"): p.read_bytes()
             for p in (tmp_path / "a").rglob("*.toml")}
    second = {p.relative_to(tmp_path / "b"): p.read_bytes()
              for p in (tmp_path / "b").rglob("*.toml")}
    assert first == second and len(first) == 1 + 2 + 6


def test_the_generator_has_every_style_folder() -> None:
    """benchmarks/generate.py finds the styles as the tests do (tests/support/paths.py)."""
    import generate as generator

    assert generator.STYLES == STYLES
