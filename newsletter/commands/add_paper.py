"""``newsletter add-paper``: a paper from flags, a metadata file, or prompts on a terminal."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from newsletter.commands.common import guarded

# Each flag and the paper field it fills. Kept here (not derived from the model) so that
# '--help' needs no pydantic; a test checks that every Paper field has its flag.
TEXT_FLAGS = {
    "title": "--title", "url": "--url", "short_name": "--short-name", "headline": "--headline",
    "problem": "--problem", "solution": "--solution", "results": "--results",
    "summary": "--summary", "overview": "--overview", "blurb": "--blurb",
    "section": "--section", "group": "--group",
}
LIST_FLAGS = {
    "key_innovations": "--innovation", "how_it_works": "--how", "why_it_matters": "--why",
    "risks": "--risk", "limitations": "--limitation", "deployment_notes": "--deployment-note",
    "watch_for": "--watch-for", "use_cases": "--use-case", "pilot_if": "--pilot-if",
    "action_items": "--action-item", "key_findings": "--finding",
    "applications": "--application", "body": "--body", "takeaways": "--takeaway",
}
OTHER_FLAGS = {"score": "--score", "hidden_gem": "--hidden-gem", "featured": "--not-featured"}

_Text = Annotated[str | None, typer.Option()]
_List = Annotated[list[str] | None, typer.Option()]


def _flag(field: str) -> str:
    return {**TEXT_FLAGS, **LIST_FLAGS, **OTHER_FLAGS}[field]


def _ask(name: str, label: str, fields: dict[str, Any]) -> Any:
    """Ask until the answer is valid for the field, so a typo costs one line, not all."""
    from newsletter.entries.models import Paper
    from newsletter.entries.validation import validation_messages

    description = Paper.model_fields[name].description or name
    while True:
        if name == "score":
            answer: Any = typer.prompt(f"{label} ({description})", type=float)
        else:
            answer = typer.prompt(f"{label} ({description})").strip()
        trial = {"title": "x", **fields, name: answer}
        problems = [m for m in validation_messages(trial, Paper) if m.startswith(name)]
        if not problems:
            return answer
        typer.echo(f"  {problems[0]}; try again", err=True)


def _prompt_missing(fields: dict[str, Any], missing: list[str]) -> None:
    """Ask for each missing field on the terminal; a list ends at an empty answer."""
    from newsletter.entries.models import Paper

    for name in missing:
        label = name.replace("_", " ")
        if name not in LIST_FLAGS:
            fields[name] = _ask(name, label, fields)
            continue
        description = Paper.model_fields[name].description or name
        typer.echo(f"{label}: {description} (one per line, empty line to finish)")
        items: list[str] = []
        while True:
            item = typer.prompt(f"  {label} #{len(items) + 1}", default="",
                                show_default=False).strip()
            if item:
                items.append(item)
            elif items:
                break
            else:  # the style requires at least one
                typer.echo(f"  {label} needs at least one item", err=True)
        fields[name] = items


def add_paper(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The issue directory.")],
    from_file: Annotated[Path | None, typer.Option(
        "--from", help="Read paper fields from a TOML or JSON file; flags override them.")
    ] = None,
    title: _Text = None, url: _Text = None, short_name: _Text = None, headline: _Text = None,
    problem: _Text = None, solution: _Text = None, results: _Text = None,
    summary: _Text = None, overview: _Text = None, blurb: _Text = None,
    section: _Text = None, group: _Text = None,
    innovation: _List = None, how: _List = None, why: _List = None, risk: _List = None,
    limitation: _List = None, deployment_note: _List = None, watch_for: _List = None,
    use_case: _List = None, pilot_if: _List = None, action_item: _List = None,
    finding: _List = None, application: _List = None, body: _List = None,
    takeaway: _List = None,
    score: Annotated[float | None, typer.Option(help="Score from 0 to 10.")] = None,
    hidden_gem: Annotated[bool, typer.Option(
        "--hidden-gem", help="Put it in the HIDDEN GEM tier.")] = False,
    not_featured: Annotated[bool, typer.Option(
        "--not-featured", help="A short 'Also Worth Noting' item, not a featured story.")
    ] = False,
) -> None:
    """Add a paper to an issue as papers/NN-slug.toml (the next number).

    Repeatable flags (--why, --risk, --finding, ...) build lists. Fields the issue's style
    requires and the flags leave out are asked for on a terminal; without a terminal the
    command fails and lists them. Refuses a paper whose url or title is already in the issue.

    Example: newsletter add-paper issues/012 --title "IndexCache: ..." --url
    https://arxiv.org/abs/2603.00001 --headline "Sparse attention, 75% cheaper" --problem ...
    --solution ... --why "Cost: ..." --risk "..."
    """
    given_text = {"title": title, "url": url, "short_name": short_name, "headline": headline,
                  "problem": problem, "solution": solution, "results": results,
                  "summary": summary, "overview": overview, "blurb": blurb,
                  "section": section, "group": group}
    given_lists = {"key_innovations": innovation, "how_it_works": how, "why_it_matters": why,
                   "risks": risk, "limitations": limitation,
                   "deployment_notes": deployment_note, "watch_for": watch_for,
                   "use_cases": use_case, "pilot_if": pilot_if, "action_items": action_item,
                   "key_findings": finding, "applications": application, "body": body,
                   "takeaways": takeaway}

    def run() -> None:
        from newsletter.check.issue import resolve_style
        from newsletter.create.add_paper import (
            build_paper,
            ensure_new,
            missing_for_style,
            read_metadata,
            save_paper,
        )
        from newsletter.entries.loading import ISSUE_FILE, has_issue_file, load_issue
        from newsletter.errors import UsageError

        if not has_issue_file(directory):
            raise UsageError(f"{directory}: not an issue directory (no {ISSUE_FILE}); "
                             "create one with 'newsletter new-issue'")
        fields: dict[str, Any] = read_metadata(from_file) if from_file else {}
        fields.update({k: v for k, v in given_text.items() if v is not None})
        fields.update({k: list(v) for k, v in given_lists.items() if v})
        if score is not None:
            fields["score"] = score
        if hidden_gem:
            fields["hidden_gem"] = True
        if not_featured:
            fields["featured"] = False

        ensure_new(directory, title=fields.get("title"), url=fields.get("url"))
        loaded = load_issue(directory)
        # The issue may still have unfilled fields; its style is read from the raw file.
        chosen, _ = resolve_style(loaded) if loaded.issue_source is not None else (None, [])
        missing = missing_for_style(fields, chosen) if chosen else (
            [] if fields.get("title") else ["title"])
        if missing and sys.stdin.isatty():
            _prompt_missing(fields, missing)
        elif missing:
            style_note = f"style '{chosen.name}'" if chosen else "every paper"
            flags = ", ".join(_flag(name) for name in missing)
            raise UsageError(f"missing {flags}: required by {style_note} "
                             "(run in a terminal to be asked for them)")
        path = save_paper(directory, build_paper(fields))
        typer.echo(f"added {path}")

    guarded(run)
