"""Compare a publication with a git revision: what changed in an issue readers already have.

The issues judged are those that were ``published`` at the revision, found in the
revision itself, not on disk: an issue renamed, deleted, or replaced by a link (which the
walker does not follow) is still compared, path by path.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from newsletter.entries.loading import ISSUE_FILE, Publications
from newsletter.entries.problems import Problem
from newsletter.errors import UsageError

_WHAT = {"D": "deleted", "T": "changed from a file to a link or back"}


def _git(args: list[str], cwd: Path, stdin: bytes | None = None
         ) -> subprocess.CompletedProcess[bytes]:
    try:
        # Bytes, NUL-separated lists and quotePath off: names with spaces, accents or bytes
        # that are not UTF-8 come back as they are, not C-quoted, split or undecodable.
        return subprocess.run(["git", "-c", "core.quotePath=false", *args], cwd=cwd,
                              input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("--base needs git, which is not installed") from None


def _names(output: bytes) -> list[str]:
    return [os.fsdecode(name) for name in output.split(b"\0") if name]


def _top(paths: Iterable[Path]) -> Path:
    start = next(iter(paths), Path("."))
    start = start if start.is_dir() else start.parent
    found = _git(["rev-parse", "--show-toplevel"], start.resolve())
    if found.returncode != 0:
        raise UsageError(f"--base: {start} is not inside a git repository")
    return Path(os.fsdecode(found.stdout.strip()))


def _scopes(paths: list[Path], top: Path) -> list[str]:
    """The folders compared, relative to the repository: each checked path's publication
    (its newsletter.toml's folder), so a published issue that is gone from disk or renamed
    is still in sight; a path outside any publication is compared as itself."""
    publications = Publications()
    scopes = set()
    for path in paths:
        found = publications.find(path if path.is_dir() else path.parent)
        folder = found.parent if found is not None else path
        try:
            relative = Path(os.path.abspath(folder)).relative_to(top)
        except ValueError:
            try:  # the checkout reached through a link
                relative = Path(os.path.realpath(folder)).relative_to(top.resolve())
            except ValueError:
                raise UsageError(f"--base: {path} is not in the repository at {top}") from None
        scopes.add(relative.as_posix())
    return sorted(scopes)


def _published_at(base: str, top: Path, scopes: list[str]) -> dict[str, str]:
    """Folder (relative to the repository) → issue number, for every issue that was
    published at ``base`` under ``scopes``: one ls-tree and one cat-file for them all."""
    from newsletter.entries.tomlfile import parse

    listed = _git(["ls-tree", "-r", "-z", "--name-only", base, "--", *scopes], top)
    files = [name for name in _names(listed.stdout)
             if PurePosixPath(name).name == ISSUE_FILE]
    if not files:
        return {}
    request = b"".join(os.fsencode(f"{base}:{name}") + b"\n" for name in files)
    batch = _git(["cat-file", "--batch"], top, stdin=request).stdout
    published: dict[str, str] = {}
    offset = 0
    for name in files:
        header_end = batch.index(b"\n", offset)
        size = int(batch[offset:header_end].split()[-1])
        body = batch[header_end + 1:header_end + 1 + size]
        offset = header_end + 1 + size + 1
        # Parsed as every entry is (the guards included): the old revision is as untrusted.
        data, _ = parse(Path(name), body.decode("utf-8", errors="replace"))
        if data is not None and data.get("status") == "published":
            published[str(PurePosixPath(name).parent)] = str(data.get("number", "?"))
    return published


def published_changes(paths: list[Path], base: str) -> list[Problem]:
    """A problem for each path changed, added, deleted or retyped since ``base`` in an
    issue published at ``base``, and for a published issue folder that is now a link."""
    top = _top(paths)
    if _git(["rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], top).returncode != 0:
        raise UsageError(f"--base {base}: no such revision")
    published = _published_at(base, top, _scopes(paths, top))
    if not published:
        return []
    folders = sorted(published)
    changed = _git(["diff", "--name-status", "--no-renames", "-z", base, "--", *folders], top)
    fields = _names(changed.stdout)
    changes = list(zip(fields[1::2], fields[0::2], strict=True))  # (path, status)
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard", "--", *folders], top)
    changes += [(name, "A") for name in _names(untracked.stdout)]
    problems = []
    for folder in folders:
        if os.path.islink(top / folder):
            problems.append(Problem(
                top / folder / ISSUE_FILE, 1, 1,
                f"issue {published[folder]} was published at {base} and its folder is now a "
                "link: a published issue stays a plain folder", "published-changed"))
    for name, status in sorted(set(changes)):
        folder = next((f for f in folders if name == f or name.startswith(f + "/")), None)
        if folder is None:
            continue
        what = _WHAT.get(status[:1], "changed")
        problems.append(Problem(
            top / name, 1, 1,
            f"{what} since {base}, where issue {published[folder]} was already published: "
            "readers have it; revert, or correct it in a new issue", "published-changed"))
    return problems
