"""The rules for one issue: its files, the house style's requirements, sections, duplicates.

Returns problems as data and never stops at the first; a whole run (``check.run``) and the
``render`` command both apply them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.entries.identity import link_key, link_keys, same_text
from newsletter.entries.loading import PUBLICATION_FILE, LoadedIssue, LoadedPaper, unfilled
from newsletter.entries.positions import span
from newsletter.entries.problems import Problem, Severity
from newsletter.entries.styles import Style, load_style
from newsletter.entries.tomlfile import Source
from newsletter.errors import UsageError


def _absent(data: dict[str, Any], name: str) -> bool:
    """Missing from the file, or not filled in. (For a published issue an empty string is
    also an error of the file itself; working on the raw data lets a file with other
    errors still be told what its style needs.)"""
    return name not in data or unfilled(data[name])


def _at(source: Source, key: str, message: str, rule: str, *, value: bool = True) -> Problem:
    line, column, end_line, end_column = span(source.text, (key,), value=value)
    return Problem(source.path, line, column, message, rule,
                   end_line=end_line, end_column=end_column)


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


@dataclass(frozen=True, slots=True)
class _Need:
    """How a lack is reported: in a draft a warning of its own rule (the draft is being
    written), once the issue is published an error."""

    style: str
    draft: bool

    @property
    def rule(self) -> str:
        return "incomplete" if self.draft else "style-requires"

    @property
    def severity(self) -> Severity:
        return Severity.WARNING if self.draft else Severity.ERROR

    @property
    def needs(self) -> str:
        if self.draft:
            return f"which style '{self.style}' needs before the issue is published"
        return f"required by style '{self.style}'"

    def missing(self, source: Source, name: str) -> Problem:
        """At the key when it is there but empty, else at the top of the file."""
        if name in source.data:
            line, column, end_line, end_column = span(source.text, (name,))
            return Problem(source.path, line, column, f"'{name}' is empty, {self.needs}",
                           self.rule, self.severity, end_line, end_column)
        return Problem(source.path, 1, 1, f"missing '{name}', {self.needs}", self.rule,
                       self.severity)


def missing_paper_fields(style: Style, data: dict[str, Any]) -> list[str]:
    """The fields ``style`` requires that a paper file's data lacks, in the style's order.
    Keys every paper needs (title) are not listed: they are reported as missing-key."""
    from newsletter.entries.models import Paper

    required = style.paper_requires(featured=data.get("featured") is not False)
    return [name for name in required
            if _absent(data, name) and not Paper.model_fields[name].is_required()]


def _missing_fields(loaded: LoadedIssue, style: Style) -> list[Problem]:
    problems: list[Problem] = []
    need = _Need(style.name, loaded.is_draft)
    # Every publication needs a name (its mastheads show it); a draft may not have one yet.
    wanted = list(dict.fromkeys(("name", *style.requires_publication)))
    if loaded.publication_source is None:
        # A newsletter.toml that exists but did not parse is already reported.
        if not any(p.path.name == PUBLICATION_FILE for p in loaded.problems):
            problems.append(Problem(
                loaded.issue_path, 1, 1,
                f"no newsletter.toml found in this directory or above; the publication's "
                f"{', '.join(wanted)}: {need.needs}", need.rule, need.severity))
    else:
        for name in wanted:
            if _absent(loaded.publication_source.data, name):
                problems.append(need.missing(loaded.publication_source, name))
    if loaded.issue_source is not None:
        for name in style.requires_issue:
            if _absent(loaded.issue_source.data, name):
                problems.append(need.missing(loaded.issue_source, name))
    for source in loaded.paper_sources:
        missing = missing_paper_fields(style, source.data)
        if len(missing) == 1 and missing[0] in source.data:  # the one empty key, at its line
            problems.append(need.missing(source, missing[0]))
        elif missing:
            listed = ", ".join(f"'{name}'" for name in missing)
            problems.append(Problem(source.path, 1, 1, f"missing {listed}, {need.needs}",
                                    need.rule, need.severity))
    return problems


def _sections(loaded: LoadedIssue) -> list[Problem]:
    if loaded.issue is None:
        return []
    titles = [section.title for section in loaded.issue.sections]
    problems = []
    for item in loaded.papers:
        # Its own section, then each of also_in, each reported at its own value.
        named: list[tuple[str, tuple[str | int, ...]]] = []
        if item.paper.section is not None:
            named.append((item.paper.section, ("section",)))
        named += [(place.section, ("also_in", index, "section"))
                  for index, place in enumerate(item.paper.also_in)]
        for section, key in named:
            if section in titles:
                continue
            line, column, end_line, end_column = span(item.source.text, key)
            if titles:
                message = (f"section '{section}' is not one of the issue's [[sections]]: "
                           + ", ".join(f"'{t}'" for t in titles))
                problems.append(Problem(item.source.path, line, column, message,
                                        "unknown-section", end_line=end_line,
                                        end_column=end_column))
            elif loaded.is_draft:  # the draft's sections are not written yet
                problems.append(Problem(
                    item.source.path, line, column, f"section '{section}' is set but "
                    "issue.toml has no [[sections]] yet; add it before the issue is published",
                    "incomplete", Severity.WARNING, end_line, end_column))
            else:
                message = f"section '{section}' is set but issue.toml has no [[sections]]"
                problems.append(Problem(item.source.path, line, column, message,
                                        "unknown-section", end_line=end_line,
                                        end_column=end_column))
    return problems


def _duplicates(papers: list[LoadedPaper]) -> list[Problem]:
    problems = []
    seen_links: dict[str, LoadedPaper] = {}
    seen_titles: dict[str, Path] = {}
    for item in papers:
        assert item.paper is not None
        url = item.paper.url
        for key in link_keys(url, item.paper.arxiv_id, item.paper.doi):
            first = seen_links.setdefault(key, item)
            if first is not item:
                assert first.paper is not None
                # The same address, or another form of it (abs vs pdf, another version),
                # or the same arXiv id or DOI an import wrote.
                same = ("the same url" if url and first.paper.url
                        and first.paper.url.rstrip("/") == url.rstrip("/")
                        else f"the same paper ({key})")
                where = "url" if url and link_key(url) == key else (
                    "arxiv_id" if key.startswith("arxiv:") and item.paper.arxiv_id else
                    "doi" if key.startswith("doi:") and item.paper.doi else "url")
                problems.append(_at(item.source, where,
                                    f"{same} as {first.source.path.name}", "duplicate-paper"))
                break
        first_path = seen_titles.setdefault(same_text(item.paper.title), item.source.path)
        if first_path != item.source.path:
            problems.append(_at(item.source, "title",
                                f"the same title as {first_path.name}", "duplicate-paper"))
    return problems


def _unreviewed(loaded: LoadedIssue) -> list[Problem]:
    """Each field a model wrote that no editor has reviewed (``generated``): a warning in a
    draft, an error once the issue is published, at the text itself."""
    problems = []
    for item in loaded.papers:
        paper = item.paper
        if paper is None or not paper.generated:
            continue
        model = paper.generated_by.model if paper.generated_by is not None else "a model"
        for name in dict.fromkeys(paper.generated):
            if _absent(item.source.data, name):
                continue  # emptied since: nothing left to review
            line, column, end_line, end_column = span(item.source.text, (name,))
            if loaded.is_draft:
                message = (f"'{name}' was written by {model} and not yet reviewed; read it, "
                           f"then remove '{name}' from generated (or run 'newsletter "
                           "review')")
            else:
                message = (f"'{name}' was written by {model} and never reviewed; a "
                           "published issue cannot carry it (remove it from generated "
                           "once read, or run 'newsletter review')")
            problems.append(Problem(item.source.path, line, column, message, "unreviewed",
                                    Severity.WARNING if loaded.is_draft else Severity.ERROR,
                                    end_line, end_column))
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
    problems.extend(_unreviewed(loaded))
    return problems, style
