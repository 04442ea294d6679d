"""The README's tutorial runs as written, top to bottom, in an empty folder."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import child_env
from tests.support.paths import REPO

README = REPO / "README.md"


def _block(heading: str) -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split(f"## {heading}", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match is not None, f"no sh block under '## {heading}'"
    return match.group(1)


@pytest.fixture
def shell(tmp_path: Path) -> dict[str, str]:
    """An environment whose ``newsletter`` is this checkout's, as an installed one would be."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "newsletter"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m newsletter "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = child_env()
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


@pytest.mark.skipif(shutil.which("bash") is None, reason="the tutorial is a shell session")
def test_the_tutorial_runs_as_written(tmp_path: Path, shell: dict[str, str]) -> None:
    script = _block("A five-minute tutorial")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=shell,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    folder = tmp_path / "my-newsletter"
    papers = sorted(p.name for p in (folder / "issues" / "012" / "papers").glob("*.toml"))
    assert papers == ["01-indexcache.toml", "02-xskill.toml"]
    # Step 3 prints what the comment under it shows.
    shown = re.search(r"^#   (issues/012/issue\.toml:\d+:\d+: warning: .*)$", script, re.M)
    assert shown is not None and shown.group(1) in done.stdout
    # Step 4: the draft's page carries its banner; step 5 rendered the published issue.
    assert "Draft" in (folder / "issue-012.html").read_text(encoding="utf-8")
    markdown = (folder / "issue-012.md").read_text(encoding="utf-8")
    assert "Sparse Attention Just Got 75% Cheaper" in markdown and "Draft" not in markdown
    # Step 6: the other style's labels.
    assert "The Breakthrough:" in done.stdout and "How We Can Help" in done.stdout
