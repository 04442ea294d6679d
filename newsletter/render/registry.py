"""Every output format in one place: what `render`, `styles`, the preview and the site read.

A format is a name, a file extension, a media type, the template a style folder provides for
it (or the formats it is built from), how its values are escaped, and whether it is made per
issue or per publication. Adding one means adding its entry here, its template, its tests.

This module imports nothing heavy: the CLI reads it to list formats in ``--help``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, NamedTuple

Escaping = Literal["markdown", "text", "html"]
Scope = Literal["issue", "publication"]


# A NamedTuple, not a dataclass: built at start-up for --help, and a tenth of the cost.
class OutputFormat(NamedTuple):
    name: str
    extension: str
    media_type: str
    summary: str
    # Template names looked for in a style's folder, first found wins (``issue.j2`` serves
    # Markdown and text alike). Empty for a format built from other formats.
    templates: tuple[str, ...]
    escaping: Escaping
    # The class in ``newsletter.render.formats`` whose methods the templates write with.
    writer: str
    scope: Scope = "issue"
    # For a composite (an email is its HTML and text renderings): the formats it needs, and
    # the function in ``newsletter.render`` that builds it from them.
    parts: tuple[str, ...] = ()
    builder: str = ""
    # The format that is this one's body alone, which `render --fragment` picks, if any.
    fragment: str = ""

    @property
    def autoescape(self) -> bool:
        return self.escaping == "html"

    def template_in(self, folder: Path) -> str | None:
        """The first of this format's templates that ``folder`` has, if any."""
        return next((name for name in self.templates if (folder / name).is_file()), None)


FORMATS: dict[str, OutputFormat] = {fmt.name: fmt for fmt in (
    OutputFormat("md", "md", "text/markdown; charset=utf-8", "Markdown (CommonMark)",
                 ("issue.md.j2", "issue.j2"), "markdown", "MarkdownFormat"),
    OutputFormat("text", "txt", "text/plain; charset=utf-8", "plain text",
                 ("issue.txt.j2", "issue.j2"), "text", "TextFormat"),
    OutputFormat("html", "html", "text/html; charset=utf-8", "a web page",
                 ("issue.html.j2",), "html", "HtmlFormat", fragment="html-fragment"),
    OutputFormat("email", "eml", "message/rfc822",
                 "an RFC 5322 .eml message with text and HTML parts",
                 (), "html", "", parts=("html", "text"), builder="email_message"),
    # The email's HTML body alone, for an email service's editor: a composite of the html
    # template in the email's layout; `--format html --fragment` names it too.
    OutputFormat("html-fragment", "html", "text/html; charset=utf-8",
                 "the email's HTML body, CSS inlined, to paste into an email service",
                 (), "html", "", parts=("html",), builder="html_fragment"),
)}


def fragment_of(name: str) -> str | None:
    """The format ``--fragment`` makes of ``--format name``, if it has one."""
    fmt = FORMATS.get(name)
    return fmt.fragment if fmt is not None and fmt.fragment else None


def with_fragments() -> tuple[str, ...]:
    """The formats ``--fragment`` goes with."""
    return tuple(name for name, fmt in FORMATS.items() if fmt.fragment)


def issue_formats() -> tuple[str, ...]:
    """Names of the formats ``render`` makes of one issue."""
    return tuple(name for name, fmt in FORMATS.items() if fmt.scope == "issue")


def formats_in(folder: Path) -> tuple[str, ...]:
    """The formats a style folder can render: those it has a template for, and the
    composites whose parts it has."""
    found = [name for name, fmt in FORMATS.items()
             if fmt.templates and fmt.template_in(folder) is not None]
    found += [name for name, fmt in FORMATS.items()
              if fmt.parts and all(part in found for part in fmt.parts)]
    return tuple(found)


def format_help() -> str:
    return ", ".join(f"{name} ({fmt.summary})" for name, fmt in FORMATS.items()
                     if fmt.scope == "issue")
