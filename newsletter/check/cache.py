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
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsletter import __version__
from newsletter.check.lint import IssueFacts
from newsletter.entries.loading import name_in_issue
from newsletter.entries.problems import Problem, Severity

CACHE_DIR = ".newsletter-cache"
_FILE = "results.json"
_FORMAT = 4  # 4: problems carry where their key or value ends
# A check of 500 issues of 20 papers, five problems a paper, writes 5.2 MB: six times that
# leaves room for a larger or noisier publication, and never lets a committed cache file
# (a 250 MB one, a link to /dev/zero) be read whole. A larger cache is neither read nor kept.
MAX_BYTES = 32 << 20

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
    from newsletter.entries.tomlfile import read_bytes

    for spec in sorted(style_specs):
        hasher.update(os.fsencode(spec))
        # With the guards of an entry: a publication's spec may be a link to /dev/zero.
        raw, _ = read_bytes(spec)
        hasher.update(b"\0unreadable" if raw is None else raw)
    return hasher.hexdigest()[:32]


def machine_key() -> bytes | None:
    """This user's secret for signing caches, made on first use; None if it cannot be kept
    (then nothing is cached)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "newsletter" / "cache-key"
    key = _read_key(path)
    if key is not None:
        return key
    import secrets

    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.exists():  # damaged (cut short by a crash): made again
            path.unlink()
        # 0600 from the first moment, whatever the umask: never readable by others, even
        # briefly. O_EXCL: of two runs making it at once, one makes it, the other reads it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    except FileExistsError:
        return _read_key(path)
    except OSError:
        return None
    try:
        os.write(fd, key)
        os.fsync(fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    return key


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
# What is said of a cache file that is not one we could have written (it came with the
# repository): it is neither read nor replaced.
_NOT_OURS = "is {}; ignoring it, and caching nothing until it is removed"


def _read_key(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        key = os.read(fd, 33)
    except OSError:
        return None
    finally:
        os.close(fd)
    return key if len(key) == 32 else None


def _signature(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, "blake2b").hexdigest().encode()


def _key(inputs: Inputs) -> list[list[str]]:
    return [[name, hashed.hex()] for name, hashed in inputs]


def _encode(problems: list[Problem], facts: IssueFacts | None, files: Iterable[str],
            issue_dir: str) -> dict[str, Any]:
    return {
        # Relative to the issue, so the entry holds wherever the issue is reached from.
        "problems": [[name_in_issue(p.path, issue_dir), p.line, p.column, p.message, p.rule,
                      p.severity.value, p.end_line, p.end_column] for p in problems],
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


def _optional(value: Any) -> int | None:
    return None if value is None else _number(value)


def _decode(stored: dict[str, Any], issue_dir: Path) -> Result:
    """An entry back as objects, with paths as the issue is reached now. Raises on anything
    that is not as ``_encode`` wrote it."""
    problems = [Problem(issue_dir / _text(path), _number(line), _number(column), _text(message),
                        _text(rule), Severity(severity), _optional(end_line),
                        _optional(end_column))
                for path, line, column, message, rule, severity, end_line, end_column
                in stored["problems"]]
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
        # Why a cache found was not used or not kept (a link, a device, too large): one
        # line each, for the command to show on stderr.
        self.notes: list[str] = []
        self._results: dict[str, Any] = {}
        self._dirty = False
        self._specs = list(style_specs)
        self._fingerprint = _fingerprint(self._specs)
        self._secret = key if key is not None else machine_key()
        if self._secret is not None:
            self._load()

    @property
    def path(self) -> Path:
        return self.root / CACHE_DIR / _FILE

    def _note(self, path: Path, why: str) -> None:
        note = f"{path}: {why}"
        if note not in self.notes:
            self.notes.append(note)

    def _folder(self) -> Path | None:
        """The cache folder, if it is a real folder here (not a link to one elsewhere)."""
        folder = self.root / CACHE_DIR
        try:
            mode = folder.lstat().st_mode
        except FileNotFoundError:
            return folder
        except OSError as exc:
            self._note(folder, f"cannot be read ({exc.strerror or exc}); not caching")
            return None
        if stat.S_ISLNK(mode):
            self._note(folder, "is a symbolic link; the cache is never read or written "
                       "through one, so nothing is cached (remove it)")
            return None
        if not stat.S_ISDIR(mode):
            self._note(folder, "is not a folder; nothing is cached (remove it)")
            return None
        return folder

    def _read(self) -> bytes | None:
        """The cache file's bytes: only a regular file, not reached through a link, no
        larger than MAX_BYTES."""
        folder = self._folder()
        if folder is None:
            return None
        path = folder / _FILE
        try:
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return None  # no cache yet
        except OSError as exc:
            if path.is_symlink():
                self._note(path, _NOT_OURS.format("a symbolic link"))
            else:
                self._note(path, f"cannot be read ({exc.strerror or exc}); ignoring it")
            return None
        try:
            status = os.fstat(fd)
            if not stat.S_ISREG(status.st_mode):
                self._note(path, _NOT_OURS.format("not a regular file"))
                return None
            if status.st_size > MAX_BYTES:
                self._note(path, f"is larger than {MAX_BYTES >> 20} MB; ignoring it")
                return None
            chunks, room = [], MAX_BYTES + 1
            while room > 0:  # bounded even if it grows while read
                chunk = os.read(fd, min(room, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                room -= len(chunk)
            if room <= 0:
                self._note(path, f"is larger than {MAX_BYTES >> 20} MB; ignoring it")
                return None
            return b"".join(chunks)
        except OSError as exc:
            self._note(path, f"cannot be read ({exc.strerror or exc}); ignoring it")
            return None
        finally:
            os.close(fd)

    def _load(self) -> None:
        raw = self._read()
        if raw is None:
            return
        try:
            signature, _, body = raw.partition(b"\n")
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
        """Write the cache if anything changed; a cache that cannot be written is skipped
        (with a note in ``notes``, for the command to show)."""
        self._save()

    def _save(self) -> None:
        if not self._dirty or self._secret is None:
            return
        # The results were judged with the style specs and templates as they were read
        # during the run, and are keyed by how they were at its start: an edit in between
        # (a save while the preview checks) would file one version's verdict under the
        # other's key, and an undo would bring that verdict back.
        if _fingerprint(self._specs) != self._fingerprint:
            self._note(self.path, "a style or template changed during the check; its "
                       "results are not cached")
            return
        from newsletter.write.atomic import write_atomic

        body = json.dumps({"fingerprint": self._fingerprint, "results": self._results},
                          separators=(",", ":")).encode()
        payload = _signature(self._secret, body) + b"\n" + body
        if len(payload) > MAX_BYTES:
            self._note(self.path, f"would be larger than {MAX_BYTES >> 20} MB; not caching")
            return
        with contextlib.suppress(Exception):  # read-only checkout, full disk: no cache
            folder = self._folder()
            if folder is None:
                return
            folder.mkdir(exist_ok=True)
            if self._folder() is None:  # made a link meanwhile
                return
            ignore = folder / ".gitignore"
            if not os.path.lexists(ignore):
                write_atomic(ignore, "# Created by newsletter: a cache, never commit it.\n*\n")
            # write_atomic follows links and writes into pipes: only a file of ours (or
            # none yet) is replaced.
            if os.path.lexists(self.path):
                mode = self.path.lstat().st_mode
                if not stat.S_ISREG(mode):
                    self._note(self.path, _NOT_OURS.format(
                        "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"))
                    return
            write_atomic(self.path, payload)
            self._dirty = False
