"""Dates in the publication's language (``language`` in newsletter.toml), from CLDR.

A bundled example is copied, given a language, and rendered as a user would: text,
Markdown, the web page and the email (parsed back as a mail client reads it). The
expected dates are what a reader of each language writes, not output copied from the
tool. English must stay as it was (the goldens of tests/test_render.py hold it byte for
byte); a language that is no language tag, or one CLDR lacks, is refused by ``check`` at
its line and never crashes ``render``.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest

from newsletter.entries.language import cldr_locale
from newsletter.render.formats import HtmlFormat, MarkdownFormat, TextFormat
from tests.support.cli import PROBLEM, Run, assert_no_crash, modules_after

Example = Callable[[str], Path]

# The long form (weekly's title, the dated mastheads) of 2026-04-19 and 2026-03-16, and
# the short form (pulse's "Updated" footer) of 2026-12-01, whose month is abbreviated.
LONG = {
    "de": ("19. April 2026", "16. März 2026"),
    "fr": ("19 avril 2026", "16 mars 2026"),
    "ja": ("2026年4月19日", "2026年3月16日"),
}
SHORT = {"de": "1. Dez. 2026", "fr": "1 déc. 2026", "ja": "2026年12月1日"}
ENGLISH = ("April 19, 2026", "March 16, 2026", "Dec 1, 2026")


def with_language(directory: Path, language: str) -> Path:
    """``language = ...`` as line 1 of the copy's newsletter.toml (any other removed)."""
    path = directory / "newsletter.toml"
    kept = [line for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith("language")]
    path.write_text("\n".join([f"language = {json.dumps(language)}", *kept]) + "\n",
                    encoding="utf-8")
    return directory


def rendered(run: Run, directory: Path, output_format: str) -> str:
    result = run("render", str(directory), "--format", output_format)
    assert result.exit_code == 0, result.output
    return result.stdout


def as_html(markdown: str) -> str:
    """Markdown as a reader sees it: through a CommonMark renderer."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").render(markdown)


def email_parts(raw: str) -> tuple[str, str]:
    """The text and the HTML part of an .eml, decoded as a mail client decodes them."""
    message = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    parts = {part.get_content_type(): str(part.get_content()) for part in message.walk()
             if not part.is_multipart()}
    return parts["text/plain"], parts["text/html"]


@pytest.mark.parametrize("language", sorted(LONG))
def test_weekly_title_date_in_every_format(run: Run, example: Example, language: str) -> None:
    issue = with_language(example("weekly"), language)
    # The example's own title spells out an English date; the test wants only the tool's.
    issue_toml = issue / "issue.toml"
    issue_toml.write_text(issue_toml.read_text(encoding="utf-8").replace(
        'title = "AI Research Weekly – April 19, 2026"', 'title = "AI Research Weekly"'),
        encoding="utf-8")
    day = LONG[language][0]
    text, markdown, html = (rendered(run, issue, f) for f in ("text", "md", "html"))
    assert f"AI Research Weekly – {day}" in text.splitlines()
    assert f"<h1>AI Research Weekly – {day}</h1>" in as_html(markdown)
    assert f'<time datetime="2026-04-19">{day}</time>' in html
    assert f'<html lang="{language}">' in html
    mail_text, mail_html = email_parts(rendered(run, issue, "email"))
    assert f"AI Research Weekly – {day}" in mail_text.splitlines()
    assert day in mail_html
    for output in (text, markdown, html, mail_text, mail_html):
        assert "April 19" not in output


@pytest.mark.parametrize("language", sorted(LONG))
def test_masthead_date(run: Run, example: Example, language: str) -> None:
    """briefing's dateline: 'Applied AI Briefing · Issue 12 · <date>'."""
    issue = with_language(example("briefing"), language)
    day = LONG[language][1]
    assert f"Applied AI Briefing · Issue 12 · {day}" in rendered(run, issue, "text").splitlines()
    assert f'<time datetime="2026-03-16">{day}</time>' in rendered(run, issue, "html")
    mail_text, mail_html = email_parts(rendered(run, issue, "email"))
    assert f"Issue 12 · {day}" in mail_text and day in mail_html


@pytest.mark.parametrize("language", sorted(SHORT))
def test_short_form_abbreviates_the_month(run: Run, example: Example, language: str) -> None:
    """pulse's footer: 'Updated <date>', in the language's abbreviated form."""
    issue = with_language(example("pulse"), language)
    issue_toml = issue / "issue.toml"
    issue_toml.write_text(issue_toml.read_text(encoding="utf-8").replace(
        "updated = 2026-03-04", "updated = 2026-12-01"), encoding="utf-8")
    day = SHORT[language]
    assert any(line.startswith(f"Updated {day} · ")
               for line in rendered(run, issue, "text").splitlines())
    assert f"<p>Updated {day} · " in as_html(rendered(run, issue, "md"))
    assert f'<time datetime="2026-12-01">{day}</time>' in rendered(run, issue, "html")
    mail_text, mail_html = email_parts(rendered(run, issue, "email"))
    assert f"Updated {day}" in mail_text and day in mail_html


@pytest.mark.parametrize("name", ["pulse", "weekly"])
def test_english_is_what_it_was(run: Run, example: Example, name: str) -> None:
    """No language, 'en' and 'en-US' write the same bytes, with English dates (the goldens
    of tests/test_render.py hold them byte for byte)."""
    issue = example(name)
    before = {f: rendered(run, issue, f) for f in ("text", "md", "html")}
    assert "Mar 4, 2026" in before["text"] or "April 19, 2026" in before["text"]
    for language in ("en", "en-US"):
        with_language(issue, language)
        for output_format, text in before.items():
            assert rendered(run, issue, output_format).replace(
                f'lang="{language}"', 'lang="en"') == text, (language, output_format)


def test_region_and_script_subtags_count(run: Run, example: Example) -> None:
    issue = example("weekly")
    for language, day in (("en-GB", "19 April 2026"), ("de-CH-1996", "19. April 2026"),
                          ("zh-Hant-TW", "2026年4月19日"), ("pt-BR", "19 de abril de 2026")):
        with_language(issue, language)
        assert run("check", str(issue), "--format", "concise").exit_code == 0
        html = rendered(run, issue, "html")
        assert f'<html lang="{language}">' in html
        assert f'<time datetime="2026-04-19">{day}</time>' in html


HOSTILE = [
    ("xx", "invalid-value", "'xx' is not a language CLDR has dates for"),
    ("de_DE.UTF-8", "invalid-value", "not a locale name: write 'de-DE'"),
    ("de_DE", "invalid-value", "write 'de-DE'"),
    ("../../", "invalid-value", "must be a language tag such as 'en'"),
    ("x-private", "invalid-value", "is not a language CLDR has dates for"),
    ("de\u001b[31m", "invalid-value", "control character U+001B"),
    ("de" * 5_000, "too-long", "too long"),
]


@pytest.mark.parametrize(("language", "rule", "says"), HOSTILE,
                         ids=[value[:12] for value, _, _ in HOSTILE])
def test_hostile_language_is_refused_at_its_line(run: Run, example: Example, language: str,
                                                 rule: str, says: str) -> None:
    issue = with_language(example("weekly"), language)
    result = run("check", str(issue), "--format", "concise")
    assert_no_crash(result)
    assert result.exit_code == 1
    problems = [PROBLEM.match(line) for line in result.stdout.splitlines()]
    found = [m for m in problems if m and m["path"].endswith("newsletter.toml")]
    assert len(found) == 1, result.stdout
    assert (found[0]["line"], found[0]["col"], found[0]["rule"]) == ("1", "12", rule)
    assert says in found[0]["message"] and found[0]["message"].startswith("language ")
    for output_format in ("text", "html", "email"):
        refused = run("render", str(issue), "--format", output_format)
        assert_no_crash(refused)
        assert refused.exit_code == 1 and refused.stdout == ""


@pytest.mark.parametrize("language", ["../../", "xx", "de_DE.UTF-8", "x" * 10_000, ""])
def test_a_caller_that_skips_check_gets_english(language: str) -> None:
    """The library never fails on a language: one that CLDR lacks (only a caller that did
    not load the file through the models can pass one) falls back to English."""
    day = dt.date(2026, 12, 1)
    assert TextFormat(language).date(day) == "December 1, 2026"
    assert TextFormat(language).date(day, "short") == "Dec 1, 2026"
    assert str(HtmlFormat(language).date(day)) == "December 1, 2026"


def test_formats_escape_what_a_date_holds() -> None:
    day = dt.date(2026, 4, 19)
    assert MarkdownFormat("de").date(day) == "19\\. April 2026"  # not an ordered list
    assert TextFormat("de").date(day) == "19. April 2026"
    assert str(HtmlFormat("fr").date(day)) == "19 avril 2026"


def test_every_cldr_language_writes_a_plain_date() -> None:
    """A sample of every 15th CLDR locale: a date, no control character in it (it reaches
    a terminal, a header line, a Markdown line)."""
    import babel.localedata

    for name in sorted(babel.localedata.locale_identifiers())[::15]:
        tag = name.replace("_", "-")
        for form in ("long", "short"):
            text = TextFormat(tag).date(dt.date(2026, 4, 19), form)
            assert text.strip(), tag
            assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", text), (tag, text)


def test_locales_are_cached() -> None:
    assert cldr_locale("de") is cldr_locale("de")
    assert cldr_locale("zh-TW") is not None and str(cldr_locale("zh-TW")) == "zh_Hant_TW"


# check validates language without babel (its import is ~13 ms); only dates need it.
@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["render", "--help"],
                                  ["check", "--no-cache", "examples/briefing"]])
def test_start_up_does_not_import_babel(argv: list[str]) -> None:
    assert not any(name.split(".")[0] == "babel" for name in modules_after(argv))
