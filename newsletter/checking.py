"""Check a loaded issue against its house style: required fields, sections, duplicates.

Returns problems as data and never stops at the first; the CLI decides how to print them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from newsletter.errors import UsageError
from newsletter.loading import PUBLICATION_FILE, LoadedIssue, LoadedPaper
from newsletter.positions import locate
from newsletter.problems import Problem
from newsletter.styles import Style, load_style
from newsletter.tomlfile import Source


def _absent(data: dict[str, Any], name: str) -> bool:
    """Missing from the file, or an empty list. (An empty string is already an error of
    the file itself; working on the raw data lets a file with other errors still be told
    what its style needs.)"""
    return name not in data or data[name] == []


def _at(source: Source, key: str, message: str, rule: str, *, value: bool = True) -> Problem:
    line, column = locate(source.text, (key,), value=value)
    return Problem(source.path, line, column, message, rule)


def style_name_for(loaded: LoadedIssue) -> str | None:
    for source in (loaded.issue_source, loaded.publication_source):
        if source is not None and isinstance(source.data.get("style"), str):
            return str(source.data["style"])
    return None


def resolve_style(loaded: LoadedIssue, override: str | None = None) -> tuple[Style | None,
                                                                             list[Problem]]:
    """The style to use: ``override``, else the issue's, else the publication's."""
    name = override or style_name_for(loaded)
    if name is None:
        return None, [Problem(loaded.issue_path, 1, 1,
                              "no house style: set style = \"...\" in issue.toml or "
                              "newsletter.toml (see 'newsletter styles')", "unknown-style")]
    try:
        return load_style(name, loaded.template_dirs), []
    except UsageError as exc:
        if override is not None or loaded.issue_source is None:
            raise
        source = loaded.issue_source
        if "style" not in source.data and loaded.publication_source is not None:
            source = loaded.publication_source
        return None, [_at(source, "style", str(exc), "unknown-style")]


def _missing(source: Source, name: str, needs: str) -> Problem:
    """At the key when it is there but empty, else at the top of the file."""
    if name in source.data:
        return _at(source, name, f"'{name}' is empty, {needs}", "style-requires")
    return Problem(source.path, 1, 1, f"missing '{name}', {needs}", "style-requires")


def _required_paper_fields(style: Style, data: dict[str, Any]) -> tuple[str, ...]:
    if data.get("featured") is False and style.requires_paper_not_featured is not None:
        return style.requires_paper_not_featured
    return style.requires_paper


def _missing_fields(loaded: LoadedIssue, style: Style) -> list[Problem]:
    problems: list[Problem] = []
    needs = f"required by style '{style.name}'"
    if style.requires_publication:
        if loaded.publication_source is None:
            # A newsletter.toml that exists but did not parse is already reported.
            if not any(p.path.name == PUBLICATION_FILE for p in loaded.problems):
                wanted = ", ".join(style.requires_publication)
                problems.append(Problem(
                    loaded.issue_path, 1, 1,
                    f"no newsletter.toml found in this directory or above; the publication's "
                    f"{wanted} {needs}", "style-requires"))
        else:
            for name in style.requires_publication:
                if _absent(loaded.publication_source.data, name):
                    problems.append(_missing(loaded.publication_source, name, needs))
    if loaded.issue_source is not None:
        for name in style.requires_issue:
            if _absent(loaded.issue_source.data, name):
                problems.append(_missing(loaded.issue_source, name, needs))
    from newsletter.models import Paper

    for source in loaded.paper_sources:
        # Keys every paper needs (title) are already reported as missing-key.
        missing = [name for name in _required_paper_fields(style, source.data)
                   if _absent(source.data, name) and not Paper.model_fields[name].is_required()]
        if missing:
            listed = ", ".join(f"'{name}'" for name in missing)
            problems.append(Problem(source.path, 1, 1,
                                    f"missing {listed}, {needs}", "style-requires"))
    return problems


def _sections(loaded: LoadedIssue) -> list[Problem]:
    if loaded.issue is None:
        return []
    titles = [section.title for section in loaded.issue.sections]
    problems = []
    for item in loaded.papers:
        section = item.paper.section
        if section is not None and section not in titles:
            if titles:
                message = (f"section '{section}' is not one of the issue's [[sections]]: "
                           + ", ".join(f"'{t}'" for t in titles))
            else:
                message = f"section '{section}' is set but issue.toml has no [[sections]]"
            problems.append(_at(item.source, "section", message, "unknown-section"))
    return problems


def _normal_title(title: str) -> str:
    from newsletter.adding import same_title_key

    return same_title_key(title)


def _duplicates(papers: list[LoadedPaper]) -> list[Problem]:
    problems = []
    seen_urls: dict[str, Path] = {}
    seen_titles: dict[str, Path] = {}
    for item in papers:
        url = item.paper.url
        if url is not None:
            first = seen_urls.setdefault(url.rstrip("/"), item.source.path)
            if first != item.source.path:
                problems.append(_at(item.source, "url",
                                    f"the same url as {first.name}", "duplicate-paper"))
        first = seen_titles.setdefault(_normal_title(item.paper.title), item.source.path)
        if first != item.source.path:
            problems.append(_at(item.source, "title",
                                f"the same title as {first.name}", "duplicate-paper"))
    return problems


def check_issue(loaded: LoadedIssue, style_override: str | None = None) -> list[Problem]:
    """Every problem with the issue: its files, and what its style requires of them."""
    problems = list(loaded.problems)
    if loaded.issue_source is None:
        return problems
    style, style_problems = resolve_style(loaded, style_override)
    problems.extend(style_problems)
    if style is not None:
        problems.extend(_missing_fields(loaded, style))
    problems.extend(_sections(loaded))
    problems.extend(_duplicates(loaded.papers))
    return problems


def check_paths(paths: list[Path], style_override: str | None = None,
                base: str | None = None, *, use_cache: bool = True) -> tuple[list[Problem], int]:
    """Check every issue named by or found under ``paths``: files, styles, editorial lint,
    and (with ``base``) edits to issues already published. Returns problems (each once,
    even when a publication file is shared) and the number of files read.

    With ``use_cache``, entries unchanged since the last run (same bytes) are taken from
    the publication's cache instead of being parsed and validated again."""
    from newsletter.cache import EntryCache
    from newsletter.lint import check_config, lint_issue, lint_publication
    from newsletter.loading import find_issue_dirs, find_publication_file, load_issue

    issue_dirs = find_issue_dirs(paths)
    caches: dict[Path | None, EntryCache] = {}

    def cache_for(issue_dir: Path) -> EntryCache | None:
        if not use_cache:
            return None
        publication = find_publication_file(issue_dir)
        root = publication.parent if publication is not None else issue_dir
        if root not in caches:
            caches[root] = EntryCache(root)
        return caches[root]
    problems: dict[tuple[str, int, int, str], Problem] = {}
    files: set[str] = set()
    checked: list[tuple[LoadedIssue, Style | None]] = []

    def keep(found: list[Problem]) -> None:
        for problem in found:
            key = (os.path.abspath(problem.path), problem.line, problem.column, problem.message)
            problems.setdefault(key, problem)

    for issue_dir in issue_dirs:
        loaded = load_issue(issue_dir, cache_for(issue_dir))
        keep(check_issue(loaded, style_override))
        style = None
        if loaded.issue_source is not None:
            try:
                style, _ = resolve_style(loaded, style_override)
            except UsageError:
                style = None
        keep(lint_issue(loaded, style))
        keep(check_config(loaded))
        checked.append((loaded, style))
        # abspath, not resolve(): no system call per file, and the publication file is
        # always reached by the same path from its issues.
        files.add(os.path.abspath(loaded.issue_path))
        files.update(os.path.abspath(source.path) for source in loaded.paper_sources)
        files.update(os.path.abspath(p.path) for p in loaded.problems)
        if loaded.publication_source is not None:
            files.add(os.path.abspath(loaded.publication_source.path))
    if not issue_dirs:
        # A new publication with no issue yet: its newsletter.toml is all there is to check.
        for path in paths:
            if path.is_dir() and (path / PUBLICATION_FILE).is_file():
                empty = LoadedIssue(directory=path)
                from newsletter.loading import load_publication

                load_publication(path / PUBLICATION_FILE, empty)
                keep(empty.problems)
                keep(check_config(empty))
                files.add(os.path.abspath(path / PUBLICATION_FILE))
    keep(lint_publication(checked))
    for cache in caches.values():
        cache.save()
    if base is not None:
        from newsletter.history import published_changes

        keep(published_changes(issue_dirs, base))
    return list(problems.values()), len(files)
