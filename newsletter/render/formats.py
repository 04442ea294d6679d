"""The building blocks a style template writes with, one class per output format.

A template says *what* a block is (a heading, a labelled paragraph, a list of bullets);
the format object says how that looks in Markdown or in plain text. So one template per
style serves both formats, and the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
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

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


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

    def named(self, name: str, text: str) -> str:
        """A roundup bullet: the paper's short name in bold, then what it contributes.

        When the text already opens with the name, the name is emphasised in place.
        """
        rest = text[len(name):]
        if text.startswith(name) and rest[:1] in (" ", ",", ":", "'", "’"):
            space = " " if rest[:1] == " " else ""
            return self.bold(self.plain(name)) + space + self.inline(rest)
        # Concatenation, not an f-string: in HTML the parts are Markup and must stay so.
        return self.bold(self.plain(name)) + ": " + self.inline(text)

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

    def labelled_list(self, label: str, items: list[Any], *, lead: bool = False) -> str:
        """One item reads as a labelled line; several as a label over a list."""
        if self._reads_inline(items, lead):
            return f"{label}: {self._item(items[0], lead)}"
        return f"{label}:\n{self.bullets(items, lead=lead)}"

    def rule(self) -> str:
        return "---"

    def date(self, value: dt.date, form: str = "long") -> str:
        month = _MONTHS[value.month - 1]
        if form == "short":
            month = month[:3]
        return f"{month} {value.day}, {value.year}"


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
        return f"[{text}](<{self._href(url)}>)"

    @staticmethod
    def _href(url: str) -> str:
        # Inside <...> a link destination may hold anything but line breaks and < >.
        return url.replace("<", "%3C").replace(">", "%3E")

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

    def labelled_list(self, label: str, items: list[Any], *, lead: bool = False) -> str:
        if self._reads_inline(items, lead):
            return f"**{label}:** {self._item(items[0], lead)}"
        return f"**{label}:**\n\n{self.bullets(items, lead=lead)}"


FORMATS: dict[str, type[TextFormat]] = {"md": MarkdownFormat, "text": TextFormat}


class HtmlFormat(TextFormat):
    """HTML fragments for the page and email templates; every value is escaped or sanitised.

    Methods return ``markupsafe.Markup``, so Jinja's autoescape leaves them alone and
    escapes everything else.
    """

    name = "html"

    def __init__(self) -> None:
        from markupsafe import Markup, escape

        self._markup = Markup
        self._escape = escape

    def plain(self, text: str) -> Any:
        return self._escape(text)

    def inline(self, text: str) -> Any:
        from newsletter.render.safehtml import inline_html

        return self._markup(inline_html(text))

    def prose(self, text: str) -> Any:
        from newsletter.render.safehtml import block_html

        return self._markup(block_html(text))

    def bold(self, text: str) -> Any:
        return self._markup("<strong>%s</strong>") % text

    def link(self, text: str, url: str) -> Any:
        from newsletter.render.safehtml import is_safe_url

        if not is_safe_url(url):  # the models refuse these; never let one reach an href
            return self._escape(text)
        return self._markup('<a href="%s">%s</a>') % (url, text)

    def labelled(self, label: str, text: str) -> Any:
        label_html = self._markup('<strong class="label">%s:</strong> ') % label
        if not text:
            return self._markup("<p>%s</p>") % label_html
        body = str(self.prose(text))
        if body.startswith("<p>"):
            return self._markup("<p>") + label_html + self._markup(body[3:])
        return self._markup("<p>%s</p>") % label_html + self._markup(body)

    def lead(self, text: str) -> Any:
        lead, rest = split_lead(one_line(text))
        if lead is None:
            return self.inline(text)
        return (self._markup('<strong class="lead">%s:</strong> ') % self.inline(lead)
                + self.inline(rest) if rest else
                self._markup('<strong class="lead">%s:</strong>') % self.inline(lead))

    def claim(self, text: str) -> Any:
        if text.lstrip().startswith("**"):
            return self.inline(text)
        first, rest = split_first_sentence(one_line(text))
        return self._markup("<strong>%s</strong> %s") % (self.inline(first), self.inline(rest))

    def _item_html(self, text: str, lead: bool) -> Any:
        return self.lead(text) if lead else self.inline(text)

    def bullets(self, items: Iterable[Any], *, lead: bool = False, claim: bool = False) -> Any:
        parts = [self._markup("<ul>")]
        for item in items:
            text, points = _bullet_parts(item)
            body = self.claim(text) if claim else self._item_html(text, lead)
            parts.append(self._markup("<li>%s") % body)
            if points:
                parts.append(self.bullets(points, lead=lead))
            parts.append(self._markup("</li>"))
        parts.append(self._markup("</ul>"))
        return self._markup("").join(parts)

    def labelled_list(self, label: str, items: list[Any], *, lead: bool = False) -> Any:
        label_html = self._markup('<strong class="label">%s:</strong>') % label
        if self._reads_inline(items, lead):
            return self._markup("<p>%s %s</p>") % (label_html, self._item_html(items[0], lead))
        return (self._markup('<p class="list-label">%s</p>') % label_html
                + self.bullets(items, lead=lead))


FORMATS["html"] = HtmlFormat
