"""Where a key or value stands in TOML text, found from a real TOML syntax tree.

tomllib/tomli give data without positions, so a validation error's ``loc`` (a path such
as ``("why_it_matters", 2)``) is mapped back to the text here. This only runs when a file
has a problem, so tree-sitter is imported lazily and costs nothing on clean runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

KeyPath = tuple[str | int, ...]
Span = tuple[int, int, int | None, int | None]  # line, column, end line, end column


@dataclass(frozen=True, slots=True)
class Spot:
    """1-based positions of a key (or table header) and of its value, and where each ends:
    the line and the column just past its last character."""

    key: tuple[int, int]
    value: tuple[int, int]
    key_end: tuple[int, int] | None = None
    value_end: tuple[int, int] | None = None

    def span(self, *, value: bool = True) -> Span:
        """Where the value (or the key) starts and ends."""
        start, end = (self.value, self.value_end) if value else (self.key, self.key_end)
        return (*start, *(end or (None, None)))


@cache
def _parser() -> Parser:
    import tree_sitter_toml
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_toml.language()))


# Bytes that continue a UTF-8 character: a column in characters is the column in bytes less
# the continuation bytes before it.
_NOT_CONTINUATION = bytes(b for b in range(256) if not 0x80 <= b < 0xC0)
# A long line's continuation bytes are counted once, in blocks of this many bytes, so that
# the column of any point on it costs one block at most.
_BLOCK = 1024


def _continuations(segment: bytes) -> int:
    return len(segment.translate(None, _NOT_CONTINUATION))


class PositionIndex:
    """Maps key paths to spots for one document; built once per file on demand.

    Only the document's keys and tables are walked at first; an array or inline table is
    walked when a path leads into it. So a problem in an unknown key holding a 1 MB array
    costs one spot, and every spot costs about the same on a line of any length.
    """

    def __init__(self, text: str) -> None:
        raw = text.encode("utf-8")
        self._lines = raw.split(b"\n")
        self._ascii: dict[int, bool] = {}
        self._blocks: dict[int, list[int]] = {}
        self._spots: dict[KeyPath, Spot] = {}
        self._unwalked: dict[KeyPath, Node] = {}  # arrays and inline tables, by key path
        self._array_tables: dict[KeyPath, int] = {}
        tree = _parser().parse(raw)
        self._walk_document(tree.root_node)

    def _point(self, node: Node) -> tuple[int, int]:
        row, byte_col = node.start_point
        return row + 1, self._column(row, byte_col)

    def _end(self, node: Node) -> tuple[int, int]:
        # tree-sitter's end is exclusive, as SARIF's endColumn is: no adjustment.
        row, byte_col = node.end_point
        return row + 1, self._column(row, byte_col)

    def _header_end(self, node: Node) -> tuple[int, int] | None:
        """The end of a [table] or [[array]] header: its closing bracket."""
        closing = next((c for c in node.children if c.type in ("]", "]]")), None)
        return self._end(closing) if closing is not None else None

    def _header(self, node: Node) -> Spot:
        point, end = self._point(node), self._header_end(node)
        return Spot(point, point, end, end)

    def _column(self, row: int, byte_col: int) -> int:
        """The 1-based column in characters of a byte offset into line ``row``, without
        decoding the line up to it each time (which made long lines quadratic)."""
        line = self._lines[row] if row < len(self._lines) else b""
        byte_col = min(byte_col, len(line))
        ascii_only = self._ascii.get(row)
        if ascii_only is None:
            ascii_only = self._ascii[row] = line.isascii()
        if ascii_only:
            return byte_col + 1
        if byte_col <= _BLOCK:
            return byte_col - _continuations(line[:byte_col]) + 1
        blocks = self._blocks.get(row)
        if blocks is None:  # continuation bytes before each block's start
            blocks = [0]
            for start in range(0, len(line), _BLOCK):
                blocks.append(blocks[-1] + _continuations(line[start:start + _BLOCK]))
            self._blocks[row] = blocks
        block = byte_col // _BLOCK
        return (byte_col - blocks[block]
                - _continuations(line[block * _BLOCK:byte_col]) + 1)

    def _key_parts(self, node: Node) -> list[str]:
        if node.type == "dotted_key":
            parts: list[str] = []
            for child in node.named_children:
                parts.extend(self._key_parts(child))
            return parts
        text = (node.text or b"").decode("utf-8", errors="replace")
        if node.type == "quoted_key":
            import tomli

            try:
                return [next(iter(tomli.loads(f"{text} = 0")))]
            except tomli.TOMLDecodeError:
                return [text.strip("\"'")]
        return [text]

    def _walk_document(self, root: Node) -> None:
        prefix: KeyPath = ()
        for node in root.named_children:
            if node.type == "pair":
                self._walk_pair(node, ())
            elif node.type in ("table", "table_array_element"):
                key_node = next((c for c in node.named_children if c.type.endswith("key")), None)
                if key_node is None:
                    continue
                header: KeyPath = tuple(self._key_parts(key_node))
                if node.type == "table_array_element":
                    index = self._array_tables.get(header, 0)
                    self._array_tables[header] = index + 1
                    self._remember(header, self._header(node))
                    prefix = (*header, index)
                else:
                    prefix = header
                self._remember(prefix, self._header(node))
                for child in node.named_children:
                    if child.type == "pair":
                        self._walk_pair(child, prefix)

    def _remember(self, path: KeyPath, spot: Spot) -> None:
        self._spots.setdefault(path, spot)

    def _walk_pair(self, pair: Node, prefix: KeyPath) -> None:
        children = pair.named_children
        if len(children) < 2:
            return
        key_node, value_node = children[0], children[-1]
        parts = self._key_parts(key_node)
        key_point, key_end = self._point(key_node), self._end(key_node)
        # A dotted key 'a.b = 1' also stands for the table 'a'.
        for end in range(1, len(parts)):
            self._remember((*prefix, *parts[:end]), Spot(key_point, key_point, key_end, key_end))
        path = (*prefix, *parts)
        self._remember(path, Spot(key_point, self._point(value_node), key_end,
                                  self._end(value_node)))
        self._walk_value(value_node, path)

    def _walk_value(self, node: Node, path: KeyPath) -> None:
        if node.type in ("array", "inline_table"):
            self._unwalked.setdefault(path, node)

    def _walk_items(self, node: Node, path: KeyPath) -> None:
        if node.type == "array":
            for index, element in enumerate(node.named_children):
                element_path = (*path, index)
                point, end = self._point(element), self._end(element)
                self._remember(element_path, Spot(point, point, end, end))
                self._walk_value(element, element_path)
        else:
            for child in node.named_children:
                if child.type == "pair":
                    self._walk_pair(child, path)

    def spot(self, path: KeyPath) -> Spot | None:
        """The spot of the longest prefix of ``path`` found in the document."""
        # Walk, outermost first, the arrays and inline tables the path leads into.
        for end in range(1, len(path)):
            node = self._unwalked.pop(path[:end], None)
            if node is not None:
                self._walk_items(node, path[:end])
        for end in range(len(path), 0, -1):
            found = self._spots.get(path[:end])
            if found is not None:
                return found
        return None


def _child(current: Any, part: Any) -> tuple[bool, Any]:
    if isinstance(current, dict) and isinstance(part, str) and part in current:
        return True, current[part]
    if (isinstance(current, list) and isinstance(part, int) and not isinstance(part, bool)
            and 0 <= part < len(current)):
        return True, current[part]
    return False, None


def resolve(data: Any, loc: tuple[Any, ...]) -> KeyPath:
    """Follow a pydantic ``loc`` through the parsed data as far as the data goes.

    Parts of ``loc`` that name no data (union tags, validator names, a missing key) are
    skipped, so the result is always a path that exists in the document.
    """
    path: list[str | int] = []
    current = data
    for part in loc:
        found, child = _child(current, part)
        if found:
            current = child
            path.append(part)
    return tuple(path)


def dotted(path: KeyPath) -> str:
    """``("why_it_matters", 2, "points")`` → ``why_it_matters[2].points``.

    A key that would read as more than one part (``"api.secret.token"``, ``"a[0]"``) is
    shown quoted, as TOML spells it: one key, not the table path ``api.secret.token``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        if not part or any(char in part for char in '.[]"'):
            part = '"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out += f".{part}" if out else part
    return out


@lru_cache(maxsize=32)
def index_for(text: str) -> PositionIndex:
    """One index per document text, reused by every problem found in it."""
    return PositionIndex(text)


def locate(text: str, path: KeyPath, *, value: bool = True) -> tuple[int, int]:
    """Line and column of the value (or key) at ``path``; the file's start if not found."""
    spot = index_for(text).spot(path) if path else None
    if spot is None:
        return 1, 1
    return spot.value if value else spot.key


def span(text: str, path: KeyPath, *, value: bool = True) -> Span:
    """``locate``, with where the value (or key) ends when it is found."""
    spot = index_for(text).spot(path) if path else None
    if spot is None:
        return 1, 1, None, None
    return spot.span(value=value)
