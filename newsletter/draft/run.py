"""``newsletter draft``: fill the empty fields a style needs, from each paper's abstract.

For each paper of a draft issue that has an ``abstract`` (or ``notes`` of the editor's own),
the fields its house style needs and nobody has written yet are asked of a model (never a
field the editor wrote), a few papers at once. Each answer that validates is written into
the paper file at once, with the names of the fields in ``generated`` and the model and
prompt hash in ``generated_by``: text no editor has read yet, which ``check`` warns of in
the draft and refuses once the issue is published. Weekly's score is asked for as a
proposal (``score_proposed`` and ``score_rationale``): the editor sets ``score``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.errors import NewsletterError, UsageError

if TYPE_CHECKING:
    from newsletter.draft.client import ModelClient, Usage
    from newsletter.draft.prompts import Prompt
    from newsletter.entries.loading import LoadedIssue, LoadedPaper


@dataclass(frozen=True)
class Planned:
    """One paper to draft: its file as read, and what to ask for."""

    item: LoadedPaper
    names: list[str]
    prompt: Prompt

    @property
    def path(self) -> Path:
        return self.item.source.path


@dataclass
class DraftReport:
    """What a run did: the fields written per file, the papers left alone and why, the
    failures (one line each), and the tokens used."""

    model: str = ""
    endpoint: str = ""  # where the model is asked, without any user:password@
    planned: list[Planned] = field(default_factory=list)
    written: dict[Path, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    usage: Usage | None = None


def _without_userinfo(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def _shown(path: Path) -> str:
    from newsletter.entries.problems import display_path

    return display_path(path)


def _empty(data: dict[str, Any], name: str) -> bool:
    from newsletter.entries.loading import unfilled

    return name not in data or unfilled(data[name])


def _selected(loaded: LoadedIssue, wanted: list[str] | None) -> list[LoadedPaper]:
    """The papers named (by file name, stem or number), or all of them."""
    items = list(loaded.papers)
    if not wanted:
        return items
    chosen = []
    for name in wanted:
        base = Path(name).name
        found = [item for item in items if base in (
            item.source.path.name, item.source.path.stem,
            item.source.path.name.split("-", 1)[0])]
        if not found:
            raise UsageError(f"{name[:80]!a}: no such paper in {_shown(loaded.directory)} "
                             "(name its file, e.g. 03-indexcache.toml, or its number, 03)")
        chosen += [item for item in found if item not in chosen]
    return chosen


def left_alone(loaded: LoadedIssue) -> list[str]:
    """A note for each paper file that is not drafted or reviewed: one with problems, and
    one that is a link out of the publication (never read, never written through)."""
    notes = [f"{_shown(entry.source.path)}: has problems; fix them first ('newsletter "
             "check')" for entry in loaded.paper_entries if entry.paper is None]
    notes += [f"{problem.display_path()}: {problem.message}" for problem in loaded.problems
              if problem.rule == "outside-publication"]
    return notes


def wanted_fields(style_requires: tuple[str, ...], data: dict[str, Any],
                  only: list[str] | None) -> list[str]:
    """The fields to ask for: those the style needs (or ``only``), empty in ``data``. A
    score is asked for as a proposal."""
    from newsletter.entries.models import DRAFTABLE

    names = list(only) if only else [name for name in style_requires if name in DRAFTABLE]
    if (only is None and "score" in style_requires) or (only and "score" in only):
        names = [name for name in names if name != "score"]
        if _empty(data, "score"):
            names += ["score_proposed", "score_rationale"]
    return [name for name in dict.fromkeys(names) if _empty(data, name)]


def check_fields(fields: list[str] | None) -> list[str] | None:
    from newsletter.entries.models import DRAFTABLE

    if fields is None:
        return None
    unknown = [name for name in fields if name not in DRAFTABLE and name != "score"]
    if unknown:
        raise UsageError(f"--fields {','.join(unknown)[:80]!a}: not a field a model drafts "
                         f"(one of {', '.join(DRAFTABLE)})")
    return fields


def plan(issue_dir: Path, papers: list[str] | None = None,
         fields: list[str] | None = None) -> tuple[LoadedIssue, Any, list[tuple[LoadedPaper,
                                                                                list[str]]],
                                                   list[str]]:
    """The issue, its style, each paper with the fields to ask for, and notes on the
    papers left alone."""
    from newsletter.check.issue import resolve_style
    from newsletter.entries.loading import ISSUE_FILE, has_issue_file, load_issue

    if not has_issue_file(issue_dir):
        raise UsageError(f"{_shown(issue_dir)}: not an issue directory (no {ISSUE_FILE})")
    only = check_fields(fields)
    loaded = load_issue(issue_dir)
    if loaded.issue_source is None:
        raise NewsletterError(f"{_shown(loaded.issue_path)}: cannot be read; run "
                              "'newsletter check' on it")
    from newsletter.entries.loading import PUBLICATION_FILE

    unread = [problem for problem in loaded.problems if problem.path.name == PUBLICATION_FILE]
    if loaded.publication is None and unread:
        # Never the defaults instead: a [draft] table that does not load must not quietly
        # become OpenAI's endpoint, four requests at once, two minutes each.
        raise NewsletterError(f"{unread[0].where()} (fix it first: 'newsletter draft' "
                              "takes its [draft] table from it)")
    if not loaded.is_draft:
        raise NewsletterError(f"{_shown(loaded.issue_path)}: the issue is published; a "
                              "model drafts only into a draft (status = \"draft\")")
    style, problems = resolve_style(loaded)
    if style is None:
        raise NewsletterError(problems[0].where() if problems else "no house style")
    notes = left_alone(loaded)
    chosen = []
    for item in _selected(loaded, papers):
        data = item.source.data
        if item.paper is None:
            continue
        names = wanted_fields(style.paper_requires(featured=item.paper.featured), data, only)
        if not names:
            continue
        if not item.paper.abstract and not item.paper.notes:
            notes.append(f"{_shown(item.source.path)}: nothing to draft from (no abstract or "
                         "notes); import it, or write notes")
            continue
        chosen.append((item, names))
    return loaded, style, chosen, notes


def draft_issue(issue_dir: Path, *, papers: list[str] | None = None,
                fields: list[str] | None = None, model: str | None = None,
                endpoint: str | None = None, dry_run: bool = False,
                client: ModelClient | None = None,
                advance: Callable[[int, int], None] | None = None) -> DraftReport:
    """Draft the empty fields of the issue's papers (see the module). With ``dry_run``,
    nothing is asked or written: the report's ``planned`` holds each request."""
    from newsletter.draft import prompts
    from newsletter.draft.client import ENDPOINT_VARIABLE, ModelClient, key_for

    loaded, style, chosen, notes = plan(issue_dir, papers, fields)
    config = loaded.publication.draft if loaded.publication is not None else None
    from newsletter.entries.models import DraftConfig

    config = config or DraftConfig()
    chosen_endpoint = endpoint or os.environ.get(ENDPOINT_VARIABLE) or None
    if chosen_endpoint is not None:
        from newsletter.entries.validation import validation_messages

        messages = validation_messages({"endpoint": chosen_endpoint}, DraftConfig)
        if messages:
            raise UsageError(f"--endpoint: {messages[0]}")
    if model is not None:
        from newsletter.entries.validation import validation_messages

        messages = validation_messages({"model": model}, DraftConfig)
        if messages:  # it is written into each paper's generated_by, and printed
            raise UsageError(f"--model: {messages[0]}")
    use_model = model or config.model
    if use_model is None:
        raise UsageError("no model named: set model = \"...\" under [draft] in "
                         "newsletter.toml, or pass --model")
    name = loaded.publication.name if loaded.publication and loaded.publication.name else \
        "the publication"
    target = chosen_endpoint or config.endpoint
    report = DraftReport(model=use_model, endpoint=_without_userinfo(target), notes=notes)
    report.planned = [Planned(item, names, prompts.build(style, loaded.template_dirs, name,
                                                         item.paper, names))
                      for item, names in chosen]
    if dry_run or not report.planned:
        return report

    if client is None:
        client = ModelClient(target, use_model, config.temperature, config.timeout,
                             config.attempts, config.response_format,
                             key_for(target, endpoint_chosen=chosen_endpoint is not None))
    report.usage = client.usage
    done = 0
    total = len(report.planned)
    if advance:
        advance(0, total)
    with ThreadPoolExecutor(max_workers=min(config.concurrency, total)) as pool:
        futures = {pool.submit(client.ask, _shown(planned.path), planned.prompt,
                               _validator(planned)): planned for planned in report.planned}
        try:
            for future in as_completed(futures):
                planned = futures[future]
                try:
                    _write(planned, future.result(), use_model)
                except NewsletterError as error:
                    report.failures.append(str(error))
                else:
                    report.written[planned.path] = planned.names
                done += 1
                if advance:
                    advance(done, total)
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            raise
    return report


def _validator(planned: Planned) -> Callable[[dict[str, Any]], list[str]]:
    from newsletter.entries.models import Paper
    from newsletter.entries.validation import validation_messages

    def valid(fields: dict[str, Any]) -> list[str]:
        merged = {**planned.item.source.data, **fields}
        # Each message starts with the field it is about ('summary is too long ...').
        return [message for message in validation_messages(merged, Paper)
                if re.split(r"[ .\[:]", message, maxsplit=1)[0] in planned.names]

    return valid


def _write(planned: Planned, fields: dict[str, Any], model: str) -> None:
    from newsletter.write.paperedit import add_fields, edit_paper

    data = planned.item.source.data
    generated = list(dict.fromkeys([*data.get("generated", []), *planned.names]))
    values = {**fields, "generated": generated,
              "generated_by": {"model": model, "prompt": planned.prompt.digest}}

    def expected(old: dict[str, Any]) -> dict[str, Any]:
        return {**old, **values}

    edit_paper(planned.path, planned.item.source.text, add_fields(values), expected)
