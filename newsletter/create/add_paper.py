"""``add-paper``: validate a new paper and save it as ``papers/NN-slug.toml``, safely.

The number is chosen and the file created under a lock on the issue directory, and the
file appears whole (hard link of a fsynced temporary file), so two editors adding papers
at once both keep their work and nobody overwrites anybody.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.entries.identity import same_title_key, same_url_key
from newsletter.entries.loading import ISSUE_FILE, PAPERS_DIR, has_issue_file, paper_files
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


def read_metadata(path: Path) -> dict[str, Any]:
    """Paper fields from a TOML or JSON file (an export from another tool, a template)."""
    from newsletter.entries.tomlfile import parse, read_text

    text, problem = read_text(path)
    if text is None:
        assert problem is not None
        raise UsageError(problem.where())
    if path.suffix.lower() == ".json":
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
    return data


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
    if url is not None and same_url_key(url) in urls:
        raise NewsletterError(f"{issue_dir}: a paper with url {url} is already in this issue")
    if title is not None and same_title_key(title) in titles:
        raise NewsletterError(f"{issue_dir}: a paper titled '{title}' is already in "
                              "this issue")


def paper_toml(paper: Paper) -> str:
    import tomli_w

    data = paper.model_dump(mode="python", exclude_defaults=True)
    header = f"# Paper: {paper.short_name or paper.title}\n"
    return header + tomli_w.dumps(data, multiline_strings=True)


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
            urls.add(same_url_key(source.data["url"]))
        if isinstance(source.data.get("title"), str):
            titles.add(same_title_key(source.data["title"]))
    return highest, urls, titles


def save_paper(issue_dir: Path, paper: Paper) -> Path:
    """Write ``paper`` as the issue's next numbered file and return its path."""
    if not has_issue_file(issue_dir):
        raise NewsletterError(f"{issue_dir}: not an issue directory (no {ISSUE_FILE}); "
                              "create one with 'newsletter new-issue'")
    papers_dir = issue_dir / PAPERS_DIR
    try:
        papers_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise WriteError(f"{papers_dir}: cannot create it: {exc.strerror or exc}") from exc
    from newsletter.entries.schema import schema_comment

    text = schema_comment(papers_dir / "paper.toml", "paper") + paper_toml(paper)
    slug = slug_for(paper)
    with directory_lock(issue_dir):
        ensure_new(issue_dir, title=paper.title, url=paper.url)
        number = _existing(issue_dir)[0] + 1
        while True:
            target = papers_dir / f"{number:02d}-{slug}.toml"
            try:
                create_new(target, text)
                return target
            except FileExistsError:
                number += 1  # a writer without the lock (another tool) took the name
