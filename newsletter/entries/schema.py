"""JSON Schema of the entry files, generated from the models, for editors and tools.

The models say what a field is; what the publication has (its styles) and what ``check``
knows (its rule ids) are added here, so an editor flags ``style = "weekley"`` or a
misspelt rule under ``[check.rules]`` as you type, as ``check`` would.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

KINDS = ("paper", "issue", "publication")
SCHEMA_DIR = "schemas"
_SURROGATE = re.compile("[\ud800-\udfff]")


def schema_id(kind: str) -> str:
    """An absolute URI naming the schema (Taplo refuses a relative ``$id``): a URN, since
    each publication's schemas differ (its own styles) and none is published anywhere."""
    from newsletter import DISTRIBUTION, __version__

    return f"urn:{DISTRIBUTION}:{__version__}:{kind}.schema.json"


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


def _resolved(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or the ``$defs`` entry its local ``$ref`` points at."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: dict[str, Any] = schema["$defs"][ref.removeprefix("#/$defs/")]
        return resolved
    return node


def _add_styles(schema: dict[str, Any], styles: Iterable[str]) -> None:
    """``style`` (of an issue, of the publication) names one of the publication's styles."""
    from newsletter.entries.models import LINE_FORBIDDEN

    if "style" not in schema["properties"]:
        return
    # A style is a folder name. One with a control character (json.dumps would print it
    # raw, to a terminal) or bytes that are not UTF-8 (read as lone surrogates, which
    # would make the schema file unreadable) is no name a TOML string can hold.
    schema["properties"]["style"]["enum"] = sorted(
        {name for name in styles
         if not LINE_FORBIDDEN.search(name) and not _SURROGATE.search(name)})


def _add_check_keys(schema: dict[str, Any]) -> None:
    """[check.rules] lists each configurable rule (completion, hover text, and a misspelt
    id is an error); [check.budgets] and [check.counts] keys name paper fields."""
    # check/ is a later stage than entries/; its rule table imports nothing heavy.
    from newsletter.check.rules import RULES
    from newsletter.entries.models import MODELS

    check = _resolved(schema, schema["properties"]["check"])["properties"]
    rules = check["rules"]
    level = rules.pop("additionalProperties")
    rules["properties"] = {
        rule.id: {**level, "default": rule.severity.value,
                  "description": f"{rule.summary} Default: {rule.severity.value}."}
        for rule in RULES.values() if rule.configurable}
    rules["additionalProperties"] = False
    fields = sorted(MODELS["paper"].model_fields)
    check["budgets"]["propertyNames"] = {
        "pattern": f"^({'|'.join(map(re.escape, fields))})_(words|sentences)$"}
    check["counts"]["propertyNames"] = {"enum": fields}


def schema_for(kind: str, styles: Iterable[str]) -> dict[str, Any]:
    """The schema of ``kind``, for a publication whose style names are ``styles`` (see
    ``entries.styles.styles_of``)."""
    from newsletter.entries.models import MODELS

    schema = _without_null(MODELS[kind].model_json_schema(mode="validation"))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = schema_id(kind)
    _add_styles(schema, styles)
    if kind == "publication":
        _add_check_keys(schema)
    return schema


def schema_json(kind: str, styles: Iterable[str]) -> str:
    return json.dumps(schema_for(kind, styles), indent=2, ensure_ascii=False) + "\n"


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
