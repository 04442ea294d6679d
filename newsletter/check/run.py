"""A whole ``check`` run: find the issues, answer from the cache, check the rest (in worker
processes with ``--jobs``), lint across issues, and compare with a git revision.

The rules it applies to one issue are in ``check.issue``; this module owns what a run adds
around them: the cache, the workers (newsletter.processes), and the facts compared across
issues.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.check.issue import check_with_style
from newsletter.entries.loading import (
    ISSUE_FILE,
    PAPERS_DIR,
    PUBLICATION_FILE,
    LoadedIssue,
    Publications,
    find_issue_dirs,
    issue_dir_of,
    load_issue,
    load_publication,
    name_in_issue,
    outside,
    outside_check,
    paper_files,
    root_of,
    templates_of,
)
from newsletter.entries.problems import Problem

if TYPE_CHECKING:
    from newsletter.check.cache import Inputs
    from newsletter.check.lint import IssueFacts


def _read_inputs(issue_dir: Path, publication: Path | None, style_override: str | None
                 ) -> tuple[dict[str, bytes], list[Path], Inputs | None]:
    """Every file the issue is checked from, read once; its papers; and the files' hashes,
    the cache key (None when a file cannot be read: that issue is checked, not cached)."""
    from newsletter.check.cache import digest
    from newsletter.entries.tomlfile import read_bytes

    papers = paper_files(issue_dir)
    named = [(str(publication), publication)] if publication is not None else []
    named.append((ISSUE_FILE, issue_dir / ISSUE_FILE))
    named.extend((f"{PAPERS_DIR}/{path.name}", path) for path in papers)
    contents: dict[str, bytes] = {}
    # None (the issue's own style) and "" (which no style is called) must not share a key.
    inputs = [("--style", b"\0" if style_override is None else style_override.encode())]
    leads_out = outside_check(root_of(publication.parent if publication is not None
                                      else issue_dir))
    for name, path in named:
        if leads_out(path):  # never read; load_issue reports it
            return contents, papers, None
        raw, _ = read_bytes(path)
        if raw is None:
            return contents, papers, None
        contents[str(path)] = raw
        inputs.append((name, digest(raw)))
    return contents, papers, tuple(inputs)


@dataclass(frozen=True, slots=True)
class _Pending:
    """An issue the cache could not answer for, with whatever was already read of it."""

    issue_dir: Path
    style_override: str | None
    contents: dict[str, bytes]
    papers: list[Path] | None


def _check_one(pending: _Pending, publications: Publications | None = None
               ) -> tuple[list[Problem], IssueFacts | None, list[str]]:
    """Load, check and lint one issue: its problems, its facts for lint across issues,
    and the files it was read from (relative to it, or absolute)."""
    from newsletter.check.config import check_config
    from newsletter.check.lint import facts_of, lint_issue
    from newsletter.entries.problems import has_errors

    issue_dir, style_override = pending.issue_dir, pending.style_override
    loaded = load_issue(issue_dir, contents=pending.contents, papers=pending.papers,
                        publications=publications or _process_publications())
    found, style = check_with_style(loaded, style_override)
    found.extend(lint_issue(loaded, style))
    found.extend(check_config(loaded))
    if style is not None and not has_errors(found):
        from newsletter.check.templates import template_problems, uses_own_templates

        # Rendered last: a template cannot change what the rules above saw.
        if uses_own_templates(loaded, style):
            found.extend(template_problems(loaded, style))
    here = os.path.abspath(issue_dir)
    names = [ISSUE_FILE, *(f"{PAPERS_DIR}/{source.path.name}"
                           for source in loaded.paper_sources),
             *(name_in_issue(problem.path, here) for problem in loaded.problems)]
    if loaded.publication_source is not None:
        names.append(str(loaded.publication_source.path))
    return found, facts_of(loaded, style), names


@cache
def _process_publications() -> Publications:
    """In a worker process of ``--jobs``: one reading of newsletter.toml for its issues."""
    return Publications()


Progress = Callable[[int, int], None]
"""Told (issues checked so far, issues to check) as a run goes: a progress bar's feed."""


def _check_all(pending: list[_Pending], jobs: int, publications: Publications,
               progress: Progress | None = None
               ) -> list[tuple[list[Problem], IssueFacts | None, list[str]]]:
    """Serially, or spread over ``jobs`` processes when there is enough work to share."""
    from newsletter.processes import spread

    return spread(_check_one, pending, jobs,
                  serial=lambda item: _check_one(item, publications), progress=progress)


def _other_issues_facts(paths: list[Path], issue_dirs: list[Path], asked: set[str],
                        publications: Publications) -> list[IssueFacts]:
    """Facts of the other issues of the publications ``issue_dirs`` belong to, read lightly
    (parsed, not validated: they are only compared with, never reported on)."""
    from newsletter.check.lint import IssueFacts, LintSettings, paper_fact
    from newsletter.entries.tomlfile import read_toml

    roots = {publication.parent for issue_dir in issue_dirs
             if (publication := publications.find(issue_dir)) is not None}
    searched = [os.path.realpath(path) for path in paths if path.is_dir()]
    found: list[IssueFacts] = []
    for root in sorted(roots):
        if any(root.is_relative_to(folder) for folder in searched):
            continue  # the whole publication was checked: there are no others
        others = [d for d in find_issue_dirs([root]) if os.path.abspath(d) not in asked]
        if not others:
            continue
        shared = LoadedIssue(directory=root)
        publications.load_into(root / PUBLICATION_FILE, shared)
        levels = LintSettings.for_issue(shared, None).levels
        real_root = root_of(root)
        for issue_dir in others:
            if outside(issue_dir / ISSUE_FILE, real_root):
                continue  # never read: only compared with, and not the publication's
            source, _ = read_toml(issue_dir / ISSUE_FILE)
            if source is None:
                continue
            number, date = source.data.get("number"), source.data.get("date")
            if type(number) is not int or type(date) is not dt.date:
                continue
            papers = []
            leads_out = outside_check(real_root)
            for path in paper_files(issue_dir):
                if leads_out(path):
                    continue
                paper, _ = read_toml(path)
                data = paper.data if paper is not None else {}
                title, url = data.get("title"), data.get("url")
                if isinstance(title, str) and (url is None or isinstance(url, str)):
                    papers.append(paper_fact(path, url, title, *(
                        value if isinstance(value := data.get(key), str) else None
                        for key in ("arxiv_id", "doi"))))
            found.append(IssueFacts(issue_dir, root / PUBLICATION_FILE, levels, number, date,
                                    tuple(papers)))
    return found


def check_paths(paths: list[Path], style_override: str | None = None,
                base: str | None = None, *, use_cache: bool = True,
                jobs: int = 1, progress: Progress | None = None,
                note: Callable[[str], None] | None = None) -> tuple[list[Problem], int]:
    """Check every issue named by or found under ``paths``: files, styles, editorial lint,
    and (with ``base``) edits to issues already published. Returns problems (each once,
    even when a publication file is shared) and the number of files read.

    With ``use_cache``, an issue whose files are all unchanged since the last run (same
    bytes) takes its problems from the publication's cache instead of being parsed,
    validated and linted again. Lint across issues always runs, on facts kept per issue.
    ``jobs`` > 1 checks the other issues in that many processes; ``progress`` is told how
    far the checking of the issues the cache could not answer for has got; ``note`` is
    told, a line each, of a cache that was ignored or could not be kept, and of a path
    checked as its issue or publication instead (see ``check.targets``)."""
    from newsletter.check.cache import ResultCache
    from newsletter.check.config import check_config
    from newsletter.check.lint import future_date, lint_publication
    from newsletter.check.targets import check_targets
    from newsletter.check.templates import new_run
    from newsletter.entries.styles import SPEC_FILE, style_folders

    new_run()
    # pre-commit passes files: newsletter.toml or a template stands for its publication.
    publications = Publications()
    paths, notes = check_targets(paths, publications)
    for line in notes if note is not None else ():
        note(line)
    issue_dirs = find_issue_dirs(paths)
    caches: dict[Path, ResultCache] = {}

    def cache_for(issue_dir: Path, publication: Path | None) -> ResultCache | None:
        if not use_cache:
            return None
        root = publication.parent if publication is not None else issue_dir
        if root not in caches:
            specs = [folder / SPEC_FILE
                     for folder in style_folders(templates_of(publication)).values()]
            # The publication's own templates: editing one re-checks (re-renders) its issues.
            from newsletter.check.templates import template_files

            specs += [path for own in templates_of(publication) for path in template_files(own)]
            caches[root] = ResultCache(root, specs)
        return caches[root]

    problems: dict[tuple[str, int, int, str], Problem] = {}
    files: set[str] = set()
    every_facts: list[IssueFacts] = []

    def keep(found: list[Problem]) -> None:
        for problem in found:
            key = (os.path.abspath(problem.path), problem.line, problem.column, problem.message)
            problems.setdefault(key, problem)

    # Answers from the cache first; the rest are checked, then all are taken in order (the
    # order decides which of two issues with one number counts as the earlier).
    results: list[tuple[list[Problem], IssueFacts | None, list[str]] | None] = []
    pending: list[_Pending] = []
    to_cache: list[tuple[int, ResultCache, Inputs]] = []
    for issue_dir in issue_dirs:
        publication = publications.find(issue_dir)
        cache = cache_for(issue_dir, publication)
        contents: dict[str, bytes] = {}
        papers = None
        hit = None
        if cache is not None:
            contents, papers, inputs = _read_inputs(issue_dir, publication, style_override)
            if inputs is not None:
                hit = cache.get(issue_dir, inputs)
                if hit is None:
                    to_cache.append((len(results), cache, inputs))
        if hit is None:
            pending.append(_Pending(issue_dir, style_override, contents, papers))
        results.append(hit)
    checked = iter(_check_all(pending, jobs, publications, progress))
    results = [result if result is not None else next(checked) for result in results]
    if to_cache:
        from newsletter.check.templates import unverified

        for index, cache, inputs in to_cache:
            if not unverified(results[index][0]):
                cache.put(issue_dirs[index], inputs, *results[index])
    for issue_dir, (found, facts, names) in zip(issue_dirs, results, strict=True):
        keep(found)
        # Absolute, not resolved: no system call per file, and the publication file is
        # always reached by the same path from its issues.
        here = os.path.abspath(issue_dir)
        files.update(os.path.join(here, name) for name in names)
        if facts is not None:
            every_facts.append(facts)
            keep(future_date(facts))
    # A new publication with no issue yet: its newsletter.toml is all there is to check
    # (beside other publications' issues too, when a commit touches several).
    with_issues = {publications.find(issue_dir) for issue_dir in issue_dirs}
    for path in paths:
        if path.is_dir() and (path / PUBLICATION_FILE).is_file() and Path(
                os.path.abspath(path / PUBLICATION_FILE)) not in with_issues:
            empty = LoadedIssue(directory=path)
            load_publication(path / PUBLICATION_FILE, empty)
            keep(empty.problems)
            keep(check_config(empty))
            files.add(os.path.abspath(path / PUBLICATION_FILE))
    # Issues not asked for (pre-commit passes only the changed files) still count as the
    # earlier issues of their publication: a paper covered there is reported here.
    asked = {os.path.abspath(issue_dir) for issue_dir in issue_dirs}
    context = _other_issues_facts(paths, issue_dirs, asked, publications)
    keep([problem for problem in lint_publication(every_facts + context)
          if issue_dir_of(problem.path) in asked])
    for cache in caches.values():
        cache.save()
        for line in cache.notes if note is not None else ():
            note(line)
    if base is not None:
        from newsletter.check.history import published_changes

        keep(published_changes(paths, base))
    return list(problems.values()), len(files)
