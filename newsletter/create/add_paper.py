"""``add-paper``: validate a new paper and save it as ``papers/NN-slug.toml``, safely.

The number is chosen and the file created under a lock on the issue directory, and the
file appears whole (hard link of a fsynced temporary file), so two editors adding papers
at once both keep their work and nobody overwrites anybody.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.entries.identity import link_key, same_text
from newsletter.entries.loading import ISSUE_FILE, PAPERS_DIR, has_issue_file, paper_files
from newsletter.entries.problems import Problem
from newsletter.entries.styles import Style
from newsletter.errors import NewsletterError, UsageError, WriteError
from newsletter.write.atomic import create_new, directory_lock

if TYPE_CHECKING:
    from newsletter.entries.models import Paper

SLUG_MAX = 40
_NUMBER = re.compile(r"^(\d+)-")


def slug_for(paper: Paper) -> str:
    """A short ASCII file-name slug; stable for the same name, never a path."""
    from slugify import slugify

    slug = slugify(paper.short_name or paper.title, max_length=SLUG_MAX, word_boundary=True)
    return slug or "paper"


def missing_for_style(fields: dict[str, Any], style: Style) -> list[str]:
    """Fields the style requires of this paper that ``fields`` leaves empty."""
    required = style.paper_requires(featured=fields.get("featured") is not False)
    return [name for name in required if fields.get(name) in (None, "", [])]


def read_metadata(path: Path, aliases: dict[str, str] | None = None) -> dict[str, Any]:
    """Paper fields from a TOML or JSON file (an export from another tool, a template),
    under the paper's own field names. A wrong type or an unknown key is refused at the
    file's line, as check would report it; ``aliases`` names the field a wrong key
    probably meant (a flag's name, 'why' for 'why_it_matters')."""
    from newsletter.entries.tomlfile import parse, read_text

    text, problem = read_text(path)
    if text is None:
        assert problem is not None
        raise UsageError(problem.where())
    is_json = path.suffix.lower() == ".json"
    if is_json:
        import json

        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise UsageError(f"{path}: invalid JSON: {exc}") from None
    else:
        data, problem = parse(path, text)
        if data is None:
            assert problem is not None
            raise UsageError(problem.where())
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a table (object) of paper fields")
    problems = _field_problems(path, text, data, is_json, aliases or {})
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UsageError(problems[0].where() + more)
    return data


def _field_problems(path: Path, text: str, data: dict[str, Any], is_json: bool,
                    aliases: dict[str, str]) -> list[Problem]:
    """What is wrong with the file's fields (a missing one is not: flags may give it)."""
    from pydantic import ValidationError

    from newsletter.entries.models import Paper
    from newsletter.entries.positions import index_for
    from newsletter.entries.validation import describe

    try:
        Paper.model_validate(data)
        return []
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    index = None if is_json else index_for(text)
    found = []
    for error in errors:
        where, _, message, rule = describe(error, data, Paper)
        if rule == "missing-key":
            continue
        if rule == "unknown-key" and where and str(where[0]) in aliases and len(where) == 1:
            message = f"unknown key '{where[0]}'; did you mean '{aliases[str(where[0])]}'?"
        if is_json:
            line, column = _json_key_position(text, str(where[0]) if where else "")
        else:
            assert index is not None
            spot = index.spot(where) if where else None
            line, column = (1, 1) if spot is None else (
                spot.key if error["type"] == "extra_forbidden" else spot.value)
        found.append(Problem(path, line, column, message, rule))
    return sorted(found, key=lambda problem: (problem.line, problem.column))


def _json_key_position(text: str, key: str) -> tuple[int, int]:
    """Line and column of a top-level key in a JSON text (its first appearance)."""
    import json

    at = text.find(json.dumps(key)) if key else -1
    if at == -1:
        return 1, 1
    before = text[:at]
    return before.count("\n") + 1, at - (before.rfind("\n") + 1) + 1


def build_paper(fields: dict[str, Any]) -> Paper:
    """A validated Paper, or a NewsletterError listing every bad field."""
    from newsletter.entries.models import Paper
    from newsletter.entries.validation import validation_messages

    messages = validation_messages(fields, Paper)
    if messages:
        raise NewsletterError("invalid paper: " + "; ".join(messages))
    return Paper.model_validate(fields)


def ensure_new(issue_dir: Path, *, title: str | None, url: str | None) -> None:
    """Refuse a paper whose url or title is already in the issue (checked again on save)."""
    _, urls, titles = _existing(issue_dir)
    if url is not None and link_key(url) in urls:
        raise NewsletterError(f"{issue_dir}: the paper at {url} is already in this issue "
                              f"({link_key(url)})")
    if title is not None and same_text(title) in titles:
        raise NewsletterError(f"{issue_dir}: a paper titled '{title}' is already in "
                              "this issue")


def paper_toml(paper: Paper) -> str:
    from newsletter.write.tomlwrite import dump_document

    data = paper.model_dump(mode="python", exclude_defaults=True)
    header = f"# Paper: {paper.short_name or paper.title}\n"
    return header + dump_document(data)


def _existing(issue_dir: Path) -> tuple[int, set[str], set[str]]:
    """Highest paper number, and the URLs and titles already in the issue."""
    from newsletter.entries.tomlfile import read_toml

    highest, urls, titles = 0, set(), set()
    for path in paper_files(issue_dir):
        match = _NUMBER.match(path.name)
        if match:
            highest = max(highest, int(match.group(1)))
        # read_toml refuses FIFOs and oversized files, as check does.
        source, _ = read_toml(path)
        if source is None:
            continue
        if isinstance(source.data.get("url"), str):
            urls.add(link_key(source.data["url"]))
        if isinstance(source.data.get("title"), str):
            titles.add(same_text(source.data["title"]))
    return highest, urls, titles


def papers_folder(issue_dir: Path) -> Path:
    """The issue's ``papers/``, made if need be; refused when it leads out of the
    publication (a symbolic link planted there must not make a command write elsewhere
    on the machine) or is not a folder."""
    import os

    from newsletter.entries.loading import find_publication_file, outside, root_of

    if not has_issue_file(issue_dir):
        raise NewsletterError(f"{issue_dir}: not an issue directory (no {ISSUE_FILE}); "
                              "create one with 'newsletter new-issue'")
    publication = find_publication_file(issue_dir)
    papers_dir = issue_dir / PAPERS_DIR
    if outside(papers_dir, root_of(publication.parent if publication else issue_dir)):
        raise NewsletterError(f"{papers_dir}: leads outside the publication (a symbolic "
                              "link); not writing papers there")
    try:
        papers_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise WriteError(f"{papers_dir}: cannot create it: {exc.strerror or exc}") from exc
    if os.path.islink(papers_dir) or not papers_dir.is_dir():
        raise NewsletterError(f"{papers_dir}: is not a folder; the issue's papers live there")
    return papers_dir


@contextlib.contextmanager
def papers_lock(issue_dir: Path) -> Iterator[None]:
    """The lock every writer of an issue's papers holds (add-paper, import): held across
    an import's duplicate check and its last write, so two writers never both find a
    paper new."""
    with directory_lock(issue_dir):
        yield


def save_paper(issue_dir: Path, paper: Paper, *, locked: bool = False) -> Path:
    """Write ``paper`` as the issue's next numbered file and return its path. ``locked``:
    the caller holds ``papers_lock`` already."""
    papers_dir = papers_folder(issue_dir)
    from newsletter.entries.schema import schema_comment

    text = schema_comment(papers_dir / "paper.toml", "paper") + paper_toml(paper)
    slug = slug_for(paper)
    with contextlib.nullcontext() if locked else papers_lock(issue_dir):
        ensure_new(issue_dir, title=paper.title, url=paper.url)
        number = _existing(issue_dir)[0] + 1
        while True:
            target = papers_dir / f"{number:02d}-{slug}.toml"
            try:
                create_new(target, text)
                return target
            except FileExistsError:
                number += 1  # a writer without the lock (another tool) took the name
