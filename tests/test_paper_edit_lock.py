"""``draft`` and ``review`` edit a paper file in place (newsletter/write/paperedit.py): the
look at whether it is still what was read and the write happen under the issue's lock, the
one add-paper and import hold, so an edit made by another of newsletter's writers while
one waits is seen, not overwritten."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from newsletter.create.add_paper import papers_lock
from newsletter.write.paperedit import ChangedMeanwhile, add_fields, edit_paper
from tests.support.paths import EXAMPLES


@pytest.fixture
def paper(tmp_path: Path) -> Path:
    issue = tmp_path / "briefing"
    shutil.copytree(EXAMPLES / "briefing", issue,
                    ignore=shutil.ignore_patterns(".newsletter-cache"))
    return sorted((issue / "papers").glob("*.toml"))[0]


def _edit(path: Path, original: str, outcome: list[object]) -> None:
    try:
        outcome.append(edit_paper(path, original, add_fields({"notes": "From the edit."}),
                                  lambda old: {**old, "notes": "From the edit."}))
    except Exception as exc:  # handed to the test to assert on
        outcome.append(exc)


def test_an_edit_waits_for_the_issue_lock_and_sees_what_was_written_meanwhile(
        paper: Path) -> None:
    original = paper.read_text(encoding="utf-8")
    outcome: list[object] = []
    with papers_lock(paper.parent.parent):  # another writer of this issue, mid-way
        editing = threading.Thread(target=_edit, args=(paper, original, outcome))
        editing.start()
        editing.join(timeout=0.5)
        assert editing.is_alive(), "the edit did not wait for the issue's lock"
        paper.write_text(original + '\nnotes = "Theirs."\n', encoding="utf-8")
    editing.join(timeout=30)
    assert not editing.is_alive()
    assert isinstance(outcome[0], ChangedMeanwhile), outcome
    assert paper.read_text(encoding="utf-8").endswith('notes = "Theirs."\n')


def test_an_edit_with_no_one_else_writing_is_written(paper: Path) -> None:
    original = paper.read_text(encoding="utf-8")
    outcome: list[object] = []
    _edit(paper, original, outcome)
    assert isinstance(outcome[0], str), outcome
    assert 'notes = "From the edit."' in paper.read_text(encoding="utf-8")
