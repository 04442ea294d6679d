"""A draft's web page marks what a model wrote and no editor has reviewed (``generated``);
the marks are valid HTML in every style, and never reach the email or the text formats."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest

from newsletter.entries.models import DRAFTABLE
from newsletter.entries.styles import all_styles
from tests.support.cli import Cli
from tests.support.paths import EXAMPLES
from tests.support.tools import email_html, format_vnu_errors, vnu_errors

HTML_STYLES = sorted(style.name for style in all_styles() if "html" in style.formats)
MARK = re.compile(r'<(mark|div) class="generated" title="Written by a model; not yet '
                  r'reviewed">')


def _drafted_copy(style: str, folder: Path) -> tuple[Path, int]:
    """The style's example as a draft whose every draftable field is marked generated;
    and how many fields that is."""
    target = folder / style
    shutil.copytree(EXAMPLES / style, target,
                    ignore=shutil.ignore_patterns(".newsletter-cache"))
    issue = target / "issue.toml"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace('status = "published"', 'status = "draft"'),
                     encoding="utf-8")
    count = 0
    for path in sorted((target / "papers").glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        names = [name for name in DRAFTABLE if tomllib.loads(text).get(name)]
        count += len(names)
        line = "generated = [" + ", ".join(f'"{name}"' for name in names) + "]\n"
        # A top-level key goes before the file's first table, if it has one.
        table = re.search(r"(?m)^\[", text)
        at = table.start() if table else len(text)
        path.write_text(text[:at] + line + text[at:], encoding="utf-8")
    return target, count


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("generated")
    cli = Cli()
    found = {}
    for style in HTML_STYLES:
        issue, _ = _drafted_copy(style, folder)
        result = cli("render", issue, "--format", "html")
        assert result.exit_code == 0, result.output
        page = folder / f"{style}.html"
        page.write_text(result.stdout, encoding="utf-8")
        found[style] = (issue, result.stdout)
    return found


@pytest.mark.parametrize("style", HTML_STYLES)
def test_a_draft_page_marks_the_generated_text(pages: dict[str, tuple[Path, str]],
                                               style: str) -> None:
    issue, html = pages[style]
    marks = MARK.findall(html)
    assert marks, f"no generated text marked in the {style} page"
    paper = next(iter(sorted((issue / "papers").glob("*.toml"))))
    data = tomllib.loads(paper.read_text(encoding="utf-8"))
    if isinstance(data.get("headline"), str) and data["headline"] in html:
        shown = re.escape(data["headline"].replace("&", "&amp;").replace("'", "&#39;"))
        assert re.search(MARK.pattern + r"[^<]*" + shown[:20], html) or \
            re.search(MARK.pattern + r"(?:<[^>]+>)*" + shown[:20], html), \
            f"{style}: the headline is shown but not marked"


def test_the_marks_are_valid_html(pages: dict[str, tuple[Path, str]],
                                  tmp_path: Path) -> None:
    files = []
    for style, (_, html) in pages.items():
        path = tmp_path / f"{style}.html"
        path.write_text(html, encoding="utf-8")
        files.append(path)
    errors = vnu_errors(files)
    assert not any(errors.values()), format_vnu_errors(errors)


@pytest.mark.parametrize("output_format", ["md", "text"])
def test_text_formats_carry_no_mark(pages: dict[str, tuple[Path, str]],
                                    output_format: str) -> None:
    issue, _ = pages["briefing"]
    result = Cli()("render", issue, "--format", output_format)
    assert result.exit_code == 0, result.output
    assert "Written by a model" not in result.stdout and "<mark" not in result.stdout


def test_the_email_carries_no_mark(pages: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    issue, _ = pages["briefing"]
    out = tmp_path / "x.eml"
    result = Cli()("render", issue, "--format", "email", "--from", "Ed <ed@example.com>",
                   "--output", out)
    assert result.exit_code == 0, result.output
    assert "Written by a model" not in email_html(out) and "<mark" not in email_html(out)


def test_a_reviewed_paper_is_not_marked(tmp_path: Path) -> None:
    issue, _ = _drafted_copy("briefing", tmp_path)
    for path in (issue / "papers").glob("*.toml"):
        path.write_text(re.sub(r"(?m)^generated = .*\n", "", path.read_text()))
    result = Cli()("render", issue, "--format", "html")
    assert result.exit_code == 0, result.output
    assert not MARK.search(result.stdout)
