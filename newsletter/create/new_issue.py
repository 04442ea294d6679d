"""``new-issue``: create an issue directory whose issue.toml carries its style's fields."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

from newsletter.entries.loading import ISSUE_FILE, PAPERS_DIR, publication_defaults
from newsletter.entries.styles import Style
from newsletter.errors import NewsletterError, UsageError, WriteError
from newsletter.write.atomic import create_new, directory_lock
from newsletter.write.tomlwrite import dump_with_comments


def _placeholder(name: str, annotation_is_list: bool) -> Any:
    if name == "sections":
        return [{"title": "", "intro": ""}]
    return [] if annotation_is_list else ""


def issue_toml(style: Style, number: int, date: dt.date, title: str | None,
               publication_name: str | None) -> str:
    """The text of a new issue.toml: masthead values set, the style's text fields to fill."""
    from newsletter.entries.models import Issue

    fields = Issue.model_fields
    values: dict[str, Any] = {"style": style.name, "number": number, "date": date}
    if title:
        values["title"] = title
    values["status"] = "draft"
    # Required fields get an empty value, which 'check' reports at its line until filled;
    # optional ones the style shows are written commented out, ready to enable.
    wanted = [n for n in fields if n in style.requires_issue or n in style.offers_issue]
    comments = {name: field.description or "" for name, field in fields.items()}
    optional: set[str] = set()
    for name in wanted:
        if name in values:
            continue
        is_list = fields[name].default_factory is not None
        values[name] = _placeholder(name, is_list)
        if name in style.requires_issue:
            comments[name] = f"{comments[name]} (required by '{style.name}')"
        else:
            comments[name] = f"{comments[name]} (optional)"
            optional.add(name)
    owner = f" of {publication_name}" if publication_name else ""
    header = (f"Issue {number}{owner}, in the '{style.name}' house style.\n"
              "Fill in the empty fields, add papers with `newsletter add-paper`, "
              "then run `newsletter check`.")
    return dump_with_comments(values, comments, header, frozenset(optional))


def next_issue_number(directory: Path) -> int:
    """One more than the highest-numbered sibling issue, or 1."""
    from newsletter.entries.tomlfile import read_toml

    highest = 0
    parent = directory.resolve().parent
    if parent.is_dir():
        for sibling in parent.iterdir():
            path = sibling / ISSUE_FILE
            if not path.is_file():
                continue
            # Read as check reads it (size, FIFO and encoding guards): a sibling's issue.toml
            # is a file of the publication, not to be trusted.
            source, _ = read_toml(path)
            number = source.data.get("number") if source is not None else None
            if isinstance(number, int) and not isinstance(number, bool):
                highest = max(highest, number)
    return highest + 1


def new_issue(directory: Path, style: Style, *, number: int | None, date: dt.date,
              title: str | None) -> Path:
    """Create ``directory`` (or fill an empty one) with issue.toml and papers/.

    Without a ``number``, the next one is chosen under a lock on the folder of issues, so
    two editors starting issues at once get two numbers, not one twice."""
    from newsletter.entries.models import Issue
    from newsletter.entries.validation import validation_messages

    if number is not None and number < 1:
        raise UsageError("--number must be 1 or more")
    if title is not None:
        messages = validation_messages({"number": number or 1, "date": date, "title": title},
                                       Issue)
        if messages:
            raise UsageError("--" + "; ".join(messages))
    target = directory / ISSUE_FILE
    if target.exists():
        raise NewsletterError(f"{target}: already exists; not overwriting it")
    if directory.exists() and not directory.is_dir():
        raise NewsletterError(f"{directory}: exists and is not a directory")
    name = publication_defaults(directory).get("name")
    publication_name = name if isinstance(name, str) else None
    parent = directory.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"{parent}: cannot create it: {exc.strerror or exc}") from exc
    with directory_lock(parent):
        chosen = number if number is not None else next_issue_number(directory)
        return _create(directory, target, issue_toml(style, chosen, date, title,
                                                     publication_name))


def _create(directory: Path, target: Path, body: str) -> Path:
    from newsletter.entries.schema import schema_comment

    text = schema_comment(target, "issue") + body
    # Folders this call creates are removed again if the write fails: nothing half-made.
    created = [folder for folder in (directory, directory / PAPERS_DIR) if not folder.exists()]
    try:
        (directory / PAPERS_DIR).mkdir(parents=True, exist_ok=True)
        create_new(target, text)
    except FileExistsError:
        raise NewsletterError(f"{target}: already exists; not overwriting it") from None
    except (OSError, WriteError) as exc:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, WriteError):
            raise
        raise WriteError(f"{directory}: cannot create it: {exc.strerror or exc}") from exc
    return target
