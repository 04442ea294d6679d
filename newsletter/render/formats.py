"""The building blocks a style template writes with, one class per output format.

A template says *what* a block is (a heading, a labelled paragraph, a list of bullets);
the format object says how that looks in Markdown or in plain text. So one template per
style serves both formats, and the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from newsletter.render.markup import (
    escape_markdown,
    markdown_source,
    one_line,
    separate_lists,
    split_first_sentence,
    split_lead,
    to_plain,
)

# How a roundup bullet may already name its paper: within its first few words ("The Legal
# RAG Benchmark evaluates ...", "Unlike X, NeST ..."), in any case, or spelled out before
# the short name in brackets ("Neuron Selective Tuning (NeST) works ...").
_NAME_WITHIN_WORDS = 5
_CLAUSE_END = re.compile(r"[.!?;:]")
# Small words inside a spelled-out name ("Networks *of* Experts (NoE)").
_NAME_JOINERS = frozenset({"of", "for", "in", "on", "to", "with", "via", "from", "by"})
_ARTICLES = frozenset({"the", "a", "an"})
# Inline Markdown around the name ('**NeST**', '[NeST](...)'): the text stays as written.
_MARKUP = re.compile(r"[*_`\[\]<\\]")


def _name_pattern(name: str) -> re.Pattern[str]:
    """The name as a whole phrase (not 'NeST' in 'NeSTED'), any case. A name written
    'Kolmogorov-Arnold Networks (KONs)' also matches its long and its short form."""
    name = " ".join(name.split())
    variants = [name]
    spelled = re.fullmatch(r"(.*\S)\s*\(\s*([^()]*\S)\s*\)", name)
    if spelled:
        variants += [spelled.group(1), spelled.group(2)]
    alternatives = "|".join(re.escape(v).replace(r"\ ", r"\s+")
                            for v in sorted(variants, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.I)


def names_paper(label: str | None, name: str) -> bool:
    """Whether a group label already names the paper ('Vectorized Trie for ...')."""
    return bool(label) and _name_pattern(name).search(str(label)) is not None


def _spelled_out_start(text: str, bracket: int) -> int | None:
    """Where the capitalised words just before ``text[bracket]`` == '(' begin, if any:
    'Platforms like Neuron Selective Tuning (' → the index of 'Neuron'."""
    words = list(re.finditer(r"\S+", text[:bracket]))
    start = None
    for index in range(len(words) - 1, max(len(words) - 9, -1), -1):
        word = words[index].group(0)
        if _CLAUSE_END.search(word) or word.endswith(","):
            break
        if word[0].isupper() or word[0].isdigit():
            start = index
        elif not (word in _NAME_JOINERS and start is not None and index > 0
                  and words[index - 1].group(0)[0].isupper()):
            break
    if start is not None and words[start].group(0).lower() in _ARTICLES:
        start += 1
    if start is None or start >= len(words):
        return None
    return words[start].start()


def name_span(text: str, name: str) -> tuple[int, int] | None:
    """Where ``text`` (one line) names the paper near its start, as ``(start, end)`` of the
    name as it stands; None when it does not. Near: at most a few words come before it, and
    none ends a sentence or a clause, so 'The ...' and 'Unlike X, ...' are near."""
    for match in _name_pattern(name).finditer(text):
        start, end = match.span()
        opened, closed = text[:start].rstrip(), text[end:].lstrip()
        if opened.endswith("(") and closed.startswith(")"):  # "Neuron ... Tuning (NeST)"
            spelled = _spelled_out_start(text, len(opened) - 1)
            if spelled is not None:
                start, end = spelled, len(text) - len(closed) + 1
        before = text[:start]
        if _CLAUSE_END.search(before) or len(before.split()) > _NAME_WITHIN_WORDS:
            return None
        return start, end
    return None


# A link destination CommonMark reads without angle brackets: no spaces or controls, no
# backslash (it would escape), and parentheses only in balanced pairs.
_BARE_DESTINATION = re.compile(r"[^\s\x00-\x1f\x7f\\<>]+")


def _balanced(url: str) -> bool:
    depth = 0
    for char in url:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0


class Generated(str):
    """Text a model wrote that no editor has reviewed (a field named in ``generated``):
    a draft's web page marks it, so a reviewer sees what a person has not yet read."""

    __slots__ = ()


GENERATED_TITLE = "Written by a model; not yet reviewed"


def _bullet_parts(item: Any) -> tuple[str, list[str]]:
    """A bullet is a string or a NestedBullet (``text`` plus ``points``)."""
    if isinstance(item, str):
        return item, []
    return item.text, list(item.points)


class TextFormat:
    """Plain text, as a reader sees the seed documents: labels, dashes, no markup."""

    name = "text"
    # How far a sub-bullet is indented under its bullet.
    sub_indent = "  "

    def __init__(self, language: str = "en") -> None:
        # The publication's language tag (check has made sure CLDR knows it): its dates.
        self._language = language

    # Text that is already plain (titles, names).
    def plain(self, text: str) -> str:
        return text

    # Editor-written Markdown.
    def inline(self, text: str) -> str:
        return to_plain(one_line(text))

    def prose(self, text: str) -> str:
        return to_plain(text)

    def bold(self, text: str) -> str:
        return text

    def title(self, text: str) -> str:
        return text

    def heading(self, level: int, text: str) -> str:
        return text

    def link(self, text: str, url: str) -> str:
        return f"{text} <{url}>"

    def labelled(self, label: str, text: str) -> str:
        return f"{label}: {self.prose(text)}" if text else f"{label}:"

    def lead(self, text: str) -> str:
        """A 'Lead term: explanation' bullet."""
        return self.inline(text)

    def claim(self, text: str) -> str:
        """A takeaway whose first sentence is the claim."""
        return self.inline(text)

    def named(self, name: str, text: str, label: str | None = None) -> str:
        """A roundup bullet: the paper's short name in bold, then what it contributes.

        The name is shown once. Under a group ``label`` that already names the paper the
        bullet is the text alone; a text that names the paper near its start ('The Legal
        RAG Benchmark ...', 'Neuron Selective Tuning (NeST) ...', any case) has the name
        emphasised where it stands; any other text gets 'Name: ' in front. Every format
        (md, text, html) goes through here.
        """
        if names_paper(label, name):
            return self.inline(text)
        line = one_line(text)
        span = name_span(line, name)
        # Concatenation, not an f-string: in HTML the parts are Markup and must stay so.
        if span is None:
            return self.bold(self.plain(name)) + ": " + self.inline(line)
        start, end = span
        head, core, tail = line[:start], line[start:end], line[end:]
        if _MARKUP.search(head + core) or _MARKUP.match(tail):  # the editor's own markup
            return self.inline(line)
        out = self.bold(self.inline(core))
        if head.strip():
            out = self.inline(head) + (" " if head[-1:].isspace() else "") + out
        if tail.strip():
            out = out + (" " if tail[:1].isspace() else "") + self.inline(tail)
        return out

    def _item(self, text: str, lead: bool) -> str:
        return self.lead(text) if lead else self.inline(text)

    def bullets(self, items: Iterable[Any], *, lead: bool = False, claim: bool = False) -> str:
        lines = []
        for item in items:
            text, points = _bullet_parts(item)
            lines.append("- " + (self.claim(text) if claim else self._item(text, lead)))
            lines.extend(self.sub_indent + "- " + self._item(point, lead) for point in points)
        return "\n".join(lines)

    @staticmethod
    def _reads_inline(items: list[Any], lead: bool) -> bool:
        """One plain item reads as 'Label: text'; a lead-term item stays a bullet."""
        return (len(items) == 1 and isinstance(items[0], str)
                and not (lead and split_lead(one_line(items[0]))[0]))

    def labelled_list(self, label: str, items: list[Any], *, lead: bool = False,
                      inline: bool = True) -> str:
        """One item reads as a labelled line (unless not ``inline``); several as a label
        over a list."""
        if inline and self._reads_inline(items, lead):
            return f"{label}: {self._item(items[0], lead)}"
        return f"{label}:\n{self.bullets(items, lead=lead)}"

    def rule(self) -> str:
        return "---"

    def date(self, value: dt.date, form: str = "long") -> str:
        """The date in the publication's language: ``long`` ('April 19, 2026') or
        ``short`` ('Apr 19, 2026'), as CLDR writes them."""
        from newsletter.render.dates import format_date

        return self.plain(format_date(value, form, self._language))


class MarkdownFormat(TextFormat):
    """CommonMark that newsletter platforms accept."""

    name = "md"
    # Four spaces: CommonMark nests a sub-bullet at two (the parent's content column) or
    # more, Python-Markdown (MkDocs, many platforms) only at four.
    sub_indent = "    "

    def plain(self, text: str) -> str:
        return escape_markdown(text)

    def inline(self, text: str) -> str:
        return markdown_source(one_line(text))

    def prose(self, text: str) -> str:
        return separate_lists(markdown_source(text))

    def bold(self, text: str) -> str:
        return f"**{text}**"

    def title(self, text: str) -> str:
        return f"# {text}"

    def heading(self, level: int, text: str) -> str:
        return f"{'#' * (level + 1)} {text}"

    def link(self, text: str, url: str) -> str:
        href = url.replace("<", "%3C").replace(">", "%3E")
        if _BARE_DESTINATION.fullmatch(href) and _balanced(href):
            return f"[{text}]({href})"
        # Inside <...> a destination may hold spaces and unbalanced parentheses.
        return f"[{text}](<{href}>)"

    def labelled(self, label: str, text: str) -> str:
        return f"**{label}:** {self.prose(text)}" if text else f"**{label}:**"

    def lead(self, text: str) -> str:
        lead, rest = split_lead(one_line(text))
        if lead is None:
            return self.inline(text)
        return f"**{markdown_source(lead)}:** {markdown_source(rest)}".rstrip()

    def claim(self, text: str) -> str:
        if text.lstrip().startswith("**"):  # the editor already marked the claim
            return self.inline(text)
        first, rest = split_first_sentence(one_line(text))
        return f"**{markdown_source(first)}** {markdown_source(rest)}".rstrip()

    def labelled_list(self, label: str, items: list[Any], *, lead: bool = False,
                      inline: bool = True) -> str:
        if inline and self._reads_inline(items, lead):
            return f"**{label}:** {self._item(items[0], lead)}"
        return f"**{label}:**\n\n{self.bullets(items, lead=lead)}"


FORMATS: dict[str, type[TextFormat]] = {"md": MarkdownFormat, "text": TextFormat}


class HtmlFormat(TextFormat):
    """HTML fragments for the page and email templates; every value is escaped or sanitised.

    Methods return ``markupsafe.Markup``, so Jinja's autoescape leaves them alone and
    escapes everything else. Inside, the pieces are plain strings of HTML that is already
    safe, joined and wrapped once: a Markup per piece (its ``%`` and ``+`` escape every
    operand again) was most of the time of rendering a page.
    """

    name = "html"

    def __init__(self, language: str = "en") -> None:
        from markupsafe import Markup, escape

        from newsletter.render import safehtml

        super().__init__(language)
        self._markup = Markup
        self._escape = escape
        # Bound once: a page makes some twenty calls a paper, and an import in each was a
        # tenth of their cost.
        self._inline_html = safehtml.inline_html
        self._block_html = safehtml.block_html
        self._plain_line = safehtml.is_plain_line

    @staticmethod
    def _marked(text: str, html: str, *, block: bool = False) -> str:
        """``html``, marked as unreviewed when ``text`` is a model's (``Generated``)."""
        if not isinstance(text, Generated):
            return html
        tag = "div" if block else "mark"
        return f'<{tag} class="generated" title="{GENERATED_TITLE}">{html}</{tag}>'

    # The parts, as safe HTML strings.

    def _inline(self, text: str) -> str:
        return self._marked(text, self._inline_html(text))

    def _prose(self, text: str) -> str:
        return self._marked(text, self._block_html(text), block=True)

    def _lead(self, text: str) -> str:
        line = one_line(text)
        lead, rest = split_lead(line)
        if lead is None:
            return self._inline(text)
        if self._plain_line(line):  # then so are its parts, which inline_html keeps as is
            head = f'<strong class="lead">{lead}:</strong>'
        else:
            head = f'<strong class="lead">{self._inline_html(lead)}:</strong>'
            rest = self._inline_html(rest)
        return self._marked(text, f"{head} {rest}" if rest else head)

    def _claim(self, text: str) -> str:
        if text.lstrip().startswith("**"):
            return self._inline(text)
        first, rest = split_first_sentence(one_line(text))
        return self._marked(text, f"<strong>{self._inline(first)}</strong> "
                                  f"{self._inline(rest)}")

    def _item(self, text: str, lead: bool) -> str:
        return self._lead(text) if lead else self._inline(text)

    def _bullets(self, items: Iterable[Any], lead: bool, claim: bool) -> str:
        parts = ["<ul>"]
        write = self._claim if claim else self._lead if lead else self._inline
        for item in items:
            if isinstance(item, str):
                parts += ("<li>", write(item), "</li>")
                continue
            text, points = _bullet_parts(item)
            parts += ("<li>", write(text))
            if points:
                parts.append(self._bullets(points, lead, False))
            parts.append("</li>")
        parts.append("</ul>")
        return "".join(parts)

    def _label(self, label: str) -> str:
        return f'<strong class="label">{self._escape(label)}:</strong>'

    # What templates call.

    def plain(self, text: str) -> Any:
        return self._markup(self._marked(text, self._escape(text)))

    def inline(self, text: str) -> Any:
        return self._markup(self._inline(text))

    def prose(self, text: str) -> Any:
        return self._markup(self._prose(text))

    def bold(self, text: str) -> Any:
        return self._markup(f"<strong>{self._escape(text)}</strong>")

    def link(self, text: str, url: str) -> Any:
        from newsletter.render.safehtml import is_safe_url

        if not is_safe_url(url):  # the models refuse these; never let one reach an href
            return self._escape(text)
        return self._markup(f'<a href="{self._escape(url)}">{self._escape(text)}</a>')

    def labelled(self, label: str, text: str) -> Any:
        label_html = self._label(label)
        if not text:
            return self._markup(f"<p>{label_html} </p>")
        body = self._prose(str(text))
        if body.startswith("<p>"):
            html = f"<p>{label_html} {body[3:]}"
        else:
            html = f"<p>{label_html} </p>{body}"
        return self._markup(self._marked(text, html, block=True))

    def lead(self, text: str) -> Any:
        return self._markup(self._lead(text))

    def claim(self, text: str) -> Any:
        return self._markup(self._claim(text))

    def bullets(self, items: Iterable[Any], *, lead: bool = False, claim: bool = False) -> Any:
        return self._markup(self._bullets(items, lead, claim))

    def labelled_list(self, label: str, items: list[Any], *, lead: bool = False,
                      inline: bool = True) -> Any:
        label_html = self._label(label)
        if inline and self._reads_inline(items, lead):
            return self._markup(f"<p>{label_html} {self._item(items[0], lead)}</p>")
        return self._markup(f'<p class="list-label">{label_html}</p>'
                            + self._bullets(items, lead, False))


FORMATS["html"] = HtmlFormat
