"""Every style's HTML page, and the HTML part of its email, passes the Nu HTML Checker.

The checker is the npm package ``vnu-jar`` (``npm ci --prefix tools``), run on Java 17+.
All documents go to ONE ``java -jar vnu.jar`` call (a JVM start costs seconds), and each
document is then its own test, so a failure names the style and lists its errors as
``file:line:column: message`` with the offending source.

Locally a missing Java or vnu.jar skips these tests with the reason; with ``CI`` set
(``CI=true bash .ci/run``) it fails them, so CI cannot pass without checking.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.entries.styles import all_styles
from tests.support.tools import email_html, format_vnu_errors, render, vnu_errors

HTML_STYLES = sorted(style.name for style in all_styles() if "html" in style.formats)
EMAIL_STYLES = sorted(style.name for style in all_styles() if "email" in style.formats)
DOCUMENTS = [f"{name}-page" for name in HTML_STYLES] + [f"{name}-email" for name in EMAIL_STYLES]

# A document the checker must reject: proves that errors really come back from the JVM
# call and are matched to their file (a broken pipeline would otherwise pass everything).
CANARY = "<!DOCTYPE html><html lang=en><title>x</title><p><div>block in p</div><blink>x</blink>"


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Document id ('weekly-page', 'weekly-email') → the HTML file to check."""
    folder = tmp_path_factory.mktemp("html-validity")
    found: dict[str, Path] = {}
    for style in HTML_STYLES:
        found[f"{style}-page"] = render(style, "html", folder / f"{style}.html")
    for style in EMAIL_STYLES:
        eml = render(style, "email", folder / f"{style}.eml",
                     "--from", "Ed <ed@example.com>", "--to", "list@example.com")
        html = folder / f"{style}-email.html"
        html.write_text(email_html(eml), encoding="utf-8")
        found[f"{style}-email"] = html
    found["canary"] = folder / "canary.html"
    found["canary"].write_text(CANARY, encoding="utf-8")
    return found


@pytest.fixture(scope="session")
def checker_errors(documents: dict[str, Path]) -> dict[Path, list[dict]]:
    """One checker run over every document (tests/support/tools.py): file → its errors."""
    return vnu_errors(documents.values())


def test_some_style_has_an_html_page() -> None:
    # Otherwise every parametrized test below would be collected empty and pass silently.
    assert HTML_STYLES, "no style has an HTML template (templates/<style>/issue.html.j2)"
    assert EMAIL_STYLES, "no style has the email format (html and text templates)"


def test_the_checker_reports_errors_per_file(documents: dict[str, Path],
                                             checker_errors: dict[Path, list[dict]]) -> None:
    canary = checker_errors.get(documents["canary"].resolve(), [])
    assert any("blink" in message.get("message", "") for message in canary), (
        "the Nu HTML Checker should reject <blink> in the canary document; got:\n"
        + format_vnu_errors(canary))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_nu_html_checker_finds_no_errors(document: str, documents: dict[str, Path],
                                         checker_errors: dict[Path, list[dict]]) -> None:
    path = documents[document]
    errors = checker_errors.get(path.resolve(), [])
    assert not errors, (
        f"{document}: the Nu HTML Checker found {len(errors)} error(s) in {path}:\n"
        + format_vnu_errors(errors))
