"""A cache of check results per issue, so a second ``check`` re-checks only what changed.

An issue's entry is keyed by the BLAKE2 hash of every file it was checked from (its
newsletter.toml, issue.toml and papers), so the cache is never wrong: an edit that keeps
the size and the modification time still changes the hash. The files are read and hashed
on every run; what an unchanged issue skips is parsing, validating and linting. An entry
holds the issue's problems and the few facts lint across issues needs (``IssueFacts``), not
models or text, so the cache stays small and quick to load however large the publication.

The cache lives in ``.newsletter-cache/`` beside newsletter.toml (it ignores itself for
git, as ruff's and pytest's do) and is dropped whole when newsletter, its models or a
style's spec change.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from newsletter import __version__
from newsletter.lint import IssueFacts
from newsletter.problems import Problem

CACHE_DIR = ".newsletter-cache"
_FILE = "results.pickle"
_FORMAT = 2
_MAX_BYTES = 1 << 30

# (file name relative to the issue, or absolute when outside it; hash of its bytes)
Inputs = tuple[tuple[str, bytes], ...]


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _fingerprint(style_specs: Iterable[Path]) -> str:
    """What cached results depend on besides the issue's own files: the program version,
    the models' shape and every style spec (budgets, required fields) in reach."""
    from newsletter.models import MODELS

    hasher = hashlib.sha256(f"{_FORMAT}:{__version__}".encode())
    for name, model in MODELS.items():
        hasher.update(f"{name}:{sorted(model.model_fields)}".encode())
    for spec in sorted(style_specs):
        hasher.update(os.fsencode(spec))
        with contextlib.suppress(OSError):
            hasher.update(spec.read_bytes())
    return hasher.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class IssueResult:
    """What checking one issue found, independent of the directory it was reached from:
    paths inside the issue are stored relative to it."""

    inputs: Inputs
    problems: tuple[Problem, ...]
    facts: IssueFacts | None
    files: tuple[str, ...]


_HERE = Path()


def _relative(path: Path, issue_dir: str) -> Path:
    absolute = os.path.abspath(path)
    if absolute.startswith(issue_dir + os.sep):
        return Path(absolute[len(issue_dir) + 1:])
    return Path(absolute)


def _moved(problem: Problem, path: Path) -> Problem:
    return Problem(path, problem.line, problem.column, problem.message, problem.rule,
                   problem.severity)


class ResultCache:
    """Issue directory (absolute) → the result of its last check."""

    def __init__(self, root: Path, style_specs: Iterable[Path] = ()) -> None:
        self.root = root
        self._results: dict[str, IssueResult] = {}
        self._dirty = False
        self._fingerprint = _fingerprint(style_specs)
        self._load()

    @property
    def path(self) -> Path:
        return self.root / CACHE_DIR / _FILE

    def _load(self) -> None:
        try:
            if self.path.stat().st_size > _MAX_BYTES:
                return
            blob = self.path.read_bytes()
            # A checksum before unpickling: a damaged file is dropped, never half-read.
            if len(blob) < 16 or digest(blob[16:]) != blob[:16]:
                return
            stored = pickle.loads(blob[16:])
        except Exception:  # any damage, even a MemoryError from one flipped bit
            return  # no cache yet, a damaged one, or one from another version: start afresh
        if isinstance(stored, dict) and stored.get("fingerprint") == self._fingerprint:
            self._results = stored.get("results", {})

    def get(self, issue_dir: Path, inputs: Inputs
            ) -> tuple[list[Problem], IssueFacts | None, list[str]] | None:
        """The problems, facts and files (relative to the issue, or absolute) of an
        unchanged issue, with paths as reached now."""
        found = self._results.get(os.path.abspath(issue_dir))
        if found is None or found.inputs != inputs:
            return None
        problems = [_moved(p, issue_dir / p.path) for p in found.problems]
        facts = replace(found.facts, directory=issue_dir) if found.facts is not None else None
        return problems, facts, list(found.files)

    def put(self, issue_dir: Path, inputs: Inputs, problems: list[Problem],
            facts: IssueFacts | None, files: Iterable[str]) -> None:
        base = os.path.abspath(issue_dir)
        self._results[base] = IssueResult(
            inputs=inputs,
            problems=tuple(_moved(p, _relative(p.path, base)) for p in problems),
            facts=replace(facts, directory=_HERE) if facts is not None else None,
            files=tuple(files))
        self._dirty = True

    def save(self) -> None:
        """Write the cache if anything changed; a cache that cannot be written is skipped."""
        if not self._dirty:
            return
        from newsletter.writing import write_atomic

        payload = pickle.dumps({"fingerprint": self._fingerprint, "results": self._results},
                               protocol=pickle.HIGHEST_PROTOCOL)
        payload = digest(payload) + payload
        with contextlib.suppress(Exception):  # read-only checkout, full disk: no cache
            self.path.parent.mkdir(exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                write_atomic(ignore, "# Created by newsletter: a cache, never commit it.\n*\n")
            write_atomic(self.path, payload)
            self._dirty = False
