"""A cache of check results per issue, so a second ``check`` re-checks only what changed.

An issue's entry is keyed by the BLAKE2 hash of every file it was checked from (its
newsletter.toml, issue.toml and papers), so the cache is never wrong: an edit that keeps
the size and the modification time still changes the hash. The files are read and hashed
on every run; what an unchanged issue skips is parsing, validating and linting. An entry
holds the issue's problems and the few facts lint across issues needs (``IssueFacts``), not
models or text, so the cache stays small and quick to load however large the publication.

A cache file can arrive with a pull request (it ignores itself for git, but ``git add -f``
gets past that), so it must neither run code nor change what CI reports. It is JSON, never
pickle, and carries an HMAC under a key kept outside the repository, in the user's cache
folder (``$XDG_CACHE_HOME/newsletter/cache-key``): a cache written anywhere else, or edited,
or damaged, does not verify and is dropped whole. It lives in ``.newsletter-cache/`` beside
newsletter.toml and is dropped as well when newsletter, its models or a style's spec change.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsletter import __version__
from newsletter.check.lint import IssueFacts
from newsletter.entries.loading import name_in_issue
from newsletter.entries.problems import Problem, Severity

CACHE_DIR = ".newsletter-cache"
_FILE = "results.json"
_FORMAT = 3
_MAX_BYTES = 1 << 28

# (file name relative to the issue, or absolute when outside it; hash of its bytes)
Inputs = tuple[tuple[str, bytes], ...]
Result = tuple[list[Problem], IssueFacts | None, list[str]]


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _fingerprint(style_specs: Iterable[Path]) -> str:
    """What cached results depend on besides the issue's own files: the program version,
    the models' shape and every style spec (budgets, required fields) in reach."""
    from newsletter.entries.models import MODELS

    hasher = hashlib.sha256(f"{_FORMAT}:{__version__}".encode())
    for name, model in MODELS.items():
        hasher.update(f"{name}:{sorted(model.model_fields)}".encode())
    for spec in sorted(style_specs):
        hasher.update(os.fsencode(spec))
        with contextlib.suppress(OSError):
            hasher.update(spec.read_bytes())
    return hasher.hexdigest()[:32]


def machine_key() -> bytes | None:
    """This user's secret for signing caches, made on first use; None if it cannot be kept
    (then nothing is cached)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "newsletter" / "cache-key"
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass
    import secrets

    from newsletter.write.atomic import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        write_atomic(path, key)
        path.chmod(0o600)
        return key
    except OSError:
        return None


def _signature(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, "blake2b").hexdigest().encode()


def _key(inputs: Inputs) -> list[list[str]]:
    return [[name, hashed.hex()] for name, hashed in inputs]


def _encode(problems: list[Problem], facts: IssueFacts | None, files: Iterable[str],
            issue_dir: str) -> dict[str, Any]:
    return {
        # Relative to the issue, so the entry holds wherever the issue is reached from.
        "problems": [[name_in_issue(p.path, issue_dir), p.line, p.column, p.message, p.rule,
                      p.severity.value] for p in problems],
        "facts": None if facts is None else {
            "publication": None if facts.publication_path is None
            else str(facts.publication_path),
            "levels": facts.levels, "number": facts.number, "date": facts.date.isoformat(),
            "papers": [[name, where, list(keys)] for name, where, keys in facts.papers]},
        "files": list(files),
    }


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _number(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("not an integer")
    return value


def _decode(stored: dict[str, Any], issue_dir: Path) -> Result:
    """An entry back as objects, with paths as the issue is reached now. Raises on anything
    that is not as ``_encode`` wrote it."""
    problems = [Problem(issue_dir / _text(path), _number(line), _number(column), _text(message),
                        _text(rule), Severity(severity))
                for path, line, column, message, rule, severity in stored["problems"]]
    facts = None
    if stored["facts"] is not None:
        raw = stored["facts"]
        publication = raw["publication"]
        facts = IssueFacts(
            directory=issue_dir,
            publication_path=None if publication is None else Path(_text(publication)),
            levels={_text(rule): _text(level) for rule, level in raw["levels"].items()},
            number=_number(raw["number"]),
            date=dt.date.fromisoformat(_text(raw["date"])),
            papers=tuple((_text(name), _text(where), tuple(_text(key) for key in keys))
                         for name, where, keys in raw["papers"]))
    return problems, facts, [_text(name) for name in stored["files"]]


class ResultCache:
    """Issue directory (absolute) → the result of its last check."""

    def __init__(self, root: Path, style_specs: Iterable[Path] = (),
                 key: bytes | None = None) -> None:
        self.root = root
        self._results: dict[str, Any] = {}
        self._dirty = False
        self._fingerprint = _fingerprint(style_specs)
        self._secret = key if key is not None else machine_key()
        if self._secret is not None:
            self._load()

    @property
    def path(self) -> Path:
        return self.root / CACHE_DIR / _FILE

    def _load(self) -> None:
        try:
            if self.path.stat().st_size > _MAX_BYTES:
                return
            signature, _, body = self.path.read_bytes().partition(b"\n")
            assert self._secret is not None
            if not hmac.compare_digest(signature, _signature(self._secret, body)):
                return  # damaged, edited, or written under another key (another machine)
            stored = json.loads(body)
        except Exception:  # no cache yet, or a damaged one (even a RecursionError)
            return
        if (isinstance(stored, dict) and stored.get("fingerprint") == self._fingerprint
                and isinstance(stored.get("results"), dict)):
            self._results = stored["results"]

    def get(self, issue_dir: Path, inputs: Inputs) -> Result | None:
        """The problems, facts and files (relative to the issue, or absolute) of an
        unchanged issue; None when it changed, or its entry is damaged."""
        found = self._results.get(os.path.abspath(issue_dir))
        try:
            if found is None or found["inputs"] != _key(inputs):
                return None
            return _decode(found, issue_dir)
        except Exception:  # hand-edited or damaged: check the issue as if it were new
            return None

    def put(self, issue_dir: Path, inputs: Inputs, problems: list[Problem],
            facts: IssueFacts | None, files: Iterable[str]) -> None:
        base = os.path.abspath(issue_dir)
        self._results[base] = {"inputs": _key(inputs), **_encode(problems, facts, files, base)}
        self._dirty = True

    def save(self) -> None:
        """Write the cache if anything changed; a cache that cannot be written is skipped."""
        if not self._dirty or self._secret is None:
            return
        from newsletter.write.atomic import write_atomic

        body = json.dumps({"fingerprint": self._fingerprint, "results": self._results},
                          separators=(",", ":")).encode()
        payload = _signature(self._secret, body) + b"\n" + body
        with contextlib.suppress(Exception):  # read-only checkout, full disk: no cache
            self.path.parent.mkdir(exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                write_atomic(ignore, "# Created by newsletter: a cache, never commit it.\n*\n")
            write_atomic(self.path, payload)
            self._dirty = False
