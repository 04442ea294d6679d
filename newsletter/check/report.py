"""Problems as text for people, JSON for tools, GitHub workflow commands, or SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path

from newsletter import __version__
from newsletter.check.rules import RULES
from newsletter.entries.problems import Problem, Severity, sort_problems

REPORT_FORMATS = ("text", "json", "github", "sarif")
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: Path) -> str:
    return Path(Problem(path, 1, 1, "", "").display_path()).as_posix()


def _sarif_uri(path: Path) -> str:
    from urllib.parse import quote

    return quote(_uri(path))  # a URI reference: spaces and non-ASCII percent-encoded


def as_json(problems: list[Problem]) -> str:
    return json.dumps([
        {"path": _uri(p.path), "line": p.line, "column": p.column,
         "severity": p.severity.value, "rule": p.rule, "message": p.message}
        for p in sort_problems(problems)], indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(problems: list[Problem]) -> str:
    """Workflow commands: each problem shows on the pull request's diff at its line."""
    lines = []
    for p in sort_problems(problems):
        command = "error" if p.severity is Severity.ERROR else "warning"
        lines.append(
            f"::{command} file={_escape_property(_uri(p.path))},line={p.line},col={p.column},"
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
        "message": {"text": p.message},
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
