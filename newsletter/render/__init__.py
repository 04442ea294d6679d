"""Render a checked issue through its style's Jinja2 template into one output format."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.entries.loading import LoadedIssue
from newsletter.entries.styles import Style, builtin_templates_dir
from newsletter.errors import NewsletterError, UsageError

if TYPE_CHECKING:
    import jinja2

OUTPUT_FORMATS = ("md", "text", "html")
_EXTENSIONS = {"md": "md", "text": "txt", "html": "html"}
_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.M)


def _template_name(style: Style, output_format: str) -> str:
    specific = f"issue.{_EXTENSIONS[output_format]}.j2"
    if output_format == "html" or (style.folder / specific).is_file():
        return specific  # HTML has its own templates: the one for md/text would not escape
    return "issue.j2"


def document_title(loaded: LoadedIssue) -> str:
    """The issue's title for a page <title> or an email subject."""
    assert loaded.issue is not None
    name = loaded.publication.name if loaded.publication else None
    if loaded.issue.title and name and name.casefold() not in loaded.issue.title.casefold():
        return f"{loaded.issue.title} – {name}"
    if loaded.issue.title:
        return loaded.issue.title
    return f"{name or 'Issue'} – Issue {loaded.issue.number}"


def _tidy(text: str) -> str:
    """One blank line between blocks, no trailing spaces, one final newline."""
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_RUNS.sub("\n\n", text).strip("\n") + "\n"


@cache
def _environment(search_path: tuple[Path, ...], autoescape: bool) -> jinja2.Environment:
    """One environment per template path, reused: templates compile once per process."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(search_path),
        undefined=jinja2.StrictUndefined,
        # Markdown and text are escaped by the format object; HTML by Jinja as well.
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # A template is included once per paper: without this, each include stats its file
        # to see whether it changed since this process loaded it.
        auto_reload=False,
    )


def render_issue(loaded: LoadedIssue, style: Style, output_format: str, *,
                 for_email: bool = False) -> str:
    """The issue as a document. The caller checks it first (see ``check_issue``).

    ``for_email`` asks the HTML templates for the mail-client layout (tables, no scripts).
    """
    import jinja2

    from newsletter.render import arrange
    from newsletter.render.formats import FORMATS

    if output_format not in style.formats or output_format not in FORMATS:
        raise UsageError(f"style '{style.name}' has no '{output_format}' format; it renders "
                         f"{', '.join(style.formats)}")
    if loaded.issue is None:
        raise NewsletterError(f"{loaded.issue_path}: cannot render an issue that did not load")
    search_path: list[Path] = [style.folder]
    search_path += [d / "_base" for d in loaded.template_dirs]
    search_path.append(builtin_templates_dir() / "_base")
    env = _environment(tuple(search_path), output_format == "html")
    papers = [item.paper for item in loaded.papers]
    context = {
        "issue": loaded.issue,
        "publication": loaded.publication,
        "papers": papers,
        "style": style,
        "labels": style.labels,
        "f": FORMATS[output_format](),
        "ranked": arrange.ranked,
        "featured": arrange.featured,
        "noted": arrange.noted,
        "sections": arrange.sections,
        "is_group": arrange.is_group,
        "for_email": for_email,
        "document_title": document_title(loaded),
    }
    template_name = _template_name(style, output_format)
    if not any((folder / template_name).is_file() for folder in search_path):
        raise UsageError(f"style '{style.name}' has no {output_format} template "
                         f"({style.folder / template_name})")
    try:
        template = env.get_template(template_name)
        return _tidy(template.render(context))
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or style.folder / template_name
        line = getattr(exc, "lineno", None)
        raise NewsletterError(f"{where}:{line or 1}: template error: {exc}") from exc
