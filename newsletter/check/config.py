"""The publication's ``[check]`` settings themselves: rule ids that exist and may be set."""

from __future__ import annotations

from newsletter.check.rules import RULES
from newsletter.entries.loading import LoadedIssue
from newsletter.entries.positions import span
from newsletter.entries.problems import Problem


def check_config(loaded: LoadedIssue) -> list[Problem]:
    """Rule ids named in [check.rules] must exist and be configurable."""
    import difflib

    if loaded.publication is None or loaded.publication_source is None:
        return []
    problems = []
    for rule_id in loaded.publication.check.rules:
        rule = RULES.get(rule_id)
        if rule is not None and rule.configurable:
            continue
        line, column, end_line, end_column = span(
            loaded.publication_source.text, ("check", "rules", rule_id), value=False)
        if rule is None:
            close = difflib.get_close_matches(rule_id, list(RULES), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            message = f"unknown rule '{rule_id}'{hint} (see 'newsletter check --list-rules')"
        else:
            message = f"rule '{rule_id}' is not configurable: its files cannot be used as is"
        problems.append(Problem(loaded.publication_source.path, line, column, message,
                                "invalid-value", end_line=end_line, end_column=end_column))
    return problems
