"""The rendering of one issue in its house style: ``render_document``, the one entry point.

Every format it can make is in ``registry.FORMATS``; a template format goes through the
style's Jinja2 template, a composite (the email) is built from its parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.errors import NewsletterError, UsageError
from newsletter.render.registry import FORMATS, issue_formats

if TYPE_CHECKING:
    import jinja2

    from newsletter.entries.loading import LoadedIssue
    from newsletter.entries.styles import Style

# Spelled with a literal start, which lets the regex engine skip ahead at C speed: "\n{3,}"
# took a millisecond a page.
_BLANK_RUNS = re.compile(r"\n\n\n+")


def document_title(loaded: LoadedIssue) -> str:
    """The issue's title for a page <title> or an email subject."""
    assert loaded.issue is not None
    name = loaded.publication.name if loaded.publication else None
    if loaded.issue.title and name and name.casefold() not in loaded.issue.title.casefold():
        return f"{loaded.issue.title} – {name}"
    if loaded.issue.title:
        return loaded.issue.title
    return f"{name} – Issue {loaded.issue.number}" if name else f"Issue {loaded.issue.number}"


def _tidy(text: str) -> str:
    """One blank line between blocks, no trailing spaces, one final newline."""
    # Every run of trailing spaces and tabs ends in one of these (a regex, "[ \t]+$", was
    # tried at every space of the page).
    if " \n" in text or "\t\n" in text or text.endswith((" ", "\t")):
        text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip("\n") + "\n"


@cache
def _environment(search_path: tuple[Path, ...], autoescape: bool) -> jinja2.Environment:
    """One environment per template path, reused: templates compile once per process.

    A path that reaches a publication's own templates gets the sandbox: they come with pull
    requests, and CI's check and the editor's render run them. The built-in styles alone
    do not: measured, the sandbox cost them 6-14% of a whole render command.
    """
    import os

    import jinja2

    from newsletter.entries.styles import builtin_templates_dir

    options = dict(
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
    builtin = os.path.realpath(builtin_templates_dir()) + os.sep
    if all(os.path.realpath(folder).startswith(builtin) for folder in search_path):
        from newsletter.render.compiled import bytecode_cache, cache_options

        return jinja2.Environment(loader=jinja2.FileSystemLoader(search_path),
                                  bytecode_cache=bytecode_cache(cache_options(**options)),
                                  **options)
    from newsletter.render.sandbox import TemplateSandbox

    return TemplateSandbox(search_path, builtin_templates_dir(), **options)


def template_environment(search_path: tuple[Path, ...], *,
                         autoescape: bool) -> jinja2.Environment:
    """The environment templates on ``search_path`` render in: the sandbox as soon as one
    folder is a publication's (see ``_environment``). For templates other than an issue's
    formats, such as ``newsletter draft``'s prompt."""
    return _environment(search_path, autoescape)


@dataclass(frozen=True, slots=True)
class RenderWarning:
    """What a render noticed that its reader would want fixed, but that does not stop it
    (an email Gmail would clip): one line, ``path: warning: message``."""

    path: Path
    message: str

    def as_text(self) -> str:
        from newsletter.entries.problems import display_path, printable

        return f"{display_path(self.path)}: warning: {printable(self.message)}"


@dataclass(frozen=True, slots=True)
class SitePage:
    """What an issue's page links to when it is part of a static site (``newsletter
    site``): the archive its Back to archive link leads to, and the feeds its <head>
    announces, each (media type, title, href). Hrefs are relative to the page."""

    archive_url: str
    feeds: tuple[tuple[str, str, str], ...] = ()


_ANCHOR_WORDS = re.compile(r"[^a-z0-9]+")


def paper_anchors(loaded: LoadedIssue) -> list[str]:
    """The id of each paper (``loaded.papers``, in order) on the issue's web page: from
    its file's name, which does not change when papers are added, reordered or scored
    anew (``papers/03-globalsplat.toml`` → ``paper-03-globalsplat``); unique in the page.
    Templates ask for it with ``anchor(paper)``; the site links to it."""
    found: list[str] = []
    taken: set[str] = set()
    for item in loaded.papers:
        base = "paper-" + (_ANCHOR_WORDS.sub("-", item.source.path.stem.lower()).strip("-")
                           or "x")
        anchor, count = base, 1
        while anchor in taken:
            count += 1
            anchor = f"{base}-{count}"
        taken.add(anchor)
        found.append(anchor)
    return found


def _anchor_of(loaded: LoadedIssue, papers: list[Any]) -> Callable[[object], str]:
    """``anchor(paper)`` for templates, over ``papers``: the issue's papers in file order,
    as the templates get them (a draft page's may be marked copies)."""
    by_paper = {id(paper): anchor
                for paper, anchor in zip(papers, paper_anchors(loaded), strict=True)}
    return lambda paper: by_paper.get(id(paper), "")


@dataclass(frozen=True, slots=True)
class MailHeaders:
    """Header values given on the command line; each falls back to newsletter.toml."""

    subject: str | None = None
    sender: str | None = None
    recipients: str | None = None


def render_document(loaded: LoadedIssue, style: Style, output_format: str, *,
                    headers: MailHeaders | None = None,
                    warnings: list[RenderWarning] | None = None,
                    site: SitePage | None = None) -> bytes:
    """The one entry point: the checked issue as the bytes of one output format.
    ``warnings``, when given, collects what the render noticed (see RenderWarning);
    ``site``, what a web page links to as a page of a static site (see SitePage)."""
    fmt = FORMATS.get(output_format)
    if fmt is None or fmt.scope != "issue":
        raise UsageError(f"--format must be one of {', '.join(issue_formats())}, "
                         f"not '{output_format}'")
    if output_format not in style.formats:
        raise UsageError(f"style '{style.name}' has no {output_format} format; it renders "
                         f"{', '.join(style.formats)}")
    if fmt.builder:
        build = _BUILDERS[fmt.builder]
        return build(loaded, style, headers or MailHeaders(),
                     warnings if warnings is not None else [])
    return render_text(loaded, style, output_format, site=site).encode("utf-8")


def render_text(loaded: LoadedIssue, style: Style, output_format: str, *,
                for_email: bool = False, site: SitePage | None = None) -> str:
    """A template format's rendering as text. The caller checks the issue first (see
    ``check_issue``).

    ``for_email`` asks the HTML templates for the mail-client layout (tables, no scripts).
    """
    from types import MappingProxyType

    from newsletter.render import arrange, formats
    from newsletter.render.sandbox import (
        TemplateRenderError,
        frozen_view,
        metered,
        template_failure,
    )

    fmt = FORMATS[output_format]
    if loaded.issue is None:
        raise NewsletterError(f"{loaded.issue_path}: cannot render an issue that did not load")
    template_name = fmt.template_in(style.folder)
    if template_name is None:
        raise UsageError(f"style '{style.name}' has no {output_format} template in "
                         f"{style.folder}")
    search_path: list[Path] = [style.folder]
    # Only a _base that is there: without one, the built-in styles need no sandbox.
    search_path += [d / "_base" for d in loaded.template_dirs if (d / "_base").is_dir()]
    from newsletter.entries.styles import builtin_templates_dir

    search_path.append(builtin_templates_dir() / "_base")
    env = _environment(tuple(search_path), fmt.autoescape)
    # A draft's web page (the preview's, a --drafts site's) marks what a model wrote and
    # no editor has read; the email and the text formats do not.
    mark_generated = (fmt.escaping == "html" and not for_email
                      and loaded.issue.status == "draft")
    papers = [_marked(item.paper) if mark_generated else item.paper for item in loaded.papers]
    context = {
        "issue": loaded.issue,
        "publication": loaded.publication,
        "papers": papers,
        # Read-only: the style is cached and shared by every issue a process renders.
        "style": frozen_view(style),
        "labels": MappingProxyType(style.labels),
        # Writes dates in the publication's language (newsletter/render/dates.py).
        "f": getattr(formats, fmt.writer)(
            loaded.publication.language if loaded.publication else "en"),
        "ranked": arrange.ranked,
        "featured": arrange.featured,
        "noted": arrange.noted,
        "sections": arrange.sections,
        "is_group": arrange.is_group,
        "for_email": for_email,
        # A draft may be incomplete (what its style requires can be missing): templates
        # leave such parts out, and mark the page and the email as a draft.
        "draft": loaded.issue.status == "draft",
        "document_title": document_title(loaded),
        # The id of each paper on the page (paper_anchors), and the site the page is in.
        "anchor": _anchor_of(loaded, papers),
        "site": None if for_email else site,
        # Only in the email's two parts: the preheader and the unsubscribe link (mail.py).
        **(_email_context(loaded, style) if for_email else _NOT_EMAIL),
    }
    try:
        if not env.sandboxed:
            return _tidy(env.get_template(template_name).render(context))
        # A publication's templates: compiling and tidying are metered with the render.
        with metered() as meter:
            try:
                template = env.get_template(template_name)
            except RecursionError:  # Jinja's parser recurses: (((…))) a few hundred deep
                _, where, _ = env.loader.get_source(env, template_name)  # type: ignore[union-attr]
                raise TemplateRenderError(Path(where), 1, "nested too deeply to compile "
                                          "(brackets, parentheses or blocks)") from None
            text = _tidy(template.render(context))
            meter.check()  # tidying a page of 20 million characters takes a second
            return text
    except TemplateRenderError:
        raise
    except Exception as exc:
        # A template may fail in any way ({{ 1/0 }}, a wrong call of f.link, a sandbox
        # limit): when a publication's own template is on the stack, that template, at its
        # line, is what to fix. None: newsletter's own bug, reported as one.
        failure = template_failure(exc, tuple(search_path), builtin_templates_dir(),
                                   style.folder / template_name)
        if failure is None:
            raise
        raise failure from None


def _marked(paper: Any) -> Any:
    """``paper`` with each field of its ``generated`` held as ``formats.Generated`` text
    (bullets one by one), which the HTML format marks."""
    if not paper.generated:
        return paper
    from newsletter.render.formats import Generated

    def mark(value: Any) -> Any:
        if isinstance(value, str):
            return Generated(value)
        if isinstance(value, list):
            return [mark(item) for item in value]
        return value

    # model_copy does not validate: the marked strings stay what they are.
    return paper.model_copy(update={name: mark(getattr(paper, name))
                                    for name in paper.generated if getattr(paper, name)})


_NOT_EMAIL: dict[str, object] = {"preheader": None, "preheader_padding": "",
                                  "unsubscribe": None}


def _email_context(loaded: LoadedIssue, style: Style) -> dict[str, object]:
    from newsletter.render.mail import email_context

    assert loaded.issue is not None
    return email_context(loaded.issue, loaded.publication,
                         "lede" in (*style.requires_issue, *style.offers_issue))


def _clipped(loaded: LoadedIssue, html: str, what: str,
             warnings: list[RenderWarning]) -> None:
    from newsletter.render.mail import clipping_warning

    found = clipping_warning(html, len(loaded.papers), what)
    if found:
        warnings.append(RenderWarning(loaded.issue_path, found))


def _html_fragment(loaded: LoadedIssue, style: Style, headers: MailHeaders,
                   warnings: list[RenderWarning]) -> bytes:
    """The html-fragment format: the email's HTML body, CSS inlined, for an email service's
    editor (which adds its own <head>, list headers and unsubscribe link)."""
    from newsletter.render.mail import body_fragment, inline_css

    fragment = body_fragment(inline_css(render_text(loaded, style, "html", for_email=True)),
                             loaded.publication.language if loaded.publication else "en")
    _clipped(loaded, fragment, "the HTML fragment", warnings)
    return fragment.encode("utf-8")


def _email_message(loaded: LoadedIssue, style: Style, headers: MailHeaders,
                   warnings: list[RenderWarning]) -> bytes:
    """The email format: the HTML (mail layout) and text renderings as one message."""
    from newsletter.render.mail import build_message, inline_css

    assert loaded.issue is not None
    publication = loaded.publication
    sender = headers.sender or (publication.email_from if publication else None)
    recipients = headers.recipients or (publication.email_to if publication else None)
    if not sender:
        raise UsageError("the email format needs a sender: --from, or email_from in "
                         "newsletter.toml")
    # Where each header's value came from, for the one line that refuses it: a flag is
    # checked only here, a file's value by check as well.
    sources = {
        "Subject": "--subject" if headers.subject else
                   "the subject (the issue's title and the publication's name)",
        "From": "--from" if headers.sender else "email_from in newsletter.toml",
        "To": "--to" if headers.recipients else "email_to in newsletter.toml",
        "List-Id": "list_id in newsletter.toml",
        "List-Unsubscribe": "unsubscribe_url in newsletter.toml",
        "Content-Language": "language in newsletter.toml",
    }
    html = inline_css(render_text(loaded, style, "html", for_email=True))
    _clipped(loaded, html, "the HTML part", warnings)
    return build_message(
        html=html,
        text=render_text(loaded, style, "text", for_email=True),
        # A draft sent for review says so where a mail client shows it first (unless the
        # editor wrote the subject).
        subject=headers.subject or (("[Draft] " if loaded.issue.status == "draft" else "")
                                    + document_title(loaded)),
        sender=sender, recipients=recipients, date=loaded.issue.date, sources=sources,
        unsubscribe=_targets(publication.unsubscribe_url if publication else None),
        list_id=publication.list_id if publication else None,
        language=publication.language if publication else "en")


def _targets(value: str | list[str] | None) -> tuple[str, ...]:
    return () if not value else (value,) if isinstance(value, str) else tuple(value)


_BUILDERS: dict[str, Callable[[LoadedIssue, Style, MailHeaders, list[RenderWarning]],
                              bytes]] = {
    "email_message": _email_message, "html_fragment": _html_fragment}


def forget_templates() -> None:
    """Compile templates afresh on next use. Environments keep compiled templates and do
    not look at their files again (auto_reload is off, for speed); a long-running preview
    calls this after a save, since the save may have changed a template override."""
    _environment.cache_clear()
