"""Ordering rules that styles share: ranking by score, featured vs noted, sections and groups.

They are plain functions over papers so templates can call them and tests can check them
without rendering anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsletter.entries.models import Paper, Section


@dataclass(frozen=True)
class Ranked:
    rank: int
    paper: Paper
    hidden_gem: bool


def ranked(papers: list[Paper]) -> list[Ranked]:
    """The main list in descending score, then the hidden-gem tier, numbered on.

    The tier is separate: a hidden gem scoring above the main list's last entry is not
    sorted into it. Ties keep file order (papers/NN-...), which the editor controls.
    """
    def by_score(paper: Paper) -> float:
        return -(paper.score if paper.score is not None else -1.0)

    main = sorted((p for p in papers if not p.hidden_gem), key=by_score)
    gems = sorted((p for p in papers if p.hidden_gem), key=by_score)
    return [Ranked(rank, paper, paper.hidden_gem)
            for rank, paper in enumerate([*main, *gems], start=1)]


def featured(papers: list[Paper]) -> list[Paper]:
    return [p for p in papers if p.featured]


def noted(papers: list[Paper]) -> list[Paper]:
    """Papers that get a short 'also worth noting' item instead of a story."""
    return [p for p in papers if not p.featured]


@dataclass
class Group:
    label: str
    papers: list[Paper] = field(default_factory=list)


@dataclass
class SectionView:
    """A section's papers: each entry is a loose Paper or a Group, in order of appearance."""

    title: str
    intro: str | None
    entries: list[Paper | Group] = field(default_factory=list)


def sections(papers: list[Paper], declared: list[Section]) -> list[SectionView]:
    """Papers grouped by the issue's sections, in the issue's order; empty ones dropped.

    A paper is listed under its ``section``/``group`` and under each of its ``also_in``, so
    it may stand in several sections (with the placement's own blurb, if it has one); it
    is still one paper of ``papers`` (one source).
    Entries follow file order (papers/NN-...); the ``also_in`` listings come after every
    paper's own, so they join the end of their group, or of their section when the group
    is new, and adding one never reorders what was there.
    """
    views = {s.title: SectionView(s.title, s.intro) for s in declared}
    groups: dict[tuple[str, str], Group] = {}
    every = [(paper, paper.placements()) for paper in papers]
    placed = [(paper, places[0]) for paper, places in every if places]
    placed += [(paper, place) for paper, places in every for place in places[1:]]
    for paper, place in placed:
        if place.section not in views:
            continue
        if place.blurb is not None:  # its own words for this section
            paper = paper.model_copy(update={"blurb": place.blurb})
        view = views[place.section]
        if place.group is None:
            view.entries.append(paper)
            continue
        key = (place.section, place.group)
        if key not in groups:
            groups[key] = Group(place.group)
            view.entries.append(groups[key])
        groups[key].papers.append(paper)
    return [view for view in views.values() if view.entries]


def is_group(entry: Paper | Group) -> bool:
    return isinstance(entry, Group)
