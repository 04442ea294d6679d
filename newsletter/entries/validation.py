"""Validate parsed TOML against a model and turn pydantic's errors into Problems.

Each problem points at the offending key or value in the file and says, in words an
editor can act on, what to write instead.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import TYPE_CHECKING, Any, TypeVar

from newsletter.entries.budget import may_exceed, too_many_items, too_much_markup
from newsletter.entries.positions import dotted, index_for, resolve
from newsletter.entries.problems import Problem
from newsletter.entries.tomlfile import Source

if TYPE_CHECKING:
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")

_TYPE_HINTS = {
    "string_type": "must be text in quotes",
    "int_type": "must be a whole number without quotes",
    "float_type": "must be a number without quotes, e.g. 8.2",
    "bool_type": "must be true or false, without quotes",
    "date_type": "must be a date without quotes, e.g. 2026-04-19",
    "list_type": 'must be a list, e.g. ["first", "second"]',
    "model_type": "must be a table",
    "dict_type": "must be a table",
    "finite_number": "must be a finite number (nan and inf are not allowed)",
}


def _known_fields(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """Field names valid at ``path`` (for 'did you mean' suggestions)."""
    from pydantic import BaseModel

    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if isinstance(current, type) else None
        if field is None:
            return []
        current = _inner_model(field.annotation)
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    """The pydantic model inside ``list[X]``, ``X | None`` or a tagged union, if any."""
    import typing

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _message(error: dict[str, Any], key: str, model: type[BaseModel],
             parent: tuple[Any, ...]) -> tuple[str, str]:
    kind = error["type"]
    if kind in ("missing", "extra_forbidden"):
        # The key itself, as its text, not the last dot-separated piece of the dotted path:
        # the quoted key "api.secret.token" is one key, and splitting ``key`` would report
        # 'token'. Its text, unquoted, is what the message has always shown for a key
        # ('gain%', not '"gain%"'); the position points at it. Control characters in it
        # are escaped where the message is printed (Problem.as_text, the report formats).
        last = error["loc"][-1] if error["loc"] else key
        name = last if isinstance(last, str) else key
        if kind == "missing":
            return f"missing required key '{name}'", "missing-key"
        close = (difflib.get_close_matches(last, _known_fields(model, parent), n=1, cutoff=0.6)
                 if isinstance(last, str) else [])
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown key '{name}'{hint}", "unknown-key"
    if kind == "date_type" and isinstance(error.get("input"), dt.datetime):
        return f"{key} must be a date without a time, e.g. 2026-04-19", "wrong-type"
    if kind in _TYPE_HINTS:
        return f"{key} {_TYPE_HINTS[kind]}", "wrong-type"
    if kind in ("string_too_long", "too_long"):
        limit = error.get("ctx", {}).get("max_length")
        unit = "characters" if kind == "string_too_long" else "items"
        return f"{key} is too long (at most {limit} {unit})", "too-long"
    if kind in ("too_short", "string_too_short"):
        return f"{key} must not be empty", "invalid-value"
    if kind == "string_pattern_mismatch":
        from newsletter.entries import models

        pattern = error.get("ctx", {}).get("pattern")
        shapes = {
            models.HTTP_URL: "must be an http:// or https:// URL",
            models.SINGLE_LINE: "must be a single line",
            models.ARXIV_ID: "must be an arXiv id as arXiv writes it: '2604.01234v2', "
                             "'2604.01234' or 'hep-th/9901001'",
            models.DOI: "must be a DOI in lower case: '10.1145/3712345.3712346'",
            models.CONTACT: "must be a plain e-mail address: 'editor@example.com'",
            models.PROMPT_HASH: "must be 'sha256:' and 64 hexadecimal digits",
        }
        return f"{key} {shapes.get(pattern, 'is not in the form this field takes')}", \
            "invalid-value"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = next(iter(error.get("ctx", {}).values()), "")
        word = {"greater_than_equal": "at least", "less_than_equal": "at most",
                "greater_than": "more than", "less_than": "less than"}[kind]
        return f"{key} must be {word} {bound}", "out-of-range"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{key} must be one of {expected}", "invalid-value"
    if kind == "value_error":
        return f"{key} {str(error['msg']).removeprefix('Value error, ')}", "invalid-value"
    return f"{key}: {error['msg']}", "invalid-value"


def describe(error: dict[str, Any], data: Any,
             model: type[BaseModel]) -> tuple[tuple[Any, ...], str, str, str]:
    """For one pydantic error: the path that exists in ``data``, the dotted key named,
    the message and the rule id."""
    path = resolve(data, tuple(error["loc"]))
    if error["type"] == "missing":
        key = dotted((*path, error["loc"][-1]))
        parent = path
    else:
        key = dotted(path) or str(error["loc"][0])
        parent = path[:-1]
    message, rule = _message(error, key, model, parent)
    return path, key, message, rule


def validate(source: Source, model: type[M]) -> tuple[M | None, list[Problem]]:
    """The model built from ``source.data``, or None and every problem found."""
    from pydantic import ValidationError

    # Markup first: validating costly text would cost as much as rendering it. Items only
    # once every value is right: they are cheap to validate, and a file of many wrong
    # values is worth a message for each.
    much_markup, many_items = may_exceed(source.text)
    over = too_much_markup(source.data) if much_markup else None
    if over is None:
        try:
            value = model.model_validate(source.data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        else:
            if many_items:
                over = too_many_items(source.data)
            if over is None:
                return value, []
    if over is not None:
        return None, [_too_large(source, *over)]
    index = index_for(source.text)
    problems = []
    for error in errors:
        path, _, message, rule = describe(error, source.data, model)
        spot = index.spot(path) if path else None
        if spot is None:
            line, column, end_line, end_column = 1, 1, None, None
        else:
            # A missing key at the enclosing table's header, an unknown one at itself.
            at_key = error["type"] in ("missing", "extra_forbidden")
            line, column, end_line, end_column = spot.span(value=not at_key)
        problems.append(Problem(source.path, line, column, message, rule,
                                end_line=end_line, end_column=end_column))
    return None, problems


def validation_messages(data: dict[str, Any], model: type[BaseModel]) -> list[str]:
    """Messages for data that did not come from a file (flags, prompts, imports)."""
    from pydantic import ValidationError

    over = too_much_markup(data)
    if over is None:
        try:
            model.model_validate(data)
        except ValidationError as exc:
            return [describe(error, data, model)[2] for error in exc.errors(include_url=False)]
        over = too_many_items(data)
    return [] if over is None else [f"{dotted(over[0])} {over[1]}"]


def _too_large(source: Source, path: tuple[Any, ...], message: str) -> Problem:
    spot = index_for(source.text).spot(path)
    line, column, end_line, end_column = spot.span() if spot else (1, 1, None, None)
    return Problem(source.path, line, column, f"{dotted(path)} {message}", "file-too-large",
                   end_line=end_line, end_column=end_column)
