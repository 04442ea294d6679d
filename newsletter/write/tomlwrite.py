"""Write entry files as TOML that a person will edit: a comment over each key, keys in order."""

from __future__ import annotations

from typing import Any


def _comment(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.splitlines())


def dump_with_comments(values: dict[str, Any], comments: dict[str, str],
                       header: str = "", commented_out: frozenset[str] = frozenset()) -> str:
    """TOML for ``values`` (top-level keys, then arrays of tables), each after its comment.

    Keys in ``commented_out`` are written as comments: an optional field shown, not set.
    """
    import tomli_w

    chunks: list[str] = [_comment(header)] if header else []
    tables = {k: v for k, v in values.items()
              if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)}
    for key, value in values.items():
        if key in tables:
            continue
        text = tomli_w.dumps({key: value}, multiline_strings=True).rstrip("\n")
        if key in commented_out:
            text = _comment(text)
        chunks.append(f"{_comment(comments[key])}\n{text}" if comments.get(key) else text)
    for key, value in tables.items():
        text = tomli_w.dumps({key: value}, multiline_strings=True).rstrip("\n")
        chunks.append(f"{_comment(comments[key])}\n{text}" if comments.get(key) else text)
    return "\n\n".join(chunks) + "\n"


def dump_document(values: dict[str, Any]) -> str:
    """tomli-w's TOML, except that a list nested in an inline table is indented one level
    deeper than its table, as ``taplo fmt`` writes it: tomli-w restarts the indent inside
    ``{ text = ..., points = [ ... ] }``, and an editor's formatter would rewrite the file.
    """
    import tomli_w

    inline = {key: value for key, value in values.items() if _has_nested_inline(value)}
    if not inline:
        return tomli_w.dumps(values, multiline_strings=True)
    plain = {key: value for key, value in values.items()
             if key not in inline and not _is_table(value)}
    tables = {key: value for key, value in values.items()
              if key not in inline and key not in plain}
    chunks = [tomli_w.dumps({key: value}, multiline_strings=True) if key in plain
              else f"{_key(key)} = {_literal(value, 0)}\n"
              for key, value in values.items() if key not in tables]
    if tables:
        rest = tomli_w.dumps(tables, multiline_strings=True)
        chunks.append("\n" + rest if rest.startswith("[") else rest)
    return "".join(chunks)


def _is_table(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(i, dict) for i in value))


def _has_nested_inline(value: Any) -> bool:
    return (isinstance(value, list) and not _is_table(value)
            and any(isinstance(item, dict) and any(isinstance(v, list) for v in item.values())
                    for item in value))


def _key(key: str) -> str:
    import tomli_w

    return tomli_w.dumps({key: 0}).removesuffix(" = 0\n")


def _literal(value: Any, level: int) -> str:
    import tomli_w

    indent = "    "
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"{indent * (level + 1)}{_literal(item, level + 1)},\n"
                        for item in value)
        return f"[\n{items}{indent * level}]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        pairs = ", ".join(f"{_key(k)} = {_literal(v, level)}" for k, v in value.items())
        return f"{{ {pairs} }}"
    return tomli_w.dumps({"v": value}, multiline_strings=True).removeprefix("v = ").rstrip("\n")
