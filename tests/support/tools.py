"""Helpers shared by the tests that use outside tools (vnu, Chromium, caniemail)."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from tests.support.paths import EXAMPLES, REPO

# The Nu HTML Checker: the npm package vnu-jar (``npm ci --prefix tools``), run on Java 17+.
VNU_JAR = REPO / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
VNU_INSTALL_HINT = ("run `npm ci --prefix tools` (and install Java 17+, Debian: "
                    "default-jre-headless)")


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


def email_html(eml: Path | bytes) -> str:
    """The text/html part of an email (a .eml file, or its bytes)."""
    raw = eml if isinstance(eml, bytes) else eml.read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "the message has no text/html part"
    return part.get_content()


def java_major_version(java: str) -> int:
    result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    found = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not found:
        return 0
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


def vnu_errors(paths: Iterable[Path]) -> dict[Path, list[dict]]:
    """Run the Nu HTML Checker ONCE over ``paths`` (a JVM start costs seconds): each
    resolved path → its error messages (a valid file has none). Skips, or under CI fails,
    when Java 17+ or vnu.jar is missing (see ``need``)."""
    java = shutil.which("java")
    need(java is not None, f"Java is not installed: {VNU_INSTALL_HINT}")
    assert java is not None
    version = java_major_version(java)
    need(version >= 17, f"vnu.jar needs Java 17 or newer, `{java} -version` says {version}: "
         f"{VNU_INSTALL_HINT}")
    need(VNU_JAR.is_file(), f"{VNU_JAR.relative_to(REPO)} is missing: {VNU_INSTALL_HINT}")

    files = sorted({path.resolve() for path in paths})
    command = [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
               "--stdout", *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"the Nu HTML Checker did not answer with JSON (exit {result.returncode}):"
                    f"\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}", pytrace=False)

    errors: dict[Path, list[dict]] = defaultdict(list)
    for message in report.get("messages", []):
        if message.get("type") == "info":  # --errors-only leaves none; be sure anyway
            continue
        url = message.get("url", "")
        path = Path(unquote(urlparse(url).path)).resolve() if url else Path("<no file>")
        errors[path].append(message)
    unknown = set(errors) - set(files)
    assert not unknown, f"checker messages for unexpected files: {format_vnu_errors(errors)}"
    return errors


def format_vnu_errors(errors: dict[Path, list[dict]] | list[dict], limit: int = 40) -> str:
    """``file:line:col: message`` with the source extract; repeated messages are folded."""
    items = errors if isinstance(errors, list) else [m for ms in errors.values() for m in ms]
    seen: dict[tuple[str, str], int] = defaultdict(int)
    lines: list[str] = []
    for message in items:
        name = Path(unquote(urlparse(message.get("url", "")).path)).name or "?"
        text = message.get("message", "").strip()
        seen[(name, text)] += 1
        if seen[(name, text)] > 3:
            continue
        line = message.get("firstLine", message.get("lastLine", "?"))
        where = f"{name}:{line}:{message.get('firstColumn', '?')}"
        lines.append(f"  {where}: {message.get('type', 'error')}: {text}")
        extract = message.get("extract")
        if extract:
            start = message.get("hiliteStart", 0)
            length = message.get("hiliteLength", len(extract))
            marked = (extract[:start] + "»" + extract[start:start + length] + "«"
                      + extract[start + length:])
            lines.append("      " + " ".join(marked.split())[:220])
    folded = [f"  ... and {count - 3} more of: {name}: {text}"
              for (name, text), count in seen.items() if count > 3]
    shown = lines[: limit * 2]
    if len(lines) > len(shown):
        shown.append(f"  ... ({len(lines) // 2 - limit} more messages not shown)")
    return "\n".join(shown + folded)


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# As root in a container Chromium needs --no-sandbox; the rest keep it off the (closed)
# network and quiet: no background requests, updates, sync or first-run pages.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BROWSER_INSTALL_HINT = "apt-get install chromium fonts-liberation; pip install '.[test]'"


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium under Playwright; Playwright gives it a new temporary profile."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)
