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
    "section": "--section", "group": "--group", "abstract": "--abstract", "notes": "--notes",
}
LIST_FLAGS = {
    "key_innovations": "--innovation", "how_it_works": "--how", "why_it_matters": "--why",
    "risks": "--risk", "limitations": "--limitation", "deployment_notes": "--deployment-note",
    "watch_for": "--watch-for", "use_cases": "--use-case", "pilot_if": "--pilot-if",
    "action_items": "--action-item", "key_findings": "--finding",
    "applications": "--application", "body": "--body", "takeaways": "--takeaway",
    "authors": "--author",
}
OTHER_FLAGS = {"score": "--score", "hidden_gem": "--hidden-gem", "featured": "--not-featured",
               "also_in": "--also-in", "published": "--published", "arxiv_id": "--arxiv",
               "doi": "--doi"}

# Written by 'newsletter draft' alone, never typed: they say what a model wrote.
DRAFT_FIELDS = frozenset({"generated", "generated_by", "score_proposed", "score_rationale"})


def _flag(field: str) -> str:
    return {**TEXT_FLAGS, **LIST_FLAGS, **OTHER_FLAGS}[field]


def _placement(value: str) -> dict[str, str]:
    """``--also-in "Section::Group"`` (the group optional) as an also_in table."""
    section, _, group = value.partition("::")
    return {"section": section.strip(), **({"group": group.strip()} if group.strip() else {})}


def _date(text: str) -> Any:
    import datetime as dt

    from newsletter.errors import UsageError

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--published {text[:40]!a}: not a date (YYYY-MM-DD)") from None


def _show_abstract(fields: dict[str, Any]) -> None:
    """The abstract above the prompts: what the editor's headline and problem come from.
    Fetched text reaches a terminal: shown printable, whatever the server sent."""
    import textwrap

    from newsletter.entries.problems import printable

    if not fields.get("abstract"):
        return
    typer.echo(f"\n{printable(str(fields.get('title', '')))}")
    for paragraph in str(fields["abstract"]).split("\n\n"):
        typer.echo(textwrap.fill(printable(" ".join(paragraph.split())), width=88,
                                 initial_indent="  ", subsequent_indent="  "))
    typer.echo("")


def _described(name: str, label: str) -> str:
    """The field's description, without a lead that repeats its label ("Why it matters:
    'Lead term: explanation' bullets" under the label "why it matters")."""
    from newsletter.entries.models import Paper

    description = Paper.model_fields[name].description or name
    if description.casefold().startswith(label.casefold() + ":"):
        description = description[len(label) + 1:].strip()
    return description


def _ask(name: str, label: str, fields: dict[str, Any]) -> Any:
    """Ask until the answer is valid for the field, so a typo costs one line, not all."""
    from newsletter.entries.models import Paper
    from newsletter.entries.validation import validation_messages

    description = _described(name, label)
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
    for name in missing:
        label = name.replace("_", " ")
        if name not in LIST_FLAGS:
            fields[name] = _ask(name, label, fields)
            continue
        typer.echo(f"{label}: {_described(name, label)} (one per line, empty line to "
                   "finish)")
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
    arxiv: Annotated[str | None, typer.Option(
        "--arxiv", metavar="ID_OR_URL", help="Prefill from arXiv: title, url, authors, "
        "abstract, published, arxiv_id (kept in sources/; other flags win).")] = None,
    doi: Annotated[str | None, typer.Option(
        "--doi", metavar="DOI_OR_URL", help="Prefill from Crossref or doi.org: title, url, "
        "authors, abstract, published, doi (kept in sources/; other flags win).")] = None,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="With --arxiv/--doi: fetch again what sources/ holds.")] = False,
    offline: Annotated[bool, typer.Option(
        "--offline", help="With --arxiv/--doi: never use the network (also "
        "NEWSLETTER_OFFLINE=1); the paper must be in sources/.")] = False,
    title: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills title.")] = None,
    url: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills url.")] = None,
    short_name: Annotated[str | None, typer.Option(
        metavar="TEXT", help="Fills short_name.")] = None,
    headline: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills headline.")] = None,
    problem: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills problem.")] = None,
    solution: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills solution.")] = None,
    results: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills results.")] = None,
    summary: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills summary.")] = None,
    overview: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills overview.")] = None,
    blurb: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills blurb.")] = None,
    section: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills section.")] = None,
    group: Annotated[str | None, typer.Option(metavar="TEXT", help="Fills group.")] = None,
    abstract: Annotated[str | None, typer.Option(
        metavar="TEXT", help="Fills abstract.")] = None,
    notes: Annotated[str | None, typer.Option(
        metavar="TEXT", help="Fills notes (your own, for drafting; never rendered).")] = None,
    author: Annotated[list[str] | None, typer.Option(
        metavar="NAME", help="An item of authors; repeat for more.")] = None,
    published: Annotated[str | None, typer.Option(
        metavar="YYYY-MM-DD", help="Fills published (the paper's date).")] = None,
    innovation: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of key_innovations; repeat for more.")] = None,
    how: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of how_it_works; repeat for more.")] = None,
    why: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of why_it_matters; repeat for more.")] = None,
    risk: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of risks; repeat for more.")] = None,
    limitation: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of limitations; repeat for more.")] = None,
    deployment_note: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of deployment_notes; repeat for more.")] = None,
    watch_for: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of watch_for; repeat for more.")] = None,
    use_case: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of use_cases; repeat for more.")] = None,
    pilot_if: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of pilot_if; repeat for more.")] = None,
    action_item: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of action_items; repeat for more.")] = None,
    finding: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of key_findings; repeat for more.")] = None,
    application: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of applications; repeat for more.")] = None,
    body: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of body; repeat for more.")] = None,
    takeaway: Annotated[list[str] | None, typer.Option(
        metavar="TEXT", help="An item of takeaways; repeat for more.")] = None,
    score: Annotated[float | None, typer.Option(help="Score from 0 to 10.")] = None,
    hidden_gem: Annotated[bool, typer.Option(
        "--hidden-gem", help="Put it in the HIDDEN GEM tier.")] = False,
    not_featured: Annotated[bool, typer.Option(
        "--not-featured", help="A short 'Also Worth Noting' item, not a featured story.")
    ] = False,
    also_in: Annotated[list[str] | None, typer.Option(
        "--also-in", metavar="SECTION[::GROUP]", help="Also list the paper in this section "
        "(and group) of a sectioned issue; repeatable. Fills also_in.")] = None,
) -> None:
    """Add a paper to an issue as papers/NN-slug.toml (the next number).

    Repeatable flags (--why, --risk, --finding, ...) build lists; --from reads the paper's
    own field names (why_it_matters, key_innovations ...); --arxiv or --doi fetches what
    the paper says of itself (title, url, authors, abstract, date), and the other flags
    and --from win over it. Fields the issue's style needs
    and the flags leave out are asked for on a terminal; without one, a draft takes the
    paper and names what is still to write, a published issue refuses it. Refuses a paper
    already in the issue.

    Example: newsletter add-paper issues/012 --title "IndexCache: ..." --url
    https://arxiv.org/abs/2603.00001 --headline "Sparse attention, 75% cheaper" --problem ...
    --solution ... --why "Cost: ..." --risk "..."
    """
    given_text = {"title": title, "url": url, "short_name": short_name, "headline": headline,
                  "problem": problem, "solution": solution, "results": results,
                  "summary": summary, "overview": overview, "blurb": blurb,
                  "section": section, "group": group, "abstract": abstract,
                  "notes": notes}
    given_lists = {"key_innovations": innovation, "how_it_works": how, "why_it_matters": why,
                   "risks": risk, "limitations": limitation,
                   "deployment_notes": deployment_note, "watch_for": watch_for,
                   "use_cases": use_case, "pilot_if": pilot_if, "action_items": action_item,
                   "key_findings": finding, "applications": application, "body": body,
                   "takeaways": takeaway, "authors": author}

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
        # A key named like a flag ("why", "risk") is the flag's field misspelt.
        aliases = {flag.removeprefix("--").replace("-", "_"): field
                   for field, flag in {**TEXT_FLAGS, **LIST_FLAGS}.items()}
        fields: dict[str, Any] = {}
        if arxiv is not None or doi is not None:
            from newsletter.create.import_papers import fetched_fields
            from newsletter.intake.gather import offline_from_environment

            fields.update(fetched_fields(directory, arxiv_source=arxiv, doi_source=doi,
                                         refresh=refresh,
                                         offline=offline or offline_from_environment()))
        if from_file:
            fields.update(read_metadata(from_file, aliases))
        fields.update({k: v for k, v in given_text.items() if v is not None})
        fields.update({k: list(v) for k, v in given_lists.items() if v})
        if score is not None:
            fields["score"] = score
        if published is not None:
            fields["published"] = _date(published)
        if hidden_gem:
            fields["hidden_gem"] = True
        if not_featured:
            fields["featured"] = False
        if also_in:
            fields["also_in"] = [_placement(value) for value in also_in]

        ensure_new(directory, title=fields.get("title"), url=fields.get("url"))
        loaded = load_issue(directory)
        # The issue may still have unfilled fields; its style is read from the raw file.
        chosen, _ = resolve_style(loaded) if loaded.issue_source is not None else (None, [])
        missing = missing_for_style(fields, chosen) if chosen else (
            [] if fields.get("title") else ["title"])
        # In a draft, what the style still needs may come later (check lists it); a title
        # never can: it is what makes the file a paper.
        later = [] if "title" in missing or not loaded.is_draft else missing
        if missing and sys.stdin.isatty():
            _show_abstract(fields)
            _prompt_missing(fields, missing)
        elif missing and not later:
            style_note = f"style '{chosen.name}'" if chosen else "every paper"
            flags = ", ".join(_flag(name) for name in missing)
            raise UsageError(f"missing {flags}: required by {style_note} "
                             "(run in a terminal to be asked for them)")
        path = save_paper(directory, build_paper(fields))
        typer.echo(f"added {path}")
        if later and not sys.stdin.isatty():
            assert chosen is not None
            flags = ", ".join(_flag(name) for name in later)
            typer.echo(f"still to write before the issue is published: {flags} (style "
                       f"'{chosen.name}'; 'newsletter check' lists them until then)", err=True)

    guarded(run)
