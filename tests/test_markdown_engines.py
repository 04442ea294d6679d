"""Markdown output reads the same on the engines newsletter platforms use.

CommonMark (markdown-it-py, as GitHub and most editors read it) and Python-Markdown
(MkDocs, Pelican and many newsletter platforms) disagree on how far a sub-bullet must be
indented to nest. Every list item of every example must survive both, at the same depth.
"""

from __future__ import annotations

from html.parser import HTMLParser

import markdown
import pytest
from markdown_it import MarkdownIt

from tests.support.cli import Run
from tests.support.paths import EXAMPLES, STYLES


class _Lists(HTMLParser):
    """The depth of every <li>, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.items: list[int] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("ul", "ol"):
            self.depth += 1
        elif tag == "li":
            self.items.append(self.depth)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol"):
            self.depth -= 1


def _item_depths(html: str) -> list[int]:
    lists = _Lists()
    lists.feed(html)
    return lists.items


@pytest.mark.parametrize("style", STYLES)
def test_both_engines_nest_every_bullet_alike(run: Run, style: str) -> None:
    result = run("render", str(EXAMPLES / style), "--format", "md")
    assert result.exit_code == 0, result.stderr
    commonmark = _item_depths(MarkdownIt("commonmark").render(result.stdout))
    python_markdown = _item_depths(markdown.markdown(result.stdout))
    assert commonmark, "the example renders no list at all"
    assert python_markdown == commonmark


def test_sub_bullets_nest_on_python_markdown(run: Run) -> None:
    # The briefing example has key innovations with sub-points: they must come out nested.
    result = run("render", str(EXAMPLES / "briefing"), "--format", "md")
    assert max(_item_depths(markdown.markdown(result.stdout))) == 2
