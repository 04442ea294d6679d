"""JSON Schema of the entry files, generated from the models, for editors and tools."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

KINDS = ("paper", "issue", "publication")
SCHEMA_DIR = "schemas"


def _without_null(node: Any) -> Any:
    """TOML has no null: an optional field is one you leave out, so drop 'null' options."""
    if isinstance(node, list):
        return [_without_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _without_null(value) for key, value in node.items()}
    options = node.get("anyOf")
    if isinstance(options, list):
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1:
            del node["anyOf"]
            node.update(kept[0])
        else:
            node["anyOf"] = kept
    if node.get("default", 0) is None:
        del node["default"]
    return node


def schema_for(kind: str) -> dict[str, Any]:
    from newsletter.entries.models import MODELS

    schema = _without_null(MODELS[kind].model_json_schema(mode="validation"))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"{kind}.schema.json"
    return schema


def schema_json(kind: str) -> str:
    return json.dumps(schema_for(kind), indent=2, ensure_ascii=False) + "\n"


def schema_comment(target: Path, kind: str) -> str:
    """``#:schema`` line for a file written at ``target``, if its publication has schemas.

    Taplo (Even Better TOML) reads it and gives completion and inline errors.
    """
    from newsletter.entries.loading import find_publication_file

    publication = find_publication_file(target.parent)
    if publication is None:
        return ""
    schema = publication.parent / SCHEMA_DIR / f"{kind}.schema.json"
    if not schema.is_file():
        return ""
    relative = Path(os.path.relpath(schema, target.parent.resolve())).as_posix()
    return f"#:schema {relative}\n"
