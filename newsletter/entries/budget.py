"""How much one entry file may hold, so that any file check accepts checks and renders fast.

The field caps (``models.LINE_MAX`` ...) bound one value and ``tomlfile.MAX_FILE_BYTES`` the
bytes; these two bound what makes rendering slow across a file's many values. Plain text is
cheap in any amount (it takes a shortcut around the Markdown parser). What costs is

* list items: each is a turn of a template loop in every format, and its own Markdown
  parse (150,000 one-letter bullets in one 750 KB paper rendered as email in ~4 s);
* Markdown markup characters: CommonMark matches brackets and emphasis delimiters one by
  one, ~10-35 µs each in markdown-it, so 400 bullets of 2,000 '[' each took 13 s.

A real paper holds tens of list items and a few hundred markup characters; the caps are
far above that and keep the worst accepted file at a few tenths of a second per format
(tests/test_hostile_volume.py holds that).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_LIST_ITEMS = 1_000
MAX_MARKUP_CHARACTERS = 10_000
# The characters that can start inline Markdown (escapes, code, emphasis, links, images,
# autolinks, entities, strikethrough) or that HTML escapes; render.safehtml takes the
# parser's shortcut for text without them.
MARKUP_CHARACTERS = "\\`*_[]<>!&~"
_MARKUP_BYTES = MARKUP_CHARACTERS.encode()


def markup_in(text: str) -> int:
    """How many Markdown markup characters ``text`` holds."""
    encoded = text.encode("utf-8", "surrogatepass")  # one C pass deletes them all: fastest
    return len(encoded) - len(encoded.translate(None, _MARKUP_BYTES))


def may_exceed(text: str) -> tuple[bool, bool]:
    """Whether a file of this text may hold too much markup, and too many list items. Its
    values hold no more markup characters than the file does, and a list of n items is
    written with n - 1 commas and a '[': a file within both (every real one) needs no walk
    of its values, which would cost as much as validating them. A few microseconds."""
    return (markup_in(text) > MAX_MARKUP_CHARACTERS,
            text.count(",") + text.count("[") > MAX_LIST_ITEMS)


def _values(data: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every value with its path (as pydantic's ``loc``), depth first, in the file's order."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        yield path, value
        if isinstance(value, dict):
            stack.extend(reversed([((*path, key), item) for key, item in value.items()]))
        elif isinstance(value, list):
            stack.extend(reversed([((*path, index), item) for index, item in enumerate(value)]))


# A paper's plain text, never rendered as Markdown (its own length caps bound it): no
# renderer time to protect, so its '<' and '*' do not count against the cap.
NEVER_RENDERED = frozenset({"abstract", "notes"})


def too_much_markup(data: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
    """The path of the text that takes the file over ``MAX_MARKUP_CHARACTERS``, and the
    message; None within the cap. Meant to run before validation, whose link check parses
    Markdown: refused text costs a parse as well."""
    markup = 0
    for path, value in _values(data):
        if isinstance(value, str) and not (path and path[0] in NEVER_RENDERED):
            markup += markup_in(value)
            if markup > MAX_MARKUP_CHARACTERS:
                return path, (f"takes the file over {MAX_MARKUP_CHARACTERS:,} Markdown markup "
                              f"characters ({' '.join(MARKUP_CHARACTERS)}) in all; a file "
                              "with more is too slow to render: split it or use less markup")
    return None


def too_many_items(data: dict[str, Any]) -> tuple[tuple[Any, ...], str] | None:
    """The path of the first list item over ``MAX_LIST_ITEMS`` in the file, and the
    message; None within the cap."""
    items = 0
    for path, value in _values(data):
        if isinstance(value, list):
            items += len(value)
            if items > MAX_LIST_ITEMS:
                return (*path, len(value) - (items - MAX_LIST_ITEMS)), (
                    f"takes the file over {MAX_LIST_ITEMS:,} list items in all; a file with "
                    "more is too slow to render: split it or shorten its lists")
    return None
