"""Problems as a SARIF 2.1.0 log, the format GitHub code scanning and IDE viewers read.

Each rule carries its help (``rules.Rule``: what it checks, how to fix it) as text and as
Markdown, and a link to its row in the README: code scanning shows them beside every
alert. A result spans the offending key or value where ``Problem`` knows its end.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from newsletter import DISTRIBUTION, HOMEPAGE, __version__
from newsletter.check.rules import RULES, Rule
from newsletter.entries.problems import Problem, Severity, printable, relative_path, sort_problems

_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _sarif_uri(path: Path) -> str:
    # A URI reference made from the name's bytes: spaces, controls and non-ASCII are
    # percent-encoded, and a name that is not UTF-8 keeps its real bytes (%FF).
    return quote(os.fsencode(Path(relative_path(path)).as_posix()))


def help_uri(rule: Rule) -> str:
    """The rule's row in the README, which is also the project page's description."""
    return f"{HOMEPAGE}#{rule.anchor}"


# What starts emphasis, a link, an HTML tag or an entity, or a table cell, in CommonMark or
# GFM: escaped outside code spans, so that '<field>' or '*' shows as written. (No paragraph
# of the help starts with what would make a heading or a list.)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")


def _markdown(text: str) -> str:
    """``text`` as Markdown: its `code spans` kept, everything else shown as written."""
    pieces = text.split("`")
    return "`".join(piece if number % 2 else _MARKDOWN_SPECIAL.sub(r"\\\1", piece)
                    for number, piece in enumerate(pieces))


def _level_sentence(rule: Rule) -> str:
    if rule.severity is Severity.ERROR:
        said = "An error: `newsletter check` fails until it is fixed."
    else:
        said = "A warning: `newsletter check` still passes, unless it runs with `--strict`."
    if rule.configurable:
        said += (f" In newsletter.toml, `{rule.id} = \"error\"` under `[check.rules]` makes "
                 f"it an error, and `{rule.id} = \"off\"` turns it off.")
    return said


def _descriptor(rule: Rule) -> dict[str, Any]:
    uri = help_uri(rule)
    level = _level_sentence(rule)
    text = f"{rule.description}\n\nHow to fix: {rule.fix}\n\n{level}\n\n{uri}"
    markdown = (f"{_markdown(rule.description)}\n\n**How to fix:** {_markdown(rule.fix)}"
                f"\n\n{_markdown(level)}\n\n[`{rule.id}` in the README]({uri})")
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.description},
        "help": {"text": text, "markdown": markdown},
        "helpUri": uri,
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {"tags": [rule.kind]},
    }


def _unknown(rule_id: str) -> dict[str, Any]:
    # A result always names its rule in the log; one not in RULES cannot come from check,
    # but a library caller may make Problems of its own.
    return {"id": rule_id, "shortDescription": {"text": rule_id},
            "defaultConfiguration": {"level": "error"}}


def _region(problem: Problem) -> dict[str, int]:
    region = {"startLine": problem.line, "startColumn": problem.column}
    end = (problem.end_line, problem.end_column)
    if end[0] is not None and end[1] is not None and end >= (problem.line, problem.column):
        region["endLine"], region["endColumn"] = end
    return region


def sarif_log(problems: list[Problem]) -> str:
    used = sorted({p.rule for p in problems} | set(RULES))
    index = {rule_id: number for number, rule_id in enumerate(used)}
    rules = [_descriptor(RULES[rule_id]) if rule_id in RULES else _unknown(rule_id)
             for rule_id in used]
    results = [{
        "ruleId": p.rule,
        "ruleIndex": index[p.rule],
        "level": p.severity.value,
        "message": {"text": printable(p.message)},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _sarif_uri(p.path)},
            "region": _region(p),
        }}],
    } for p in sort_problems(problems)]
    log = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "newsletter",
                "fullName": f"newsletter ({DISTRIBUTION} {__version__})",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": HOMEPAGE,
                "rules": rules,
            }},
            # Columns count characters, as an editor shows them, not UTF-16 code units.
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)
