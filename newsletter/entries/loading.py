"""Find issues on disk and load an issue directory (TOML → pydantic), collecting problems.

An issue is a directory with ``issue.toml`` and ``papers/*.toml``; the nearest
``newsletter.toml`` in it or above it holds the publication's defaults.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from newsletter.entries.problems import Problem
from newsletter.entries.tomlfile import Source
from newsletter.errors import UsageError

if TYPE_CHECKING:
    from newsletter.entries.models import Issue, Paper, Publication

M = TypeVar("M")

ISSUE_FILE = "issue.toml"
PUBLICATION_FILE = "newsletter.toml"
PAPERS_DIR = "papers"
TEMPLATES_DIR = "templates"

# Folders never searched for issues: tool caches and environments, not content.
_SKIP_DIRS = {"node_modules", "__pycache__", "venv", "site-packages"}


@dataclass(frozen=True)
class LoadedPaper:
    """A paper file that parsed, and its model (None when the file has problems)."""

    source: Source
    paper: Paper | None


@dataclass
class LoadedIssue:
    """Everything read for one issue; models are None where their file had problems."""

    directory: Path
    issue_source: Source | None = None
    issue: Issue | None = None
    publication_source: Source | None = None
    publication: Publication | None = None
    paper_entries: list[LoadedPaper] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def papers(self) -> list[LoadedPaper]:
        """The papers whose files validated (``paper`` is set), in file order."""
        return [item for item in self.paper_entries if item.paper is not None]

    @property
    def paper_sources(self) -> list[Source]:
        """Every paper file that parsed, valid or not."""
        return [item.source for item in self.paper_entries]

    @property
    def issue_path(self) -> Path:
        return self.directory / ISSUE_FILE

    @property
    def is_draft(self) -> bool:
        """Not yet published (``status = "draft"``, what new-issue writes, or no status):
        what its style requires may still be missing."""
        data = self.issue_source.data if self.issue_source is not None else {}
        return data.get("status", "draft") != "published"

    @property
    def template_dirs(self) -> tuple[Path, ...]:
        return templates_of(self.publication_source.path if self.publication_source else None)


def templates_of(publication_file: Path | None) -> tuple[Path, ...]:
    """The publication's own ``templates/`` folder, which overrides the built-in styles."""
    if publication_file is None:
        return ()
    own = publication_file.parent / TEMPLATES_DIR
    return (own,) if own.is_dir() else ()


def find_publication_file(directory: Path) -> Path | None:
    """The nearest newsletter.toml in ``directory`` (symbolic links resolved) or above."""
    return Publications().find(directory)


def publication_defaults(directory: Path) -> dict[str, Any]:
    """The nearest newsletter.toml's data, read as every entry is (size, type and encoding
    guarded) but not validated; empty when there is none or it cannot be read. For
    defaults only (a new issue's style, the name in its header): ``check`` reports the file.
    """
    from newsletter.entries.tomlfile import read_toml

    start = directory if directory.exists() else directory.parent
    found = find_publication_file(start)
    if found is None:
        return {}
    source, _ = read_toml(found)
    return source.data if source is not None else {}


def name_in_issue(path: Path, issue_dir: str) -> str:
    """A file's name relative to the (absolute) issue directory, as ``papers/x.toml``, or
    its absolute path when it lies outside the issue (a newsletter.toml above it)."""
    absolute = os.path.abspath(path)
    if absolute.startswith(issue_dir + os.sep):
        return absolute[len(issue_dir) + 1:]
    return absolute


def issue_dir_of(path: Path) -> str:
    """The (absolute) issue directory an entry file belongs to: its folder, or the folder
    above ``papers/``."""
    folder = os.path.dirname(os.path.abspath(path))
    return os.path.dirname(folder) if os.path.basename(folder) == PAPERS_DIR else folder


def paper_files(directory: Path) -> list[Path]:
    """The issue's paper files in order; hidden files (editor swap, temp files) are skipped."""
    papers = directory / PAPERS_DIR
    try:
        # Names sorted as strings: far cheaper than comparing Path objects.
        names = sorted(name for name in os.listdir(papers)
                       if name.endswith(".toml") and not name.startswith("."))
    except (NotADirectoryError, FileNotFoundError):
        return []
    return [papers / name for name in names]


def _load(path: Path, model: type[M], loaded: LoadedIssue, raw: bytes | None = None, *,
          draft: bool | None = False) -> tuple[Source | None, M | None]:
    """Read and validate one entry. In a ``draft`` (None: the file's own ``status`` says)
    a key left empty ("" or []) is taken as not filled in yet, not as a wrong value: check
    says what is still needed."""
    from newsletter.entries.tomlfile import read_toml
    from newsletter.entries.validation import validate

    source, problem = read_toml(path, raw)
    if source is None:
        assert problem is not None
        loaded.problems.append(problem)
        return None, None
    if draft is None:
        draft = source.data.get("status", "draft") != "published"
    checked = source
    if draft and any(unfilled(value) for value in source.data.values()):
        checked = Source(source.path, source.text,
                         {k: v for k, v in source.data.items() if not unfilled(v)})
    value, problems = validate(checked, model)  # type: ignore[type-var]
    loaded.problems.extend(problems)
    return source, value


def unfilled(value: object) -> bool:
    """A value not filled in yet: a blank string, or a list or table holding nothing else
    (new-issue's placeholders: ``lede = ""``, ``[[sections]]`` with an empty title)."""
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list):
        return all(unfilled(item) for item in value)
    if isinstance(value, dict):
        return all(unfilled(item) for item in value.values())
    return False


def load_publication(path: Path, loaded: LoadedIssue, raw: bytes | None = None) -> None:
    from newsletter.entries.models import Publication

    loaded.publication_source, loaded.publication = _load(path, Publication, loaded, raw)


class Publications:
    """newsletter.toml files found and read once per run, however many issues share one."""

    def __init__(self) -> None:
        self._by_folder: dict[str, Path | None] = {}
        self._loaded: dict[Path, LoadedIssue] = {}

    def find(self, directory: Path) -> Path | None:
        """The nearest newsletter.toml in ``directory`` or above, remembering every folder
        on the way up: the issues of a publication share their parents, so each is looked
        at once. The way up is the path as written, not where its links lead: an issue
        folder that is a link belongs to the publication it stands in (and is then refused
        if it leads out of it; see ``outside``)."""
        folder = os.path.abspath(directory)
        walked = []
        while folder not in self._by_folder:
            walked.append(folder)
            candidate = os.path.join(folder, PUBLICATION_FILE)
            if os.path.isfile(candidate):
                self._by_folder[folder] = Path(candidate)
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                self._by_folder[folder] = None
                break
            folder = parent
        found = self._by_folder[folder]
        for seen in walked:
            self._by_folder[seen] = found
        return found

    def load_into(self, path: Path, loaded: LoadedIssue, raw: bytes | None = None) -> None:
        if path not in self._loaded:
            alone = LoadedIssue(directory=path.parent)
            if outside(path, root_of(path.parent)):
                alone.problems.append(_outside_problem(path))
            else:
                load_publication(path, alone, raw)
            self._loaded[path] = alone
        alone = self._loaded[path]
        loaded.publication_source, loaded.publication = alone.publication_source, \
            alone.publication
        loaded.problems.extend(alone.problems)


def load_issue(directory: Path, *, contents: Mapping[str, bytes] | None = None,
               papers: Sequence[Path] | None = None,
               publications: Publications | None = None) -> LoadedIssue:
    """Read and validate an issue directory; never raises for bad content.

    ``contents`` holds files already read (by ``str(path)``), which are not read again;
    ``papers`` the paper files, when they are already listed;
    ``publications`` shares one reading of newsletter.toml among the issues of a run.
    """
    from newsletter.entries.models import Issue, Paper

    contents = contents or {}
    publications = publications or Publications()
    loaded = LoadedIssue(directory=directory)
    publication_path = publications.find(directory)
    if publication_path is not None:
        publications.load_into(publication_path, loaded, contents.get(str(publication_path)))
    root = root_of(publication_path.parent if publication_path else directory)
    issue_path = directory / ISSUE_FILE
    if outside(issue_path, root):
        loaded.problems.append(_outside_problem(issue_path))
        return loaded
    loaded.issue_source, loaded.issue = _load(issue_path, Issue, loaded,
                                              contents.get(str(issue_path)), draft=None)
    draft = loaded.is_draft
    leads_out = outside_check(root)
    for path in paper_files(directory) if papers is None else papers:
        if leads_out(path):
            loaded.problems.append(_outside_problem(path))
            continue
        source, paper = _load(path, Paper, loaded, contents.get(str(path)), draft=draft)
        if source is not None:
            loaded.paper_entries.append(LoadedPaper(source, paper))
    return loaded


def root_of(folder: Path) -> str:
    """The real path of a publication's folder (or of a lone issue's), which every file
    read for it must resolve into."""
    return os.path.realpath(folder)


def outside(path: str | Path, root: str) -> bool:
    """Whether ``path``, its links followed, leads out of ``root``: a paper that is a link
    to ~/.ssh/config or to another repository is not the publication's to read."""
    real = os.path.realpath(path)
    return real != root and not real.startswith(root.rstrip(os.sep) + os.sep)


def outside_check(root: str) -> Callable[[Path], bool]:
    """``outside(path, root)`` for many files of a few folders: a file that is no link
    leads where its folder does, so only each folder and each link pay for resolving the
    whole path (a realpath per paper was a tenth of loading an issue). Folders are known
    by their names as strings: a Path's parent and hash cost more than the lstat."""
    folders: dict[str, bool] = {}

    def leads_out(path: Path) -> bool:
        name = os.fspath(path)
        folder = os.path.dirname(name) or os.curdir
        known = folders.get(folder)
        if known is None:
            known = folders[folder] = outside(folder, root)
        if known:
            return True
        try:
            link = stat.S_ISLNK(os.lstat(name).st_mode)
        except OSError:
            return False  # reading it reports what is wrong
        return link and outside(name, root)

    return leads_out


def _outside_problem(path: Path) -> Problem:
    # The target is not named: its path would be shown in public CI annotations.
    return Problem(path, 1, 1, "is a link that leads outside the publication; not read",
                   "outside-publication")


def has_issue_file(directory: Path) -> bool:
    """issue.toml is there in some form: even a broken link or a directory under that name
    makes this an issue, whose loading then reports the file as unreadable."""
    return os.path.lexists(directory / ISSUE_FILE)


def _walk_for_issues(root: Path) -> Iterator[Path]:
    if has_issue_file(root):
        yield root
        return
    try:
        children = sorted(root.iterdir())
    except OSError:
        return
    for child in children:
        if (child.is_dir() and not child.is_symlink() and not child.name.startswith(".")
                and child.name not in _SKIP_DIRS and child.name != PAPERS_DIR):
            yield from _walk_for_issues(child)


def _up(folder: Path) -> Path:
    """The folder above, as a relative path stays relative: "." → "..", "a/papers" → "a"."""
    return Path(os.path.normpath(os.path.join(folder, os.pardir)))


def find_issue_dirs(paths: Iterable[Path]) -> list[Path]:
    """Issue directories named by, or found under, ``paths`` (files map to their issue)."""
    found: dict[Path, None] = {}
    seen: set[Path] = set()

    def add(issue_dir: Path) -> None:
        # The same issue named twice (relative and absolute) is checked once.
        resolved = issue_dir.resolve()
        if resolved not in seen:
            seen.add(resolved)
            found[issue_dir] = None

    for path in paths:
        if not os.path.lexists(path):
            raise UsageError(f"{path}: no such file or directory")
        # Names are read off the absolute path: "." inside papers/, or "01-x.toml" there,
        # must find their issue as "issues/001/papers" and its files do.
        where = Path(os.path.abspath(path))
        if path.is_dir() and where.name == PAPERS_DIR and has_issue_file(where.parent):
            add(_up(path))
            continue
        if not path.is_dir():  # an entry file, or something broken standing in for one
            issue_dir = path.parent
            if where.parent.name == PAPERS_DIR:
                issue_dir = _up(path.parent)
            if not has_issue_file(issue_dir) and path.name != ISSUE_FILE:
                raise UsageError(f"{path}: not part of an issue (no {ISSUE_FILE} beside it)")
            add(issue_dir)
            continue
        issues = list(_walk_for_issues(path))
        if not issues and not (path / PUBLICATION_FILE).is_file():
            raise UsageError(f"{path}: no {ISSUE_FILE} found here or below")
        for issue_dir in issues:
            add(issue_dir)
    return list(found)
