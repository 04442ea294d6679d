"""A cache of parsed and validated entries, so a second ``check`` re-reads only what changed.

Entries are keyed by path and the BLAKE2 hash of the file's bytes, so the cache is never
wrong: an edit that keeps the size and the modification time still changes the hash. Only
files that parsed and validated cleanly are kept. The cache lives in
``.newsletter-cache/`` beside newsletter.toml (it ignores itself for git, as ruff's and
pytest's do) and is dropped whole when newsletter or its models change.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from newsletter import __version__

CACHE_DIR = ".newsletter-cache"
_FILE = "entries.pickle"
_FORMAT = 1
_MAX_BYTES = 1 << 30


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def _fingerprint() -> str:
    """What cached models depend on: the program version and the models' shape."""
    from newsletter.models import MODELS

    shapes = "".join(f"{name}:{sorted(model.model_fields)}" for name, model in MODELS.items())
    return f"{_FORMAT}:{__version__}:{hashlib.sha256(shapes.encode()).hexdigest()[:16]}"


class EntryCache:
    """Path → (content hash, parsed data, validated model)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self._entries: dict[str, tuple[bytes, dict[str, Any], Any]] = {}
        self._dirty = False
        self._fingerprint = ""
        if root is not None:
            self._fingerprint = _fingerprint()
            self._load()

    @property
    def path(self) -> Path | None:
        return self.root / CACHE_DIR / _FILE if self.root is not None else None

    def _load(self) -> None:
        assert self.path is not None
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
            self._entries = stored.get("entries", {})

    def get(self, path: Path, content_hash: bytes) -> tuple[dict[str, Any], Any] | None:
        found = self._entries.get(os.fspath(path))
        if found is None or found[0] != content_hash:
            return None
        return found[1], found[2]

    def put(self, path: Path, content_hash: bytes, data: dict[str, Any], model: Any) -> None:
        if self.root is None:
            return
        self._entries[os.fspath(path)] = (content_hash, data, model)
        self._dirty = True

    def save(self) -> None:
        """Write the cache if anything changed; a cache that cannot be written is skipped."""
        if self.root is None or not self._dirty or self.path is None:
            return
        from newsletter.writing import write_atomic

        payload = pickle.dumps({"fingerprint": self._fingerprint, "entries": self._entries},
                               protocol=pickle.HIGHEST_PROTOCOL)
        payload = digest(payload) + payload
        with contextlib.suppress(Exception):  # read-only checkout, full disk: no cache
            self.path.parent.mkdir(exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                write_atomic(ignore, "# Created by newsletter: a cache, never commit it.\n*\n")
            write_atomic(self.path, payload)
            self._dirty = False
