"""Fixtures (and pytest options) only: run the CLI as a user would, in a scratch directory.

Plain helpers live in tests/support/: ``cli`` (running commands, ``Result``, ``Run``, the
``PROBLEM`` line pattern), ``paths`` (examples, templates, ``STYLES``), ``golden``,
``publication`` (small publications for check), ``processes`` and ``tools``.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from tests.support.cli import Result, Run
from tests.support.paths import EXAMPLES


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C reach the commands the tests start, as a terminal's does. A suite started
    as a background job of a shell without job control (``cmd &`` in a script, nohup)
    inherits SIGINT ignored, passes it to every child, and the tests that press Ctrl-C
    would see commands that cannot be interrupted (every one of three loaded runs did)."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # Run as a GitHub Actions job, the suite must not write the runner's job summary or
    # make annotation paths relative to its workspace: the tests that want them set them.
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"):
        os.environ.pop(name, None)


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


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright, one for the whole run: Playwright's sync API
    allows one running instance per process, so every browser test shares it."""
    import importlib.util

    from tests.support.tools import BROWSER_INSTALL_HINT, CHROMIUM, launch_chromium, need

    need(importlib.util.find_spec("playwright") is not None,
         f"the Python package playwright is not installed: {BROWSER_INSTALL_HINT}")
    need(os.access(CHROMIUM, os.X_OK), f"no Chromium at {CHROMIUM}: {BROWSER_INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def only_this_machine() -> Iterator[None]:
    """A test that reaches for the internet fails instead of touching it: a module's own
    guard (``pytestmark = pytest.mark.usefixtures("only_this_machine")``), so it holds
    even when the suite's (addopts) is overridden (``-o addopts=``)."""
    import pytest_socket

    pytest_socket.socket_allow_hosts(["127.0.0.1", "::1"])
    yield
    pytest_socket.enable_socket()


@pytest.fixture
def local_server() -> Iterator[Any]:
    """An HTTP server of this test's own on 127.0.0.1, which a test may stop to show that
    nothing needs it (the session's ``httpserver`` must keep running for the others)."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    if server.is_running():
        server.stop()
