"""One registry of output formats: what render, styles and --help offer comes from it alone."""

from __future__ import annotations

import email
import email.policy
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from newsletter.render import registry
from newsletter.render.registry import FORMATS, OutputFormat
from tests.support.cli import Run
from tests.support.paths import EXAMPLES, STYLES


def test_render_offers_every_issue_format_of_the_registry(run: Run) -> None:
    result = run("render", "--help")
    for name, fmt in FORMATS.items():
        if fmt.scope == "issue":
            assert name in result.stdout


def test_an_unknown_format_names_every_format_of_the_registry(run: Run) -> None:
    result = run("render", str(EXAMPLES / "weekly"), "--format", "pdf")
    assert result.exit_code == 2
    assert f"--format must be one of {', '.join(registry.issue_formats())}, not 'pdf'" \
        in result.stderr


def test_a_style_renders_the_formats_its_folder_has_templates_for(run: Run) -> None:
    listed = run("styles").stdout
    for style in STYLES:
        block = listed.split(f"{style}\n", 1)[1]
        formats = block.split("formats: ", 1)[1].split("\n", 1)[0].split(", ")
        assert formats == list(registry.formats_in(EXAMPLES.parent / "templates" / style))


def _publication_with_style(root: Path, template: str, text: str) -> Path:
    """A publication whose own style 'mini' has one template, and an issue in it."""
    (root / "newsletter.toml").write_text('name = "Mini"\nstyle = "mini"\n')
    style = root / "templates" / "mini"
    style.mkdir(parents=True)
    (style / "style.toml").write_text('description = "One line per paper."\n')
    (style / template).write_text(text)
    issue = root / "issues" / "001"
    shutil.copytree(EXAMPLES / "weekly" / "papers", issue / "papers")
    (issue / "issue.toml").write_text("number = 1\ndate = 2026-04-19\n")
    return issue


def test_adding_a_format_takes_its_registry_entry_and_its_template(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The promise of the registry: no other code learns a format's name."""
    issue = _publication_with_style(
        tmp_path, "issue.csv.j2",
        "{% for paper in papers %}{{ f.plain(paper.title) }},{{ paper.score }}\n{% endfor %}")
    monkeypatch.setitem(FORMATS, "csv", OutputFormat(
        "csv", "csv", "text/csv; charset=utf-8", "one row per paper", ("issue.csv.j2",),
        "text", "TextFormat"))

    styles = run("styles")
    assert "formats: csv" in styles.stdout

    result = run("render", str(issue), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert len(rows) == len(list((issue / "papers").glob("*.toml")))
    assert all(row.rsplit(",", 1)[1].replace(".", "").isdigit() for row in rows)


def test_a_style_without_a_formats_template_refuses_it_by_name(
        run: Run, tmp_path: Path) -> None:
    issue = _publication_with_style(tmp_path, "issue.j2", "{{ papers | length }}\n")
    result = run("render", str(issue), "--format", "html")
    assert result.exit_code == 2
    assert "style 'mini' has no html format; it renders md, text" in result.stderr


def test_a_composite_needs_all_its_parts(run: Run, tmp_path: Path) -> None:
    # An email is built from the html and text renderings: text alone does not make one.
    issue = _publication_with_style(tmp_path, "issue.j2", "{{ papers | length }}\n")
    assert "email" not in registry.formats_in(tmp_path / "templates" / "mini")
    assert run("render", str(issue), "--format", "email").exit_code == 2


@pytest.mark.parametrize("style", STYLES)
def test_every_example_renders_as_email_with_no_flags(run: Run, style: str) -> None:
    """The examples carry a sender, which is all an .eml needs to be written."""
    result = run("render", str(EXAMPLES / style), "--format", "email", "--output", "x.eml")
    assert result.exit_code == 0, result.stderr
    message = email.message_from_bytes(Path("x.eml").read_bytes(), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"] and message["Subject"]


def _weekly_without(example: Callable[[str], Path], prefix: str) -> Path:
    """A copy of the weekly example whose newsletter.toml lacks the lines ``prefix`` starts."""
    copy = example("weekly")
    publication = copy / "newsletter.toml"
    publication.write_text("\n".join(line for line in publication.read_text().splitlines()
                                     if not line.startswith(prefix)) + "\n")
    return copy


def test_an_email_without_recipients_has_no_to_header(
        run: Run, example: Callable[[str], Path]) -> None:
    copy = _weekly_without(example, "email_to")
    result = run("render", str(copy), "--format", "email")
    assert result.exit_code == 0, result.stderr
    message = email.message_from_string(result.stdout, policy=email.policy.default)
    assert message["To"] is None and message["From"]


def test_an_email_without_a_sender_is_refused_in_one_line(
        run: Run, example: Callable[[str], Path]) -> None:
    copy = _weekly_without(example, "email_")
    result = run("render", str(copy), "--format", "email")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("newsletter: error: the email format needs a sender: "
                                     "--from, or email_from in newsletter.toml")
