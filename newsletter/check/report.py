"""Problems as text for people, JSON for tools, GitHub workflow commands, or SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path

from newsletter import __version__
from newsletter.check.rules import RULES
from newsletter.entries.problems import (
    Problem,
    Severity,
    printable,
    relative_path,
    sort_problems,
)

REPORT_FORMATS = ("text", "json", "github", "sarif")
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


# Every path and message is passed through ``printable``: a file's name and what it says
# are chosen by whoever opened the pull request, and must not end a line, start a
# workflow command, colour the log or be a lone surrogate that UTF-8 cannot encode.


def _uri(path: Path) -> str:
    return printable(Path(relative_path(path)).as_posix())


def _sarif_uri(path: Path) -> str:
    import os
    from urllib.parse import quote

    # A URI reference made from the name's bytes: spaces, controls and non-ASCII are
    # percent-encoded, and a name that is not UTF-8 keeps its real bytes (%FF).
    return quote(os.fsencode(Path(relative_path(path)).as_posix()))


def as_json(problems: list[Problem]) -> str:
    return json.dumps([
        {"path": _uri(p.path), "line": p.line, "column": p.column,
         "severity": p.severity.value, "rule": p.rule, "message": printable(p.message)}
        for p in sort_problems(problems)], indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    # Line breaks become %0D/%0A, which GitHub shows inside the annotation: they can never
    # end the command and start another ('::' at the start of a line). Every other control
    # character is shown escaped (an ESC would colour the log).
    text = "\n".join("\r".join(printable(piece) for piece in line.split("\r"))
                     for line in text.split("\n"))
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(problems: list[Problem]) -> str:
    """Workflow commands: each problem shows on the pull request's diff at its line."""
    lines = []
    for p in sort_problems(problems):
        command = "error" if p.severity is Severity.ERROR else "warning"
        lines.append(
            f"::{command} file={_escape_property(Path(relative_path(p.path)).as_posix())},"
            f"line={p.line},col={p.column},"
            f"title={_escape_property(p.rule)}::{_escape_data(p.message)}")
    return "\n".join(lines)


def as_sarif(problems: list[Problem]) -> str:
    used = sorted({p.rule for p in problems} | set(RULES))
    rules = [{
        "id": rule_id,
        "shortDescription": {"text": RULES[rule_id].summary if rule_id in RULES else rule_id},
        "defaultConfiguration": {"level": RULES[rule_id].severity.value
                                 if rule_id in RULES else "error"},
    } for rule_id in used]
    results = [{
        "ruleId": p.rule,
        "ruleIndex": used.index(p.rule),
        "level": p.severity.value,
        "message": {"text": printable(p.message)},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": _sarif_uri(p.path)},
            "region": {"startLine": p.line, "startColumn": p.column},
        }}],
    } for p in sort_problems(problems)]
    log = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "newsletter", "version": __version__,
                                "informationUri": "https://pypi.org/project/newsletter/",
                                "rules": rules}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def as_text(problems: list[Problem]) -> str:
    return "\n".join(p.as_text() for p in sort_problems(problems))


FORMATTERS = {"text": as_text, "json": as_json, "github": as_github, "sarif": as_sarif}
