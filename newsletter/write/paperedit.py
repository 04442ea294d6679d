"""Changing a paper file the editor may have written by hand, keeping what they wrote.

``newsletter draft`` adds fields and ``newsletter review`` removes names from
``generated``: both edit the file through tomlkit, which keeps the editor's comments, order
and spacing, rather than rewriting it from the parsed data. New values are written as
add-paper writes them (``tomlwrite.dump_document``), and before anything replaces the file
the new text is parsed back and must hold exactly the intended data and still be a valid
paper; then it is written atomically (a reader sees the old file or the new, never half).
The file must still be what was read: an editor saving meanwhile is not overwritten. That
look and the write happen under the issue's lock (the one add-paper and import hold), so
two of newsletter's own writers, a draft and a review say, cannot both pass the look and
the later write lose the earlier one's edit.
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
    text was ``original`` (as the loader decoded it: no byte-order mark, line ends as they
    are); ``expected`` gives, from the old data, the data the new text must parse to.
    Returns the new text, once written (with the file's byte-order mark and line ends)."""
    import tomlkit

    from newsletter.entries.models import Paper
    from newsletter.entries.validation import validation_messages
    from newsletter.write.atomic import directory_lock

    shown = _shown(path)
    try:
        document = tomlkit.parse(original)
        change(document)
        text = tomlkit.dumps(document)
    except Exception as exc:  # tomlkit refusing what the loader took: refuse the edit
        raise WriteError(f"{shown}: cannot be edited in place ({type(exc).__name__}); not "
                         "written") from None
    if "\r\n" in original and "\n" not in original.replace("\r\n", ""):
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")  # the file's line ends
    try:
        old = tomllib.loads(original)
        new = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # newsletter's own bug if it happens: refuse
        raise WriteError(f"{shown}: the edited file would not be TOML ({exc}); not written") \
            from None
    if new != expected(old):
        raise WriteError(f"{shown}: the edited file would not hold what was meant; not "
                         "written")
    messages = validation_messages(new, Paper)
    if messages:
        raise NewsletterError(f"{shown}: the edited paper would not be valid: {messages[0]}")
    # The folder (the paper is in its papers/), as add-paper's papers_lock takes it.
    with directory_lock(path.parent.parent):
        _replace_if_unchanged(path, original, text)
    return text


def _replace_if_unchanged(path: Path, original: str, text: str) -> None:
    from newsletter.entries.tomlfile import MAX_FILE_BYTES, read_bytes
    from newsletter.write.atomic import write_atomic

    shown = _shown(path)
    raw, problem = read_bytes(path)  # read as the loader reads: a link out, a FIFO refused
    if raw is None:
        raise WriteError(f"{shown}: cannot read it again: "
                         f"{problem.message if problem else 'unreadable'}")
    bom = _BOM if raw.startswith(_BOM) else b""
    try:
        current = raw.removeprefix(bom).decode("utf-8")
    except UnicodeDecodeError:
        current = None
    if current != original:
        raise ChangedMeanwhile(f"{shown}: changed on disk meanwhile; not overwritten (run "
                               "again)")
    try:
        size = len(bom) + len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise NewsletterError(f"{shown}: the edited paper would hold text that is not "
                              "UTF-8; not written") from None
    if size > MAX_FILE_BYTES:
        raise NewsletterError(f"{shown}: the edited paper would be {size:,} bytes, more than "
                              f"an entry may be ({MAX_FILE_BYTES:,}); not written")
    write_atomic(path, bom + text.encode("utf-8"))


_BOM = "\ufeff".encode()


def _shown(path: Path) -> str:
    from newsletter.entries.problems import display_path

    return display_path(path)


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
