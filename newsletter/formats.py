"""The building blocks a style template writes with, one class per output format.

A template says *what* a block is (a heading, a labelled paragraph, a list of bullets);
the format object says how that looks in Markdown or in plain text. So one template per
style serves both formats, and the two cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from newsletter.markup import (
    escape_markdown,
    markdown_source,
    one_line,
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

    def bare_link(self, url: str) -> str:
        return url

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
        return f"{self.bold(self.plain(name))}: {self.inline(text)}"

    def _item(self, text: str, lead: bool) -> str:
        return self.lead(text) if lead else self.inline(text)

    def bullets(self, items: Iterable[Any], *, lead: bool = False, claim: bool = False) -> str:
        lines = []
        for item in items:
            text, points = _bullet_parts(item)
            lines.append("- " + (self.claim(text) if claim else self._item(text, lead)))
            lines.extend("  - " + self._item(point, lead) for point in points)
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

    def plain(self, text: str) -> str:
        return escape_markdown(text)

    def inline(self, text: str) -> str:
        return markdown_source(one_line(text))

    def prose(self, text: str) -> str:
        return markdown_source(text)

    def bold(self, text: str) -> str:
        return f"**{text}**"

    def title(self, text: str) -> str:
        return f"# {text}"

    def heading(self, level: int, text: str) -> str:
        return f"{'#' * (level + 1)} {text}"

    def link(self, text: str, url: str) -> str:
        return f"[{text}](<{self._href(url)}>)"

    def bare_link(self, url: str) -> str:
        return f"<{self._href(url)}>"

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

    def bullets(self, items: Iterable[Any], *, lead: bool = False, claim: bool = False) -> str:
        # Sub-bullets are indented to the parent's content column, as CommonMark wants.
        return super().bullets(items, lead=lead, claim=claim)

    def labelled_list(self, label: str, items: list[Any], *, lead: bool = False) -> str:
        if self._reads_inline(items, lead):
            return f"**{label}:** {self._item(items[0], lead)}"
        return f"**{label}:**\n\n{self.bullets(items, lead=lead)}"


FORMATS: dict[str, type[TextFormat]] = {"md": MarkdownFormat, "text": TextFormat}
