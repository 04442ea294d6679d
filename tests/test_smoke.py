"""Every bundled example checks clean and renders in its own style, in every format."""

from __future__ import annotations

import email
import email.policy
import re
from html.parser import HTMLParser

import pytest

from tests.support.cli import Result, Run, offered_formats
from tests.support.paths import EXAMPLES, STYLES, example_names, example_style

EXAMPLE_NAMES = example_names()
# The format list comes from `newsletter styles`, so a format a style gains is rendered here.
RENDERS = [(name, output_format) for name in EXAMPLE_NAMES
           for output_format in offered_formats().get(example_style(name), ())]
EMAIL_ARGS = ("--from", "Ed <ed@example.com>", "--to", "list@example.com")
# An example renders to pages of text; a template that lost its loop renders a few lines.
MIN_CHARS = 1_000
# Elements whose end tag HTML allows to be left out (or that have none).
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option",
                "html", "head", "body", "colgroup", "rt", "rp", "optgroup", "caption"}


@pytest.mark.parametrize("style", STYLES)
def test_example_checks_clean(run: Run, style: str) -> None:
    result = run("check", str(EXAMPLES / style))
    assert result.exit_code == 0, result.stdout
    assert result.lines[-1].startswith("All good:")


def test_every_style_has_an_example_and_offers_formats() -> None:
    """What the parametrised tests run over was found: each style has an example in it, and
    `newsletter styles` lists the style folders, each with its formats."""
    assert sorted(offered_formats()) == sorted(STYLES)
    assert all(offered_formats()[style] for style in STYLES), offered_formats()
    assert {example_style(name) for name in EXAMPLE_NAMES} >= set(STYLES)
    assert len(RENDERS) >= 2 * len(STYLES)


class Page(HTMLParser):
    """Parses a page strictly enough to fail on a broken template: every element that must
    be closed is closed, in order; the title's text is collected."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []
        self.doctype = ""
        self.title = ""
        self.tags: set[str] = set()

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        while self.open and self.open[-1] != tag and self.open[-1] in OPTIONAL_END:
            self.open.pop()
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'} "
                                 f"at {self.getpos()}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1] == "title":
            self.title += data


def assert_page(html: str) -> None:
    page = Page()
    page.feed(html)
    page.close()
    assert page.doctype.lower() == "doctype html", page.doctype
    assert not page.problems, page.problems[:5]
    unclosed = [tag for tag in page.open if tag not in OPTIONAL_END]
    assert not unclosed, f"never closed: {unclosed}"
    assert {"html", "head", "title", "body"} <= page.tags, sorted(page.tags)
    assert page.title.strip(), "an empty <title>"
    assert len(re.sub(r"<[^>]*>", "", html).strip()) >= MIN_CHARS // 2


def assert_markdown(text: str) -> None:
    assert re.search(r"^# \S", text, re.M), "no '# ' heading"
    assert len(text.strip()) >= MIN_CHARS


def assert_text(text: str) -> None:
    assert "**" not in text
    assert len(text.strip()) >= MIN_CHARS


def assert_email(raw: str) -> None:
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative", message.get_content_type()
    assert message.is_multipart() and not message.defects, message.defects
    assert str(message["Subject"]).strip() and message["From"] and message["To"]
    parts = {part.get_content_type(): part for part in message.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}, sorted(parts)
    assert_text(parts["text/plain"].get_content())
    assert_page(parts["text/html"].get_content())


def assert_fragment(html: str) -> None:
    """A body to paste into an email service: no document around it, every element closed."""
    page = Page()
    page.feed(html)
    page.close()
    assert not page.doctype and not {"html", "head", "body", "style"} & page.tags, page.tags
    assert not page.problems, page.problems[:5]
    assert not [tag for tag in page.open if tag not in OPTIONAL_END], page.open
    assert len(re.sub(r"<[^>]*>", "", html).strip()) >= MIN_CHARS // 2


CHECKS = {"md": assert_markdown, "text": assert_text, "html": assert_page,
          "email": assert_email, "html-fragment": assert_fragment}


@pytest.mark.parametrize(("example", "output_format"), RENDERS)
def test_example_renders_in_every_format_its_style_offers(
        run: Run, example: str, output_format: str) -> None:
    extra = EMAIL_ARGS if output_format == "email" else ()
    result: Result = run("render", str(EXAMPLES / example), "--format", output_format, *extra)
    assert result.exit_code == 0, result.stderr
    assert output_format in CHECKS, f"no check for the format {output_format!r}: add one"
    CHECKS[output_format](result.stdout)
