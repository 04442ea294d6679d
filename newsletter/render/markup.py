"""Inline Markdown in entry text: pass it on to Markdown output, or flatten it to plain text.

Plain text comes from markdown-it-py's token stream (a real CommonMark parser), so that
``**bold**``, links and escapes are read as a Markdown renderer would read them.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# "Lead term: explanation". A lead is short and is not itself a sentence.
_LEAD_MAX = 80
_LEAD_WORDS = 10
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“‘(*_\[])")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|~])")
_MD_LINE_START = re.compile(r"^(\s*)([-+=#>]|\d+[.)])(?=\s|$)", re.M)
# A '<' that could open a tag, unless the editor already escaped it (an odd number of
# backslashes before it); an even number is escaped backslashes, and the '<' is live.
_RAW_HTML_START = re.compile(r"(?<!\\)((?:\\\\)*)<(?=[A-Za-z/!?])")


def split_lead(text: str) -> tuple[str | None, str]:
    """``"Cost: Reduces..."`` → ``("Cost", "Reduces...")``; no lead → ``(None, text)``.

    The lead is what comes before the first colon (1 to _LEAD_MAX characters, on one
    line), and a space or the end follows the colon; found with ``str.find``, several
    times faster than the pattern that says the same (tests/test_fast_paths.py)."""
    stripped = text.strip()
    colon = stripped.find(":")
    if not 1 <= colon <= _LEAD_MAX or "\n" in stripped[:colon]:
        return None, text
    after = stripped[colon + 1:colon + 2]
    if after and not after.isspace():
        return None, text
    lead = stripped[:colon].strip()
    if (not lead or len(lead.split()) > _LEAD_WORDS or ". " in lead or "](" in lead
            or "**" in lead or "`" in lead):
        return None, text
    return lead, stripped[colon + 1:].strip()


def split_first_sentence(text: str) -> tuple[str, str]:
    """``"Claim here. More text."`` → ``("Claim here.", "More text.")``."""
    parts = _SENTENCE_END.split(text.strip(), maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")


_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-+*]|1[.)])\s+\S")  # what may interrupt a paragraph


def separate_lists(text: str) -> str:
    """A blank line before a list that follows a paragraph line directly.

    CommonMark lets a list interrupt a paragraph; Python-Markdown (MkDocs, many newsletter
    platforms) reads such lines as part of the paragraph. With the blank line both engines
    see the same list, and CommonMark's rendering does not change.
    """
    if "\n" not in text:
        return text
    out: list[str] = []
    in_paragraph = in_list = False
    for line in text.split("\n"):
        if not line.strip():
            in_paragraph = in_list = False
        elif _LIST_ITEM.match(line):
            if in_paragraph and not in_list:
                out.append("")
            in_list, in_paragraph = True, False
        else:  # a paragraph line, or the lazy continuation of a list item
            in_paragraph = True
        out.append(line)
    return "\n".join(out)


def one_line(text: str) -> str:
    """Fold a bullet's line breaks: a newline inside a list item would end the item."""
    return " ".join(text.split())


def escape_markdown(text: str) -> str:
    """Plain text (a title, a name) made safe to place inside Markdown."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    def protect(match: re.Match[str]) -> str:
        marker = match.group(2)
        return match.group(1) + marker[:-1] + "\\" + marker[-1]

    return _MD_LINE_START.sub(protect, escaped)


def markdown_source(text: str) -> str:
    """Editor-written Markdown as it goes into Markdown output.

    Raw HTML is not part of what entries may contain: a ``<`` that could open a tag is
    escaped, so ``latency <78ms`` stays as written and ``<script>`` is shown, not run.
    """
    if "<" not in text:  # most text: the pattern can match empty anywhere, so it is slow
        return text.strip()
    return _RAW_HTML_START.sub(r"\1\\<", text.strip())


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # "commonmark" passes raw HTML through; turn it off so tags come back as text.
    return MarkdownIt("commonmark", {"html": False})


def _inline_plain(tokens: list[Token]) -> str:
    out: list[str] = []
    link_targets: list[str] = []
    link_starts: list[int] = []
    for token in tokens:
        kind = token.type
        if kind in ("text", "code_inline", "html_inline"):
            out.append(token.content)
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "image":
            out.append(token.content)
        elif kind == "link_open":
            link_targets.append(str(token.attrs.get("href", "")))
            link_starts.append(len(out))
        elif kind == "link_close" and link_targets:
            href = link_targets.pop()
            label = "".join(out[link_starts.pop():])
            if href and href != label and f"mailto:{label}" != href:
                out.append(f" <{href}>")
    return "".join(out)


def to_plain(text: str) -> str:
    """Markdown prose → plain text: emphasis dropped, links as ``text <url>``, lists kept."""
    tokens = _parser().parse(text.strip())
    blocks: list[str] = []
    depth = 0
    ordered: list[int | None] = []
    item_prefix = ""
    for token in tokens:
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            depth += 1
            ordered.append(int(token.attrs.get("start", 1) or 1)
                           if kind == "ordered_list_open" else None)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
            ordered.pop()
        elif kind == "list_item_open":
            counter = ordered[-1]
            if counter is None:
                item_prefix = "  " * (depth - 1) + "- "
            else:
                item_prefix = "  " * (depth - 1) + f"{counter}. "
                ordered[-1] = counter + 1
        elif kind == "inline":
            content = _inline_plain(token.children or [])
            blocks.append(item_prefix + content if item_prefix else content)
            item_prefix = ""
        elif kind in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
    # Items of one list sit on consecutive lines; paragraphs are separated by a blank line.
    out: list[str] = []
    for block in blocks:
        is_item = bool(re.match(r"\s*(- |\d+\. )", block))
        if out and not (is_item and re.match(r"\s*(- |\d+\. )", out[-1].split("\n")[-1])):
            out.append("\n\n" if not is_item else "\n")
        elif out:
            out.append("\n")
        out.append(block)
    return "".join(out)
