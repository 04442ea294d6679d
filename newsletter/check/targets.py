"""What a run checks for each path it is given.

pre-commit (and any other hook) passes the files a commit touches, not issues: a change to
``newsletter.toml`` or to a file in the publication's ``templates/`` concerns every issue of
the publication; a deleted entry file leaves its issue (or, with the issue gone, its
publication) to check. Each target is named once, however many of its files were.
"""

from __future__ import annotations

import os
from pathlib import Path

from newsletter.entries.loading import (
    ISSUE_FILE,
    PAPERS_DIR,
    PUBLICATION_FILE,
    TEMPLATES_DIR,
    Publications,
    has_issue_file,
)
from newsletter.entries.problems import display_path


def _up(path: Path, levels: int = 1) -> Path:
    """The folder ``levels`` above, as a relative path stays relative ("a.toml" → ".")."""
    return Path(os.path.normpath(os.path.join(path, *[os.pardir] * levels)))


def _publication_of_template(path: Path) -> Path | None:
    """The publication folder whose ``templates/`` holds ``path`` (relative when ``path``
    is), found up the absolute path as written, as ``Publications.find`` walks, or None."""
    for folder in Path(os.path.abspath(path)).parents:
        if folder.name == TEMPLATES_DIR and (folder.parent / PUBLICATION_FILE).is_file():
            return folder.parent if path.is_absolute() else Path(os.path.relpath(folder.parent))
    return None


def _issue_of(path: Path) -> Path:
    """The issue folder an entry file is (or was) in: its folder, or the one above
    ``papers/``; names read off the absolute path, as ``find_issue_dirs`` does."""
    in_papers = os.path.basename(os.path.dirname(os.path.abspath(path))) == PAPERS_DIR
    return _up(path, 2 if in_papers else 1)


def _target(path: Path, publications: Publications) -> tuple[Path | None, str | None]:
    """What to check for ``path`` (None: nothing), and a note when that is not ``path``."""
    if path.name == PUBLICATION_FILE:
        # Defaults, style and rule settings of every issue: the whole publication.
        return _up(path), None
    exists = os.path.lexists(path)
    if exists and path.is_dir():
        return path, None
    own = _publication_of_template(path)
    if own is not None:
        return own, None
    issue = _issue_of(path)
    if exists and (has_issue_file(issue) or path.name == ISSUE_FILE):
        return path, None
    if TEMPLATES_DIR in Path(os.path.normpath(path)).parts[:-1]:  # as written: not ~/templates
        # A web app's templates/, matched by a hook's files pattern: not ours to check.
        return None, (f"{display_path(path)}: not in the {TEMPLATES_DIR}/ of a publication "
                      f"(no {PUBLICATION_FILE} beside it): not checked")
    if exists or path.suffix != ".toml":
        return path, None  # loading says what is wrong with it
    if has_issue_file(issue):
        return issue, (f"{display_path(path)}: no such file (deleted?): checked its issue, "
                       f"{display_path(issue)}")
    found = publications.find(path.parent)
    if found is None:
        return path, None  # "no such file or directory", as for any other name
    folder = found.parent if path.is_absolute() else Path(os.path.relpath(found.parent))
    return folder, (f"{display_path(path)}: no such file (deleted?), and no {ISSUE_FILE} "
                    f"where it was: checked its publication, {display_path(folder)}")


def check_targets(paths: list[Path], publications: Publications
                  ) -> tuple[list[Path], list[str]]:
    """The folders and files to check for ``paths``, each once, in the order given; and a
    note for each path that was taken as something else, or left out. ``publications``
    is the run's own, so each newsletter.toml is looked for once."""
    targets: dict[str, Path] = {}
    notes: list[str] = []
    for path in paths:
        target, note = _target(path, publications)
        if note is not None:
            notes.append(note)
        if target is not None:
            targets.setdefault(os.path.abspath(target), target)
    return list(targets.values()), notes
