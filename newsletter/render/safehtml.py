"""Editor-written Markdown to HTML that cannot carry markup of its own.

Two walls: markdown-it-py's ``js-default`` preset (raw HTML off, javascript:/vbscript:/
data: links refused) renders CommonMark, then nh3 (the Rust ``ammonia`` sanitiser) keeps
only the handful of tags inline prose needs, with http, https and mailto links.

Text whose Markdown is plain (emphasis, simple links, lists) is rendered by cmark (C,
through cmarkgfm) instead, about twenty times faster: markdown-it-py was most of the time
of a site build. Only where the two are known to agree (``_cmark_reads_alike``), and
behind the same sanitiser; tests/test_markdown_parity.py holds them byte-identical.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
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
    # url.split() == [url]: no whitespace anywhere (str.isspace's), in one C call.
    return bool(sep) and scheme.lower() in SAFE_SCHEMES and url.split() == [url]


# Text with none of these, and nothing unprintable, comes out of markdown-it and nh3 as it
# went in.
_MARKUP_CHARS = re.compile(f"[{re.escape(MARKUP_CHARACTERS)}]")


def _one_bold(line: str) -> str | None:
    """A line of plain text but for one ``**bold**`` whose ends are letters or digits, as
    both renderers and nh3 make it, or None for any other line. A quarter of the bullets
    of a briefing are such; the renderer and the sanitiser cost 30 us each
    (tests/test_fast_paths.py holds this equal to the full path)."""
    if line.count("*") != 4 or _MARKUP_CHARS.search(line.replace("*", "")) is not None:
        return None
    start = line.find("**")
    end = line.find("**", start + 3)
    bold = line[start + 2:end]
    # Letters or digits at both ends: the opening run can open and the closing one close,
    # whatever stands around them (CommonMark's flanking rules for '*').
    if (start < 0 or end < 0 or not (bold[0].isascii() and bold[0].isalnum())
            or not (bold[-1].isascii() and bold[-1].isalnum())):
        return None
    return f"{line[:start]}<strong>{bold}</strong>{line[end + 2:]}"


# A link as both renderers and nh3 make it without a second look: its text plain, its
# destination an http(s) address with a plain host name (markdown-it rewrites an
# authority it parses otherwise, 'example.org::'; nh3 drops an address its URL parser
# refuses, a number for a host or bad punycode: hence a letter first in the last label,
# no '--'), then only characters neither renderer percent-encodes (no parentheses,
# quotes, '&' or spaces), each '%' starting an escape.
_URL_CHARS = r"[A-Za-z0-9\-._~:/?#@=+,;]"
_LINK_TEXT = f"[^{re.escape(MARKUP_CHARACTERS)}]"
_LINK_TEXT_EDGE = f"[^\\s{re.escape(MARKUP_CHARACTERS)}]"
_LABEL = r"[A-Za-z0-9]++(?>(?:-[A-Za-z0-9]++)*)"
_PLAIN_LINK = re.compile(
    rf"\[({_LINK_TEXT_EDGE}(?:{_LINK_TEXT}*{_LINK_TEXT_EDGE})?)\]"
    rf"\((https?://(?>(?:{_LABEL}\.)*)[A-Za-z][A-Za-z0-9]*+(?>(?:-[A-Za-z0-9]++)*)"
    rf"(?>(?:[/?#]{_URL_CHARS}*+(?>(?:%[0-9A-Fa-f]{{2}}{_URL_CHARS}*+)*))?))\)")


def _one_link(line: str) -> str | None:
    """A line of plain text but for one ``[text](https://...)`` (see _PLAIN_LINK), as
    both renderers and nh3 make it, or None for any other line. A link costs cmark and
    nh3 25 us; a briefing's papers hold one or two (tests/test_fast_paths.py holds this
    equal to the full path)."""
    start = line.find("[")
    match = _PLAIN_LINK.match(line, start) if start >= 0 else None
    if match is None:
        return None
    before, after = line[:start], line[match.end():]
    if _MARKUP_CHARS.search(before) is not None or _MARKUP_CHARS.search(after) is not None:
        return None
    text, url = match.groups()
    return f'{before}<a href="{url}" rel="noopener noreferrer">{text}</a>{after}'


def is_plain_line(line: str) -> bool:
    """Whether ``inline_html`` gives ``line`` (spaces folded) back as it is: nothing
    unprintable, no character Markdown or HTML reads."""
    return line.isprintable() and _MARKUP_CHARS.search(line) is None


def inline_html(text: str) -> str:
    """One line of Markdown as inline HTML (no paragraph)."""
    folded = " ".join(text.split())
    if folded.isprintable():
        if _MARKUP_CHARS.search(folded) is None:
            return folded  # tests/test_html_safety.py holds this equal to the full path
        simple = _one_bold(folded) or _one_link(folded)
        if simple is not None:
            return simple
    compiled = cmark_inline_html(folded)
    return compiled if compiled is not None else parsed_inline_html(folded)


def parsed_inline_html(text: str) -> str:
    """``inline_html`` without its shortcut: CommonMark rendering, then sanitising."""
    return _clean(_markdown().renderInline(" ".join(text.split())), _INLINE_TAGS)


# A line that could open a block (list item, heading, rule, table row) rather than continue
# a paragraph of plain text; one that ends in spaces (a hard line break) is told apart (as
# "|\s$" this regex was tried at every character, half the cost of a paragraph).
_BLOCK_START = re.compile(r"\s*(?:[-+=#|]|\d+[.)])")


def block_html(text: str) -> str:
    """Markdown prose (paragraphs, lists) as HTML blocks."""
    lines = text.strip().split("\n")
    if all(line.strip() and line.isprintable() and _BLOCK_START.match(line) is None
           and not line[-1].isspace() and "|" not in line for line in lines):
        # One paragraph of plain text (one line may hold a **bold**): what markdown-it
        # and nh3 make of it, without them (tests/test_html_safety.py and
        # tests/test_fast_paths.py hold the two equal).
        lines = [line.strip() for line in lines]
        marked = [at for at, line in enumerate(lines) if _MARKUP_CHARS.search(line)]
        bold = _one_bold(lines[marked[0]]) if len(marked) == 1 else None
        if bold is not None:
            lines[marked[0]] = bold
        if not marked or bold is not None:
            return "<p>" + "\n".join(lines) + "</p>"
    compiled = cmark_block_html(text)
    return compiled if compiled is not None else parsed_block_html(text)


def parsed_block_html(text: str) -> str:
    """``block_html`` without its shortcut."""
    return _clean(_markdown().render(text.strip()), _BLOCK_TAGS).strip()


# ----------------------------------------------------------------------------- cmark
# Where cmark and markdown-it-py read Markdown differently, and so what sends a text to
# markdown-it-py (found by differential fuzzing; tests/test_markdown_parity.py): raw HTML
# and autolinks (cmark omits the one, markdown-it shows it as text), entities, escapes,
# code, images, reference definitions, links markdown-it refuses (javascript: ...) or
# whose destination the two percent-encode differently, nested brackets (nesting limits,
# links in links), strikethrough, runs of three delimiters, single and double runs of
# one delimiter in a text or more than two double runs (cmark-gfm drops a <strong> in a
# <strong>), headings, rules, setext underlines and quotes (off in markdown-it here),
# indented code, deep lists, and non-ASCII that is a space or a symbol, or in a link
# (CommonMark 0.29 and 0.31 class symbols apart; markdown-it punycodes a host).
# The regexes below are what the guard reads; each runs only when a substring test (C
# speed) finds what it starts with: as one alternation the engine tried every branch at
# every character, and the guard cost four times what cmark and nh3 do.
_CMARK_RISKY_CHAR = re.compile(r"[`\\\t\r\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CMARK_RISKY_TAG = re.compile(r"<(?=[A-Za-z/!?])|<[^\s<>]*>")
_CMARK_RISKY_ENTITY = re.compile(r"&(?=#|[A-Za-z0-9]+;)")
_CMARK_NESTED = re.compile(r"\[[^\]]*\[")
_CMARK_RISKY_LITERALS = ("![", "]:", "~~", "***", "___")
_CMARK_RISKY_SCHEME = re.compile(r"(?i:javascript|vbscript|file|data):")
_CMARK_LINK = re.compile(r"\]\((?:[A-Za-z0-9\-._~:/?#@!$&*+,;=]|%[0-9A-Fa-f]{2})*\)")
# A destination whose authority markdown-it's URL parser (mdurl) rewrites and cmark keeps
# ('https://u@host' loses its '@', 'https://host::' a colon, 'mailto:a:b:0' is reordered):
# anything but a plain host and port after the scheme, an '@' or a second ':' in it.
_CMARK_ODD_AUTHORITY = re.compile(
    r"\]\([A-Za-z][A-Za-z0-9+.-]*:(?://)?(?![A-Za-z0-9._~%-]*(?::[0-9]*)?[/?#)])")
# A line that opens a block markdown-it does not (or nests lists deep): after up to two
# list markers, a quote, a heading or nothing but marker-like characters; three markers.
# Four spaces anywhere (indented code, or a continuation the two may indent differently)
# are looked for apart.
_MARKER = r"(?:[-+*]|\d{1,9}[.)])(?: +|$)"
_CMARK_RISKY_LINE = re.compile(
    rf" {{0,3}}(?:(?:{_MARKER}){{0,2}} *(?:[>#]|[-*_=+#\s]*$)|(?:{_MARKER}){{3}})")
_CMARK_INLINE_START = re.compile(rf"[\[~|=_*+>#-]|{_MARKER}")


def _names_risky_scheme(text: str) -> bool:
    """Whether ``javascript:``, ``vbscript:``, ``file:`` or ``data:`` (in any case, as
    the regex engine folds it) ends at one of the colons of ``text``."""
    at = text.find(":")
    while at != -1:
        if _CMARK_RISKY_SCHEME.search(text, max(0, at - 10), at + 1):
            return True
        at = text.find(":", at + 1)
    return False


def _cmark_reads_alike(text: str) -> bool:
    """Whether cmark renders ``text`` (stripped) as markdown-it-py does, after nh3."""
    if (_CMARK_RISKY_CHAR.search(text)
            or ("<" in text and _CMARK_RISKY_TAG.search(text))
            or ("&" in text and _CMARK_RISKY_ENTITY.search(text))
            or any(literal in text for literal in _CMARK_RISKY_LITERALS)
            or text.count("[") > 16
            or ("[" in text and _CMARK_NESTED.search(text))
            or (":" in text and _names_risky_scheme(text))
            or "    " in text
            or any(_CMARK_RISKY_LINE.match(line) for line in text.split("\n"))):
        return False
    stars, underscores = text.count("**"), text.count("__")
    # No run of three is left (above): a '*' or '_' outside a double run is a single one.
    if (stars + underscores > 2 or (stars and text.count("*") > 2 * stars)
            or (underscores and text.count("_") > 2 * underscores)):
        return False
    if "](" in text:
        if (not text.isascii() or text.count("](") != len(_CMARK_LINK.findall(text))
                or _CMARK_ODD_AUTHORITY.search(text)):
            return False
    elif not text.isascii():
        return all(char.isascii() or unicodedata.category(char)[0] in "LMNP"
                   for char in text)
    return True


@cache
def _cmark() -> Callable[[str], str] | None:
    try:
        import cmarkgfm
    except ImportError:  # markdown-it-py renders everything, only slower
        return None
    render: Callable[[str], str] = cmarkgfm.markdown_to_html
    return render


def cmark_inline_html(text: str) -> str | None:
    """``parsed_inline_html(text)`` by cmark, or None where cmark may read it otherwise."""
    folded = " ".join(text.split())
    render = _cmark()
    if (render is None or _CMARK_INLINE_START.match(folded)
            or not _cmark_reads_alike(folded)):
        return None
    html = render(folded)  # one paragraph: the start guard keeps every block opener out
    if html.startswith("<p>") and html.endswith("</p>\n"):
        html = html[3:-5]
    return _clean(html, _INLINE_TAGS)


def cmark_block_html(text: str) -> str | None:
    """``parsed_block_html(text)`` by cmark, or None where cmark may read it otherwise."""
    stripped = text.strip()
    render = _cmark()
    if render is None or not _cmark_reads_alike(stripped):
        return None
    return _clean(render(stripped), _BLOCK_TAGS).strip()
