"""The rules for one issue: its files, the house style's requirements, sections, duplicates.

Returns problems as data and never stops at the first; a whole run (``check.run``) and the
``render`` command both apply them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsletter.entries.identity import same_title_key, same_url_key
from newsletter.entries.loading import PUBLICATION_FILE, LoadedIssue, LoadedPaper
from newsletter.entries.positions import locate
from newsletter.entries.problems import Problem
from newsletter.entries.styles import Style, load_style
from newsletter.entries.tomlfile import Source
from newsletter.errors import UsageError


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


def missing_paper_fields(style: Style, data: dict[str, Any]) -> list[str]:
    """The fields ``style`` requires that a paper file's data lacks, in the style's order.
    Keys every paper needs (title) are not listed: they are reported as missing-key."""
    from newsletter.entries.models import Paper

    required = style.paper_requires(featured=data.get("featured") is not False)
    return [name for name in required
            if _absent(data, name) and not Paper.model_fields[name].is_required()]


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
    for source in loaded.paper_sources:
        missing = missing_paper_fields(style, source.data)
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


def _duplicates(papers: list[LoadedPaper]) -> list[Problem]:
    problems = []
    seen_urls: dict[str, Path] = {}
    seen_titles: dict[str, Path] = {}
    for item in papers:
        url = item.paper.url
        if url is not None:
            first = seen_urls.setdefault(same_url_key(url), item.source.path)
            if first != item.source.path:
                problems.append(_at(item.source, "url",
                                    f"the same url as {first.name}", "duplicate-paper"))
        first = seen_titles.setdefault(same_title_key(item.paper.title), item.source.path)
        if first != item.source.path:
            problems.append(_at(item.source, "title",
                                f"the same title as {first.name}", "duplicate-paper"))
    return problems


def check_issue(loaded: LoadedIssue, style_override: str | None = None) -> list[Problem]:
    """Every problem with the issue: its files, and what its style requires of them."""
    return check_with_style(loaded, style_override)[0]


def check_with_style(loaded: LoadedIssue, style_override: str | None = None
                     ) -> tuple[list[Problem], Style | None]:
    """The issue's problems, and the style they were judged by (None when none resolves):
    what ``render`` and lint go on with, so the style is resolved once."""
    problems = list(loaded.problems)
    if loaded.issue_source is None:
        return problems, None
    style, style_problems = resolve_style(loaded, style_override)
    problems.extend(style_problems)
    if style is not None:
        problems.extend(_missing_fields(loaded, style))
    problems.extend(_sections(loaded))
    problems.extend(_duplicates(loaded.papers))
    return problems, style
