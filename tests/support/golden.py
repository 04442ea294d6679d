"""Golden files: the output a change must not alter unless someone means it to."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest


def compare_with_golden(actual: str, golden: Path, update: bool) -> None:
    """Fail with a unified diff when ``actual`` differs from the golden file; with
    ``--update-goldens``, rewrite the golden file instead (review its diff before
    committing)."""
    if update:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
        return
    assert golden.exists(), f"{golden} is missing; run pytest --update-goldens and review it"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"{golden.name} (golden)", tofile=f"{golden.name} (now)", n=2))
        pytest.fail(f"output differs from {golden.name}:\n{diff}\n"
                    "If the change is intended, run pytest --update-goldens and review the "
                    "diff of tests/golden/ before committing.", pytrace=False)
