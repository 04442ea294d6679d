"""Editorial lint: what a careful editor would flag, over one issue or a whole publication.

Every check is a pass over data already loaded, keyed by indexes (never pairwise scans),
so a publication of thousands of papers costs the same per paper as a single issue.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsletter.check.rules import RULES
from newsletter.entries.identity import paper_key
from newsletter.entries.loading import ISSUE_FILE, PAPERS_DIR, LoadedIssue
from newsletter.entries.positions import KeyPath, span
from newsletter.entries.problems import Problem, Severity
from newsletter.entries.styles import Style
from newsletter.entries.tomlfile import Source

_PLACEHOLDER = re.compile(r"\b(TODO|TBD|FIXME|XXX|lorem ipsum|lorem|ipsum dolor)\b",
                          re.IGNORECASE)
_PLACEHOLDER_WORDS = ("todo", "tbd", "fixme", "xxx", "lorem", "ipsum")
# A sentence ends at . ! ? before a space and a capital (or the end), but not after the
# abbreviations research prose is full of.
_SENTENCE = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\betc)(?<!\bal)(?<!\bFig)(?<!\bapprox)(?<!\bcf)"
    r"[.!?](?=\s+[A-Z0-9\"“(]|\s*$)")
_HTTP_LINK = re.compile(r"(?<![\w/])http://[^\s)>\]]+")


def today() -> dt.date:
    """The date 'future' is measured from (a function so tests can fix it)."""
    return dt.date.today()


@dataclass(frozen=True)
class LintSettings:
    """Severities, budgets and counts after the publication's [check] overrides."""

    levels: dict[str, str]
    budgets: dict[str, int]
    counts: dict[str, tuple[int, int]]

    @classmethod
    def for_issue(cls, loaded: LoadedIssue, style: Style | None) -> LintSettings:
        config = loaded.publication.check if loaded.publication is not None else None
        budgets = dict(style.budgets) if style else {}
        counts = dict(style.counts) if style else {}
        levels: dict[str, str] = {}
        if config is not None:
            budgets.update(config.budgets)
            counts.update({k: (v[0], v[1]) for k, v in config.counts.items()})
            levels.update(config.rules)
        return cls(levels, budgets, counts)

    def severity(self, rule: str) -> Severity | None:
        level = self.levels.get(rule)
        if level == "off":
            return None
        if level is not None:
            return Severity(level)
        return RULES[rule].severity


class _Collector:
    def __init__(self, settings: LintSettings) -> None:
        self.settings = settings
        self.problems: list[Problem] = []

    def add(self, source: Source, path: KeyPath, rule: str, message: str,
            quoted: str | None = None) -> None:
        """A problem at the value at ``path``; at ``quoted`` in it, when the file's text
        holds those characters there (a figure inside a paragraph), else at the value."""
        severity = self.settings.severity(rule)
        if severity is None:
            return
        line, column, end_line, end_column = span(source.text, path)
        if quoted is not None and end_line is not None and end_column is not None:
            found = _within(source.text, quoted, (line, column), (end_line, end_column))
            if found is not None:
                line, column, end_line, end_column = found
        self.problems.append(Problem(source.path, line, column, message, rule, severity,
                                     end_line, end_column))


def _within(text: str, quoted: str, start: tuple[int, int],
            end: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Where ``quoted`` first appears in ``text`` between two (line, column) positions."""
    lines = text.split("\n")
    if not (0 < start[0] <= len(lines) and 0 < end[0] <= len(lines)):
        return None
    offset = sum(len(line) + 1 for line in lines[:start[0] - 1]) + start[1] - 1
    stop = sum(len(line) + 1 for line in lines[:end[0] - 1]) + end[1] - 1
    at = text.find(quoted, offset, stop + 1)
    if at == -1 or "\n" in quoted:
        return None
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return line, column, line, column + len(quoted)


def _strings(data: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    """Every string value in parsed TOML, with its key path."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, index))


def _sources(loaded: LoadedIssue) -> list[Source]:
    found = [loaded.issue_source] if loaded.issue_source else []
    return found + list(loaded.paper_sources)


def _text_checks(loaded: LoadedIssue, out: _Collector) -> None:
    sources = _sources(loaded)
    if loaded.publication_source is not None:
        sources.append(loaded.publication_source)
    for source in sources:
        # Most files have neither; plain substring tests on the raw text (much faster than
        # the regex) spare walking their values.
        folded = source.text.casefold()
        if not (any(word in folded for word in _PLACEHOLDER_WORDS) or "http://" in folded):
            continue
        for path, value in _strings(source.data):
            match = _PLACEHOLDER.search(value)
            if match:
                out.add(source, path, "placeholder-text",
                        f"'{match.group(0)}' left in the text; finish it before publishing")
            link = next((found for found in _HTTP_LINK.finditer(value)
                         if not _on_this_machine(found.group(0))), None)
            if link:
                out.add(source, path, "insecure-link",
                        f"{_shown_link(link.group(0))} is not https; use the https address "
                        "if there is one")


def _on_this_machine(link: str) -> bool:
    """A link to this machine (a local model server, 'http://127.0.0.1:11434/v1'): plain
    http never leaves it, so there is no https address to use instead."""
    from newsletter.entries.hosts import is_local

    return is_local(link)


_USERINFO = re.compile(r"^(http://)[^/@\s]*@", re.I)


def _shown_link(link: str) -> str:
    """A link as quoted in a message, which may become a public CI annotation: without
    'user:password@' and cut short."""
    bare = _USERINFO.sub(r"\1…@", link)
    return bare if len(bare) <= 80 else bare[:79] + "…"


def _words(text: str) -> int:
    return len(text.split())


def _sentences(text: str) -> int:
    return max(1, len(_SENTENCE.findall(text.strip())))


_MEASURES: dict[str, tuple[Callable[[str], int], str]] = {
    "words": (_words, "words"), "sentences": (_sentences, "sentences")}


def _budget_checks(loaded: LoadedIssue, out: _Collector) -> None:
    budgets = out.settings.budgets
    counts = out.settings.counts
    for source in loaded.paper_sources:
        data = source.data
        for key, limit in budgets.items():
            field, unit = key.rsplit("_", 1)
            value = data.get(field)
            measure, noun = _MEASURES[unit]
            texts = [(f"{field}", value)] if isinstance(value, str) else []
            for path, text in texts:
                size = measure(text)
                if size > limit:
                    out.add(source, (path,), "over-budget",
                            f"{field} has {size} {noun}; the style's budget is {limit}")
        for field, (low, high) in counts.items():
            value = data.get(field)
            if isinstance(value, list) and value and not low <= len(value) <= high:
                wanted = f"{low}" if low == high else f"{low}–{high}"
                out.add(source, (field,), "item-count",
                        f"{field} has {len(value)} items; the style shows {wanted}")
        if data.get("hidden_gem") is True and "score" not in data:
            out.add(source, ("hidden_gem",), "gem-without-score",
                    "a hidden gem has no score; the tier is ordered by score")


# What a paper says of itself, or where it goes: never an editor's claim to ground.
_NOT_CLAIMS = frozenset({"title", "url", "authors", "abstract", "published", "arxiv_id", "doi",
                         "notes", "generated", "generated_by", "section", "group",
                         "short_name", "score", "score_proposed"})


def _add_strings(value: Any, add: Callable[[str], None]) -> None:
    """``add`` each string in ``value``, in ``_strings``'s order, without its key paths."""
    if isinstance(value, str):
        add(value)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                add(item)
            else:
                _add_strings(item, add)
    elif isinstance(value, dict):
        for item in value.values():
            _add_strings(item, add)


def _claims(data: dict[str, Any]) -> str:
    """The strings of a paper's claims, NUL-separated, in the order ``_strings`` gives them:
    a walk that makes no key paths, which are wanted only for the few figures found."""
    parts: list[str] = []
    add = parts.append
    for key, value in data.items():
        if key in _NOT_CLAIMS:
            continue
        if isinstance(value, str):
            add(value)
        else:
            _add_strings(value, add)
    return "\0".join(parts)


def _grounding_checks(loaded: LoadedIssue, out: _Collector) -> None:
    if out.settings.severity("ungrounded-number") is None:
        return
    from newsletter.check.grounding import ungrounded_by

    for source in loaded.paper_sources:
        data = source.data
        abstract, notes = data.get("abstract"), data.get("notes")
        if isinstance(notes, str):
            evidence = f"{abstract}\n{notes}" if isinstance(abstract, str) else notes
        else:
            evidence = abstract if isinstance(abstract, str) else ""
        if not evidence:
            continue  # nothing to trace figures to: not judged
        # One scan of all the paper's texts, NUL-separated (no figure spans a NUL): a
        # scan per text cost more in setting up than in scanning.
        figures = ungrounded_by(_claims(data), evidence)
        if not figures:
            continue
        claims = list(_strings({key: value for key, value in data.items()
                                if key not in _NOT_CLAIMS}))
        starts = list(itertools.accumulate((len(text) + 1 for _, text in claims), initial=0))
        for figure in figures:
            path = claims[bisect.bisect_right(starts, figure.start) - 1][0]
            out.add(source, path, "ungrounded-number",
                    f"'{figure.text}' is in neither the paper's abstract nor its notes; "
                    "check it against the paper", quoted=figure.raw)


def lint_issue(loaded: LoadedIssue, style: Style | None) -> list[Problem]:
    """Lint one issue on its own (what does not depend on the day it runs: see
    ``future_date``)."""
    out = _Collector(LintSettings.for_issue(loaded, style))
    _text_checks(loaded, out)
    _budget_checks(loaded, out)
    _grounding_checks(loaded, out)
    return out.problems


@dataclass(frozen=True, slots=True)
class IssueFacts:
    """What lint across issues needs of one issue: a few keys per paper, no models or text.

    Small enough to cache, and to hold for every issue of a large publication at once.
    Files are named relative to ``directory``, so the facts hold wherever it is reached from.
    """

    directory: Path
    publication_path: Path | None
    levels: dict[str, str]  # the publication's [check.rules]
    number: int
    date: dt.date
    # Per paper: its file, the key its identity is reported at, and its identity keys.
    papers: tuple[tuple[str, str, tuple[str, ...]], ...]

    @property
    def issue_path(self) -> Path:
        return self.directory / ISSUE_FILE


def facts_of(loaded: LoadedIssue, style: Style | None) -> IssueFacts | None:
    """The issue's facts; from its file as written when another of its fields is wrong, so
    that a date in the future or a paper covered before is still said beside that error."""
    if loaded.issue is not None:
        number, date = loaded.issue.number, loaded.issue.date
    else:
        data = loaded.issue_source.data if loaded.issue_source is not None else {}
        number, date = data.get("number"), data.get("date")
        if type(number) is not int or number < 1 or type(date) is not dt.date:
            return None
    source = loaded.publication_source
    return IssueFacts(
        directory=loaded.directory,
        publication_path=source.path if source is not None else None,
        levels=LintSettings.for_issue(loaded, style).levels,
        number=number,
        date=date,
        papers=tuple(paper_fact(item.source.path, item.paper.url, item.paper.title,
                                item.paper.arxiv_id, item.paper.doi)
                     for item in loaded.papers if item.paper is not None))


def paper_fact(path: Path, url: str | None, title: str, arxiv: str | None = None,
               doi: str | None = None) -> tuple[str, str, tuple[str, ...]]:
    """One paper of ``IssueFacts.papers``: its file, the key to report at, its identity."""
    return (f"{PAPERS_DIR}/{path.name}", "url" if url else "title",
            paper_key(url, title, arxiv, doi))


def _located(path: Path, key: str, rule: str, message: str,
             levels: dict[str, str]) -> Problem | None:
    """A problem at ``key`` of a file we hold no text of: read only when reporting."""
    severity = LintSettings(levels, {}, {}).severity(rule)
    if severity is None:
        return None
    from newsletter.entries.tomlfile import decode, read_bytes

    # Read as every entry is read (a byte-order mark dropped), so columns agree.
    raw, _ = read_bytes(path)
    text = decode(path, raw)[0] if raw is not None else None
    line, column, end_line, end_column = (span(text, (key,)) if text is not None
                                          else (1, 1, None, None))
    return Problem(path, line, column, message, rule, severity, end_line, end_column)


def future_date(facts: IssueFacts) -> list[Problem]:
    """An issue dated after today. Never cached: tomorrow the same file is fine."""
    if facts.date <= today():
        return []
    found = _located(facts.issue_path, "date", "date-order",
                     f"the date {facts.date} is in the future", facts.levels)
    return [found] if found else []


def lint_publication(issues: list[IssueFacts]) -> list[Problem]:
    """Rules that compare issues of one publication (issues sharing a newsletter.toml)."""
    publications: dict[Path | None, list[IssueFacts]] = {}
    for facts in issues:
        publications.setdefault(facts.publication_path, []).append(facts)
    problems: list[Problem] = []
    for members in publications.values():
        problems.extend(_compare_issues(members))
    return problems


def _compare_issues(issues: list[IssueFacts]) -> list[Problem]:
    """Two issues with one number, a paper covered twice, dates out of order: one pass in
    issue order over an index."""
    found: list[Problem | None] = []
    seen: dict[str, tuple[int, IssueFacts, str]] = {}
    previous: IssueFacts | None = None
    for facts in sorted(issues, key=lambda facts: facts.number):
        number = facts.number
        if previous is not None and number == previous.number:
            shown = Problem(previous.issue_path, 1, 1, "", "")
            found.append(_located(facts.issue_path, "number", "duplicate-number",
                                  f"issue {number} is numbered like {shown.display_path()}; "
                                  "each issue needs its own number", facts.levels))
        elif previous is not None and facts.date < previous.date and number > previous.number:
            found.append(_located(facts.issue_path, "date", "date-order",
                                  f"issue {number} is dated {facts.date}, before issue "
                                  f"{previous.number} ({previous.date})", facts.levels))
        previous = facts
        for name, where, keys in facts.papers:
            for key in keys:
                earlier = seen.get(key)
                if earlier is not None and earlier[0] != number:
                    shown = Problem(earlier[1].directory / earlier[2], 1, 1, "", "")
                    found.append(_located(facts.directory / name, where, "covered-before",
                                          f"already covered in issue {earlier[0]} "
                                          f"({shown.display_path()})", facts.levels))
                    break
            for key in keys:
                seen.setdefault(key, (number, facts, name))
    return [problem for problem in found if problem is not None]
