"""``newsletter review``: an editor marks model-written fields as read, or throws them away.

Accepting a field removes its name from the paper's ``generated`` (and ``generated`` and
``generated_by`` themselves once nothing is left in it); rejecting it removes the text as
well, so the style lists it as still to write. Accepting ``score_proposed`` is the editor
setting ``score`` to it: the proposal and its rationale go, the score stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.errors import UsageError

if TYPE_CHECKING:
    from newsletter.entries.loading import LoadedIssue, LoadedPaper


@dataclass(frozen=True)
class Unreviewed:
    """A paper and the fields of it still waiting for an editor."""

    item: LoadedPaper
    names: list[str]

    @property
    def path(self) -> Path:
        return self.item.source.path


def unreviewed(issue_dir: Path, papers: list[str] | None = None
               ) -> tuple[LoadedIssue, list[Unreviewed]]:
    """The issue, and each of its papers (or of ``papers``) with generated fields that
    still hold text. A paper with problems is not among them (see ``run.left_alone``)."""
    from newsletter.draft.run import _selected
    from newsletter.entries.loading import ISSUE_FILE, has_issue_file, load_issue, unfilled
    from newsletter.entries.problems import display_path

    if not has_issue_file(issue_dir):
        raise UsageError(f"{display_path(issue_dir)}: not an issue directory (no "
                         f"{ISSUE_FILE})")
    loaded = load_issue(issue_dir)
    found = []
    for item in _selected(loaded, papers):
        if item.paper is None:
            continue
        names = [name for name in dict.fromkeys(item.paper.generated)
                 if name in item.source.data and not unfilled(item.source.data[name])]
        if names or item.paper.generated:
            found.append(Unreviewed(item, names))
    return loaded, found


def settle(entry: Unreviewed, accepted: list[str], rejected: list[str]) -> str:
    """Write the editor's verdicts into the paper file; returns its new text."""
    from newsletter.write.paperedit import edit_paper

    data = entry.item.source.data
    decided = set(accepted) | set(rejected)
    left = [name for name in data.get("generated", []) if name not in decided]
    # A name whose text is gone needs no verdict: it is dropped with the rest.
    left = [name for name in left if name in entry.names]
    removed = list(rejected)
    if "score_proposed" in accepted:
        removed += ["score_proposed", "score_rationale"]
        left = [name for name in left if name != "score_rationale"]
    setting: dict[str, Any] = {}
    if "score_proposed" in accepted and "score_proposed" in data:
        setting["score"] = data["score_proposed"]

    def expected(old: dict[str, Any]) -> dict[str, Any]:
        new = {key: value for key, value in old.items()
               if key not in removed and key not in ("generated", "generated_by")}
        new.update(setting)
        if left:
            new["generated"] = left
            if "generated_by" in old:
                new["generated_by"] = old["generated_by"]
        return new

    def change(document: Any) -> None:
        from newsletter.write.paperedit import add_fields, remove_keys

        remove_keys([*removed, *([] if left else ["generated", "generated_by"])])(document)
        if setting:
            add_fields(setting)(document)
        if left:
            add_fields({"generated": left})(document)

    return edit_paper(entry.path, entry.item.source.text, change, expected)
