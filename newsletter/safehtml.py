"""Editor-written Markdown to HTML that cannot carry markup of its own.

Two walls: markdown-it-py's ``js-default`` preset (raw HTML off, javascript:/vbscript:/
data: links refused) renders CommonMark, then nh3 (the Rust ``ammonia`` sanitiser) keeps
only the handful of tags inline prose needs, with http, https and mailto links.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_BLOCK_TAGS = {"p", "ul", "ol", "li", "blockquote", "pre"}
_INLINE_TAGS = {"a", "strong", "em", "code", "br"}


@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # Images would be external resources (tracking pixels in email): not allowed in entries.
    # maxNesting 20 (commonmark's own limit; js-default allows 100): runs of thousands of
    # '[' otherwise take seconds.
    reader = MarkdownIt("js-default", {"maxNesting": 20})
    return reader.disable(["image", "heading", "lheading", "hr", "table"], ignoreInvalid=True)


def _clean(html: str, tags: set[str]) -> str:
    import nh3

    return nh3.clean(
        html,
        tags=tags,
        attributes={"a": {"href"}},
        url_schemes=set(SAFE_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def is_safe_url(url: str) -> bool:
    scheme, sep, _ = url.partition(":")
    return bool(sep) and scheme.lower() in SAFE_SCHEMES and not any(c.isspace() for c in url)


def inline_html(text: str) -> str:
    """One line of Markdown as inline HTML (no paragraph)."""
    return _clean(_markdown().renderInline(" ".join(text.split())), _INLINE_TAGS)


def block_html(text: str) -> str:
    """Markdown prose (paragraphs, lists) as HTML blocks."""
    return _clean(_markdown().render(text.strip()), _INLINE_TAGS | _BLOCK_TAGS).strip()
