"""Every rule ``check`` applies: a stable id, its default severity, and why it exists.

Ids are part of the interface (CI annotations, SARIF dashboards, ``[check.rules]`` in
newsletter.toml refer to them), so they never change meaning once released.
"""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.entries.problems import Severity


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    configurable: bool = False  # lint rules can be raised to errors or turned off


_E, _W = Severity.ERROR, Severity.WARNING

RULES: dict[str, Rule] = {rule.id: rule for rule in (
    # The files themselves: always errors, the entry cannot be used as it is.
    Rule("toml-syntax", _E, "The file is not valid TOML, so nothing in it can be read."),
    Rule("encoding", _E, "Entries are UTF-8 text; other bytes would be garbled."),
    Rule("file-unreadable", _E, "The path is a directory, a broken link or unreadable."),
    Rule("outside-publication", _E,
         "A link that leads out of the publication: its target is not read."),
    Rule("file-too-large", _E, "Over 1 MB, 1,000 list items or 10,000 Markdown markup "
         "characters is not an entry (a pasted PDF or log, or text made to stall rendering)."),
    Rule("wrong-type", _E, "Values are never coerced: a quoted number is a mistake."),
    Rule("unknown-key", _E, "A key the model does not have is usually a typo."),
    Rule("missing-key", _E, "A key every file of its kind needs is missing."),
    Rule("invalid-value", _E, "A value breaks its field's rule (empty, unsafe link ...)."),
    Rule("out-of-range", _E, "A number outside its range, such as a score above 10."),
    Rule("too-long", _E, "Text over its field's cap would not fit any style."),
    Rule("style-requires", _E, "The issue's house style shows this field; it is empty."),
    Rule("incomplete", _W,
         "A draft still lacks what its style needs; an error once it is published."),
    Rule("unknown-style", _E, "The style named does not exist."),
    Rule("unknown-section", _E, "A paper names a section the issue does not declare."),
    Rule("duplicate-paper", _E, "Two papers of one issue are the same paper."),
    Rule("duplicate-number", _E, "Two issues of one publication have the same number."),
    Rule("template-error", _E,
         "A template of the publication's own templates/ fails to render (or is refused "
         "by the sandbox): render would fail too."),
    Rule("published-changed", _E,
         "A published issue changed since --base: readers already have it."),
    # Editorial lint: warnings unless newsletter.toml's [check.rules] says otherwise.
    Rule("covered-before", _W, "The paper was already covered in an earlier issue.", True),
    Rule("placeholder-text", _W, "TODO, TBD or lorem ipsum left in the text.", True),
    Rule("over-budget", _W, "Longer than the style's budget for this field.", True),
    Rule("item-count", _W, "More or fewer items than the style shows.", True),
    Rule("date-order", _W, "A date in the future, or out of order with the numbering.", True),
    Rule("insecure-link", _W, "A link that is not https.", True),
    Rule("gem-without-score", _W, "A hidden gem is ranked by its score; it has none.", True),
)}


def rule_table() -> str:
    """The rules as aligned text, for ``newsletter check --list-rules``."""
    width = max(len(rule_id) for rule_id in RULES)
    lines = []
    for rule in RULES.values():
        note = " (configurable)" if rule.configurable else ""
        lines.append(f"{rule.id:<{width}}  {rule.severity.value:<7}  {rule.summary}{note}")
    return "\n".join(lines)
