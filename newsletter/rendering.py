"""Render a checked issue through its style's Jinja2 template into one output format."""

from __future__ import annotations

import re
from pathlib import Path

from newsletter.errors import NewsletterError, UsageError
from newsletter.loading import LoadedIssue
from newsletter.styles import Style, builtin_templates_dir

OUTPUT_FORMATS = ("md", "text")
_EXTENSIONS = {"md": "md", "text": "txt"}
_BLANK_RUNS = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.M)


def _template_name(style: Style, output_format: str) -> str:
    specific = f"issue.{_EXTENSIONS[output_format]}.j2"
    return specific if (style.folder / specific).is_file() else "issue.j2"


def _tidy(text: str) -> str:
    """One blank line between blocks, no trailing spaces, one final newline."""
    text = _TRAILING_SPACE.sub("", text)
    return _BLANK_RUNS.sub("\n\n", text).strip("\n") + "\n"


def render_issue(loaded: LoadedIssue, style: Style, output_format: str) -> str:
    """The issue as a document. The caller checks it first (see ``check_issue``)."""
    import jinja2

    from newsletter import arrange
    from newsletter.formats import FORMATS

    if output_format not in style.formats or output_format not in FORMATS:
        raise UsageError(f"style '{style.name}' has no '{output_format}' format; it renders "
                         f"{', '.join(style.formats)}")
    if loaded.issue is None:
        raise NewsletterError(f"{loaded.issue_path}: cannot render an issue that did not load")
    search_path: list[Path] = [style.folder]
    search_path += [d / "_base" for d in loaded.template_dirs]
    search_path.append(builtin_templates_dir() / "_base")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(search_path),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown and text; the format object does the escaping
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
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
    }
    template_name = _template_name(style, output_format)
    try:
        template = env.get_template(template_name)
        return _tidy(template.render(context))
    except jinja2.TemplateError as exc:
        where = getattr(exc, "filename", None) or style.folder / template_name
        line = getattr(exc, "lineno", None)
        raise NewsletterError(f"{where}:{line or 1}: template error: {exc}") from exc
