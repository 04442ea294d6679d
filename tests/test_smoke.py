"""Every bundled example checks clean and renders in its own style, in every format."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES, STYLES, Run


@pytest.mark.parametrize("style", STYLES)
def test_example_checks_clean(run: Run, style: str) -> None:
    result = run("check", str(EXAMPLES / style))
    assert result.exit_code == 0, result.stdout
    assert result.lines[-1].startswith("All good:")
