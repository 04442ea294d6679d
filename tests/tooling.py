"""Helpers shared by the tests that use outside tools (vnu, Chromium, caniemail)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from tests.conftest import EXAMPLES


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def need(available: bool, what: str) -> None:
    """Skip locally when a tool is missing; fail under CI, where every check must run."""
    if available:
        return
    if in_ci():
        pytest.fail(f"{what} (CI is set: a missing tool fails instead of skipping)",
                    pytrace=False)
    pytest.skip(what)


def render(style: str, output_format: str, output: Path, *extra: str) -> Path:
    """``newsletter render examples/STYLE --format FORMAT --output OUTPUT``, as a user runs it."""
    args = ["render", str(EXAMPLES / style), "--format", output_format, "--output", str(output),
            *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (
        f"newsletter {' '.join(args)} exited {result.exit_code}:\n{result.output}")
    return output
