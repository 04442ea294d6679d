"""Problems as a SARIF 2.1.0 log, the format GitHub code scanning and IDE viewers read."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

from newsletter import HOMEPAGE, __version__
from newsletter.check.rules import RULES
from newsletter.entries.problems import Problem, printable, relative_path, sort_problems

_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _sarif_uri(path: Path) -> str:
    # A URI reference made from the name's bytes: spaces, controls and non-ASCII are
    # percent-encoded, and a name that is not UTF-8 keeps its real bytes (%FF).
    return quote(os.fsencode(Path(relative_path(path)).as_posix()))


def sarif_log(problems: list[Problem]) -> str:
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
                                "informationUri": HOMEPAGE,
                                "rules": rules}},
            "results": results,
        }],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)
