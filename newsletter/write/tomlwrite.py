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
