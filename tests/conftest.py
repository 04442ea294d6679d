"""Shared fixtures: run the CLI as a user would, in a scratch directory."""

from __future__ import annotations

import difflib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
STYLES = ("briefing", "cto-briefing", "weekly", "digest", "pulse")


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


Run = Callable[..., Result]


@pytest.fixture(autouse=True, scope="session")
def _own_cache_key(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The key that signs check's cache lives in the user's cache folder: the tests (and
    the commands they start) use one of their own, not the real user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Invoke ``newsletter ARGS`` in ``tmp_path``; returns exit code, stdout and stderr."""
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
        return Result(result.exit_code, result.stdout, result.stderr)

    return invoke


@pytest.fixture
def example(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a bundled example into the scratch directory, so a test may change it."""

    def copy(style: str) -> Path:
        target = tmp_path / style
        # Not the check cache that runs over the bundled examples leave behind.
        shutil.copytree(EXAMPLES / style, target,
                        ignore=shutil.ignore_patterns(".newsletter-cache"))
        return target

    return copy


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="Rewrite tests/golden/* from the current output (review the diff before "
        "committing it).")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


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
