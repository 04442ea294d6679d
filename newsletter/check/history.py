"""Compare issues with a git revision: what changed in an issue readers already have."""

from __future__ import annotations

import subprocess
from pathlib import Path

from newsletter.entries.loading import ISSUE_FILE
from newsletter.entries.problems import Problem
from newsletter.errors import UsageError


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        # quotePath off and NUL-separated lists: names with spaces or accents come back as
        # they are, not C-quoted or split at the space.
        return subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=cwd,
                              capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError("--base needs git, which is not installed") from None


def published_changes(issue_dirs: list[Path], base: str) -> list[Problem]:
    """A problem for each file changed since ``base`` in an issue published at ``base``."""
    from newsletter.entries.tomlfile import parse

    if not issue_dirs:
        return []
    top_run = _git(["rev-parse", "--show-toplevel"], issue_dirs[0].resolve())
    if top_run.returncode != 0:
        raise UsageError(f"--base {base}: {issue_dirs[0]} is not inside a git repository")
    top = Path(top_run.stdout.strip())
    if _git(["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], top).returncode != 0:
        raise UsageError(f"--base {base}: no such revision")
    problems = []
    for issue_dir in issue_dirs:
        relative = issue_dir.resolve().relative_to(top).as_posix()
        shown = _git(["show", f"{base}:{relative}/{ISSUE_FILE}"], top)
        if shown.returncode != 0:
            continue  # the issue is new since base
        # Parsed as every entry is (depth guard included): the old revision is as untrusted.
        was, _ = parse(Path(relative) / ISSUE_FILE, shown.stdout)
        if was is None:
            continue
        if was.get("status") != "published":
            continue
        changed = _git(["diff", "--name-only", "-z", base, "--", relative], top)
        untracked = _git(["ls-files", "-z", "--others", "--exclude-standard", "--", relative],
                         top)
        names = {*changed.stdout.split("\0"), *untracked.stdout.split("\0")} - {""}
        for name in sorted(names):
            problems.append(Problem(
                top / name, 1, 1,
                f"changed since {base}, where issue {was.get('number', '?')} was already "
                "published: readers have it; revert, or correct it in a new issue",
                "published-changed"))
    return problems
