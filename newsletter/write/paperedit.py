"""Changing a paper file the editor may have written by hand, keeping what they wrote.

``newsletter draft`` adds fields and ``newsletter review`` removes names from
``generated``: both edit the file through tomlkit, which keeps the editor's comments, order
and spacing, rather than rewriting it from the parsed data. New values are written as
add-paper writes them (``tomlwrite.dump_document``), and before anything replaces the file
the new text is parsed back and must hold exactly the intended data and still be a valid
paper; then it is written atomically (a reader sees the old file or the new, never half).
The file must still be what was read: an editor saving meanwhile is not overwritten.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsletter.errors import NewsletterError, WriteError


class ChangedMeanwhile(NewsletterError):
    """The file changed on disk between reading and writing it."""


def edit_paper(path: Path, original: str, change: Callable[[dict[str, Any]], None],
               expected: Callable[[dict[str, Any]], dict[str, Any]]) -> str:
    """Apply ``change`` (which edits a tomlkit document in place) to the paper file whose
    text was ``original``; ``expected`` gives, from the old data, the data the new text
    must parse to. Returns the new text, once written."""
    import tomlkit

    from newsletter.entries.models import Paper
    from newsletter.entries.validation import validation_messages
    from newsletter.write.atomic import write_atomic

    document = tomlkit.parse(original)
    change(document)
    text = tomlkit.dumps(document)
    old = tomllib.loads(original)
    try:
        new = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # newsletter's own bug if it happens: refuse
        raise WriteError(f"{path}: the edited file would not be TOML ({exc}); not written") \
            from None
    if new != expected(old):
        raise WriteError(f"{path}: the edited file would not hold what was meant; not "
                         "written")
    messages = validation_messages(new, Paper)
    if messages:
        raise NewsletterError(f"{path}: the edited paper would not be valid: {messages[0]}")
    try:
        current = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WriteError(f"{path}: cannot read it again: {exc.strerror or exc}") from exc
    if current != original:
        raise ChangedMeanwhile(f"{path}: changed on disk meanwhile; not overwritten (run "
                               "again)")
    write_atomic(path, text)
    return text


def add_fields(values: dict[str, Any]) -> Callable[[Any], None]:
    """A change that sets top-level ``values`` (written as add-paper writes them)."""
    import tomlkit

    from newsletter.write.tomlwrite import dump_document

    def change(document: Any) -> None:
        written = tomlkit.parse(dump_document(values))
        for key in values:
            if key in document:
                del document[key]
            document[key] = written[key]

    return change


def remove_keys(keys: list[str]) -> Callable[[Any], None]:
    def change(document: Any) -> None:
        for key in keys:
            if key in document:
                del document[key]

    return change
