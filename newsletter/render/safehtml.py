"""Editor-written Markdown to HTML that cannot carry markup of its own.

Two walls: markdown-it-py's ``js-default`` preset (raw HTML off, javascript:/vbscript:/
data: links refused) renders CommonMark, then nh3 (the Rust ``ammonia`` sanitiser) keeps
only the handful of tags inline prose needs, with http, https and mailto links.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from newsletter.entries.budget import MARKUP_CHARACTERS

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_INLINE_TAGS = frozenset({"a", "strong", "em", "code", "br"})
_BLOCK_TAGS = _INLINE_TAGS | {"p", "ul", "ol", "li", "blockquote", "pre"}


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # Images would be external resources (tracking pixels in email): not allowed in entries.
    # maxNesting 20 (commonmark's own limit; js-default allows 100): runs of thousands of
    # '[' otherwise take seconds.
    reader = MarkdownIt("js-default", {"maxNesting": 20})
    return reader.disable(["image", "heading", "lheading", "hr", "table"], ignoreInvalid=True)


@cache
def _cleaner(tags: frozenset[str]) -> Any:
    import nh3

    # One Cleaner per tag set: building ammonia's settings cost most of each clean() call.
    return nh3.Cleaner(
        tags=set(tags),
        attributes={"a": {"href"}},
        url_schemes=set(SAFE_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _clean(html: str, tags: frozenset[str]) -> str:
    return str(_cleaner(tags).clean(html))


def is_safe_url(url: str) -> bool:
    scheme, sep, _ = url.partition(":")
    return bool(sep) and scheme.lower() in SAFE_SCHEMES and not any(c.isspace() for c in url)


# Text with none of these, and nothing unprintable, comes out of markdown-it and nh3 as it
# went in.
_MARKUP_CHARS = re.compile(f"[{re.escape(MARKUP_CHARACTERS)}]")


def inline_html(text: str) -> str:
    """One line of Markdown as inline HTML (no paragraph)."""
    folded = " ".join(text.split())
    if folded.isprintable() and _MARKUP_CHARS.search(folded) is None:
        return folded  # tests/test_html_safety.py holds this equal to the full path
    return parsed_inline_html(folded)


def parsed_inline_html(text: str) -> str:
    """``inline_html`` without its shortcut: CommonMark rendering, then sanitising."""
    return _clean(_markdown().renderInline(" ".join(text.split())), _INLINE_TAGS)


# A line that could open a block (list item, heading, rule, table row) or that ends in
# spaces (a hard line break) rather than continue a paragraph of plain text.
_BLOCK_START = re.compile(r"^\s*(?:[-+=#|]|\d+[.)])|\s$")


def block_html(text: str) -> str:
    """Markdown prose (paragraphs, lists) as HTML blocks."""
    lines = text.strip().split("\n")
    if all(line.strip() and line.isprintable() and _MARKUP_CHARS.search(line) is None
           and _BLOCK_START.search(line) is None and "|" not in line for line in lines):
        # One paragraph of plain text: what markdown-it and nh3 make of it, without them
        # (tests/test_html_safety.py holds the two equal).
        return "<p>" + "\n".join(line.strip() for line in lines) + "</p>"
    return parsed_block_html(text)


def parsed_block_html(text: str) -> str:
    """``block_html`` without its shortcut."""
    return _clean(_markdown().render(text.strip()), _BLOCK_TAGS).strip()
