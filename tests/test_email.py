"""Every style's email (``newsletter render DIR --format email``), read back as a mail client would.

The .eml is parsed with Python's ``email`` package: a multipart/alternative message with a
text/plain part (the ``--format text`` rendering) and a text/html part; proper headers; no
scripts or external resources; CSS inlined. The HTML part is then checked against the
caniemail.com support data (npm package ``caniemail``, run by tools/caniemail-report.mjs)
for Gmail, Outlook and Apple Mail; the threshold is explained at MAJOR_CLIENTS below.

Locally a missing Node.js or caniemail skips that check with the reason; with ``CI`` set
it fails, so CI cannot pass without it.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from newsletter.entries.loading import load_issue
from newsletter.entries.styles import all_styles
from tests.support.tools import need, render

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
CANIEMAIL_SCRIPT = REPO / "tools" / "caniemail-report.mjs"
CANIEMAIL_PACKAGE = REPO / "tools" / "node_modules" / "caniemail" / "package.json"
INSTALL_HINT = "install Node.js and run `npm ci --prefix tools`"

SENDER = "Ed <ed@example.com>"
RECIPIENT = "list@example.com"
EMAIL_STYLES = sorted(style.name for style in all_styles() if "email" in style.formats)

# ------------------------------------------------------------------ the caniemail threshold
#
# Clients: the current Gmail (web, iOS and Android apps), Apple Mail (macOS, iOS) and
# Outlook (classic Outlook for Windows, the new Outlook and Outlook.com, Outlook for Mac,
# iOS and Android). Left out: gmail.mobile-webmail (Gmail's basic view in a phone's
# browser) and outlook.windows-mail (the Windows Mail app, retired at the end of 2024).
MAJOR_CLIENTS = (
    "gmail.desktop-webmail", "gmail.ios", "gmail.android",
    "apple-mail.macos", "apple-mail.ios",
    "outlook.windows", "outlook.outlook-com", "outlook.macos", "outlook.ios", "outlook.android",
)
# A feature FAILS the test when caniemail says that one of those clients does not support it
# at all ("none"): content or layout that rests on it breaks there (a visually-hidden span
# shows, a flex row stacks, rem sizes fall back to defaults, HTML5 elements and their styles
# are dropped). Exempt are the progressive enhancements below, each with why: where a client
# drops them the message still reads and lays out as intended.
#
# "Partial" support never fails: nearly every CSS property is partial in classic Outlook
# for Windows (padding only on table cells, no negative margins ...), so failing on it
# would forbid CSS in email altogether. Partial findings are printed for information.
TOLERATED = {
    "@media": "phone and dark-mode tweaks on top of the inlined styles",
    "<style> element": "it holds only @media rules; every other rule is inlined",
    "CSS comments": "comments carry nothing",
    "HTML5 doctype": "ignored where unsupported; standards mode elsewhere, and valid HTML",
    "color-scheme meta tag": "a hint; clients without it apply their own dark mode",
    "<body> element": "every message has one; Outlook for Mac drops only the body's own "
                      "styles, and the wrapper table carries the layout",
    "box-sizing": "widths come from the tables' width attributes; it only refines padding",
    "border-radius": "square corners instead of round ones",
    "overflow-wrap": "breaks long words on narrow screens; there is no supported alternative",
    "word-wrap": "the old name of overflow-wrap, kept for older clients",
    "text-underline-offset": "underlines sit at the default distance",
}








@dataclass
class Email:
    style: str
    eml: Path
    raw: bytes
    message: EmailMessage
    text_render: str  # `newsletter render ... --format text`
    html_path: Path  # the text/html part, decoded, for the checkers

    @property
    def html(self) -> str:
        return self.html_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def emails(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Email]:
    folder = tmp_path_factory.mktemp("emails")
    found = {}
    for style in EMAIL_STYLES:
        eml = render(style, "email", folder / f"{style}.eml", "--from", SENDER, "--to", RECIPIENT)
        text = render(style, "text", folder / f"{style}.txt").read_text(encoding="utf-8")
        raw = eml.read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        html_part = message.get_body(preferencelist=("html",))
        html_path = folder / f"{style}-email.html"
        html_path.write_text(html_part.get_content() if html_part else "", encoding="utf-8")
        found[style] = Email(style, eml, raw, message, text, html_path)
    return found


class Markup(HTMLParser):
    """The tags, attributes and <style> text of an HTML document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], int]] = []
        self.style_text = ""
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), self.getpos()[0]))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), self.getpos()[0]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style_text += data

    def in_body(self) -> list[tuple[str, dict[str, str | None], int]]:
        names = [tag for tag, _, _ in self.elements]
        return self.elements[names.index("body"):] if "body" in names else []


def top_level_css_rules(css: str) -> list[str]:
    """The preludes of a stylesheet's top-level rules: '@media (...)', 'h1', ..."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    preludes, depth, current = [], 0, ""
    for char in css:
        if char == "{":
            if depth == 0:
                preludes.append(" ".join(current.split()))
            depth += 1
            current = ""
        elif char == "}":
            depth -= 1
            current = ""
        elif depth == 0:
            current = "" if char == ";" else current + char
    return preludes


# ---------------------------------------------------------------------------- the tests


def test_some_style_has_an_email_format() -> None:
    # Otherwise every parametrized test below would be collected empty and pass silently.
    assert EMAIL_STYLES, "no style has the email format (templates/<style>/issue.html.j2)"


@pytest.mark.parametrize("style", EMAIL_STYLES)
def test_is_multipart_alternative_with_text_then_html(style: str,
                                                      emails: dict[str, Email]) -> None:
    message = emails[style].message
    assert message.get_content_type() == "multipart/alternative"
    parts = [(part.get_content_type(), part.get_content_charset())
             for part in message.iter_parts()]
    # The last alternative is the preferred one: HTML after the plain text.
    assert parts == [("text/plain", "utf-8"), ("text/html", "utf-8")], parts
    assert not list(message.iter_attachments())


@pytest.mark.parametrize("style", EMAIL_STYLES)
def test_text_part_is_the_text_rendering(style: str, emails: dict[str, Email]) -> None:
    sent = emails[style]
    part = sent.message.get_body(preferencelist=("plain",))
    assert part is not None
    body = part.get_content().replace("\r\n", "\n")
    assert body == sent.text_render, (
        f"the text/plain part of {style}.eml differs from `newsletter render examples/{style} "
        f"--format text`")


@pytest.mark.parametrize("style", EMAIL_STYLES)
def test_headers(style: str, emails: dict[str, Email]) -> None:
    message = emails[style].message
    issue = load_issue(EXAMPLES / style).issue
    assert issue is not None

    subject = str(message["Subject"] or "")
    assert subject.strip() and "\n" not in subject, f"Subject: {subject!r}"
    if issue.title:
        assert " ".join(issue.title.split()) in subject, (subject, issue.title)
    assert getaddresses([str(message["From"])]) == [("Ed", "ed@example.com")], message["From"]
    assert getaddresses([str(message["To"])]) == [("", RECIPIENT)], message["To"]
    sent = parsedate_to_datetime(str(message["Date"]))
    assert sent.tzinfo is not None and sent.date() == issue.date, (message["Date"], issue.date)
    assert re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", str(message["Message-ID"]).strip()), (
        message["Message-ID"])
    assert str(message["MIME-Version"]) == "1.0"


def test_each_email_has_its_own_message_id(emails: dict[str, Email]) -> None:
    ids = [str(sent.message["Message-ID"]) for sent in emails.values()]
    assert len(set(ids)) == len(ids), ids


@pytest.mark.parametrize("style", EMAIL_STYLES)
def test_wire_format_is_crlf_with_short_lines(style: str, emails: dict[str, Email]) -> None:
    raw = emails[style].raw
    bare = raw.replace(b"\r\n", b"")
    assert b"\n" not in bare and b"\r" not in bare, "a line ends in a bare LF or CR"
    longest = max(len(line) for line in raw.split(b"\r\n"))
    assert longest <= 998, f"a line of {longest} octets; RFC 5322 allows 998"


def external_resources(html: str) -> list[str]:
    """What in the HTML runs a script or loads something from elsewhere."""
    found = []
    # Tags and attributes from the parsed markup (prose that mentions "src=" is fine) ...
    for tag, attrs, line in Markup(html).elements:
        if tag in ("script", "link", "iframe", "object", "embed"):
            found.append(f"line {line}: a <{tag}> element")
        found += [f"line {line}: <{tag} {name}=...>: loads a resource"
                  for name in ("src", "srcset", "background", "poster", "data") if name in attrs]
        found += [f"line {line}: <{tag} {name}=...>: an event handler is a script"
                  for name in attrs if name.startswith("on")]
    # ... and the raw text, for anything the parser would not show as a tag.
    for pattern, what in [(r"<script\b", "<script"), (r"<link\b", "<link"),
                          (r"url\(\s*['\"]?\s*(?:https?:)?//", "url(http...) in CSS"),
                          (r"@import\b", "@import in CSS")]:
        found += [f"line {html.count(chr(10), 0, hit.start()) + 1}: {what}: "
                  f"{html[hit.start():hit.start() + 80]!r}"
                  for hit in re.finditer(pattern, html, flags=re.I)]
    return found


def not_inlined(html: str) -> list[str]:
    """CSS that a mail client dropping <style> would lose, and content left unstyled."""
    markup = Markup(html)
    # Gmail and others drop <style> or parts of it: only @media and similar at-rules, which
    # cannot be inlined, may be left there.
    found = [f"rule {prelude!r} left in <style>, not inlined"
             for prelude in top_level_css_rules(markup.style_text)
             if not prelude.startswith("@")]
    body = markup.in_body()
    if not body:
        return [*found, "no <body>"]
    found += [f"<{tag}> on line {line} has no style= attribute" for tag, attrs, line in body
              if tag in ("body", "h1", "h2", "h3", "a") and not attrs.get("style")]
    return found


@pytest.mark.parametrize("style", EMAIL_STYLES)
def test_html_has_no_script_and_no_external_resources(style: str,
                                                      emails: dict[str, Email]) -> None:
    found = external_resources(emails[style].html)
    assert not found, f"{style}.eml's HTML part is not self-contained:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("style", EMAIL_STYLES)
def test_css_is_inlined(style: str, emails: dict[str, Email]) -> None:
    found = not_inlined(emails[style].html)
    assert not found, f"{style}.eml's HTML part relies on <style>:\n  " + "\n  ".join(found)


def test_the_html_checks_catch_a_bad_email() -> None:
    bad = ('<html><head><style>@media (max-width: 480px) { h1 { font-size: 20px } }\n'
           'h1 { color: red }</style><link rel="stylesheet" href="https://x.test/a.css">'
           '</head><body style="margin:0"><h1>Title</h1><p>prose about src= is fine</p>'
           '<img src="https://x.test/pixel.gif" onload="track()">'
           '<div style="background: url(https://x.test/bg.png)"><a href="#">link</a></div>'
           '<script>alert(1)</script></body></html>')
    resources = "\n".join(external_resources(bad))
    for expected in ("<link>", "<script>", "src=", "onload=", "url(http"):
        assert expected in resources, (expected, resources)
    assert "prose" not in resources
    inlining = "\n".join(not_inlined(bad))
    assert "rule 'h1' left in <style>" in inlining and "@media" not in inlining, inlining
    assert "<h1> on line 2" in inlining and "<a> on line 2" in inlining, inlining
    assert "<body>" not in inlining, inlining


# ------------------------------------------------------------------------------ caniemail


def run_caniemail(files: list[Path]) -> dict:
    node = shutil.which("node")
    need(node is not None, f"Node.js is not installed: {INSTALL_HINT}")
    need(CANIEMAIL_PACKAGE.is_file(), f"the npm package caniemail is missing: {INSTALL_HINT}")
    assert node is not None
    command = [node, str(CANIEMAIL_SCRIPT), "--clients", ",".join(MAJOR_CLIENTS),
               *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (
        f"{' '.join(command[:3])} ... failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


@pytest.fixture(scope="session")
def caniemail_report(emails: dict[str, Email]) -> dict[str, list[dict]]:
    """One Node.js run over every email's HTML: style → caniemail's findings."""
    report = run_caniemail([sent.html_path for sent in emails.values()])
    assert sorted(report["clients"]) == sorted(MAJOR_CLIENTS), report["clients"]
    by_path = {Path(path).resolve(): issues for path, issues in report["files"].items()}
    return {style: by_path[sent.html_path.resolve()] for style, sent in emails.items()}


def failing(issues: list[dict]) -> list[dict]:
    return [issue for issue in issues
            if issue["support"] == "none" and issue["title"] not in TOLERATED]


def format_caniemail(name: str, issues: list[dict]) -> str:
    def where(issue: dict) -> str:
        lines = issue["lines"]
        shown = ", ".join(map(str, lines[:6])) + (" ..." if len(lines) > 6 else "")
        return f" (line {shown})" if lines else ""

    out = [f"caniemail on {name}, for {', '.join(MAJOR_CLIENTS)}:"]
    for issue in failing(issues):
        elements = f" {', '.join(issue['elements'])}" if issue.get("elements") else ""
        out.append(f"  FAIL      {issue['title']}{elements}: not supported by "
                   f"{', '.join(issue['clients'])}{where(issue)}")
        out += [f"              {note}" for note in issue["notes"][:2]]
    for issue in issues:
        if issue["support"] == "none" and issue["title"] in TOLERATED:
            out.append(f"  tolerated {issue['title']}: not supported by "
                       f"{', '.join(issue['clients'])}; {TOLERATED[issue['title']]}")
    partial = [issue for issue in issues if issue["support"] == "partial"]
    if partial:
        out.append(f"  partial support ({len(partial)} features, never failing): "
                   + "; ".join(f"{issue['title']} ({len(issue['clients'])} client"
                               f"{'s' if len(issue['clients']) > 1 else ''})"
                               for issue in partial))
    return "\n".join(out)


@pytest.mark.parametrize("style", EMAIL_STYLES)
def test_caniemail_finds_no_unsupported_features(style: str,
                                                 caniemail_report: dict[str, list[dict]]
                                                 ) -> None:
    issues = caniemail_report[style]
    report = format_caniemail(f"{style}.eml (text/html)", issues)
    print(report)  # shown with -rP or -s, and under "Captured stdout" when it fails
    broken = failing(issues)
    if broken:
        pytest.fail(f"{style}.eml uses {len(broken)} feature(s) that a major mail client does "
                    f"not support at all: {', '.join(issue['title'] for issue in broken)} "
                    f"(the caniemail report is below)", pytrace=False)


def test_caniemail_catches_known_problems(tmp_path: Path) -> None:
    # A page with features known to fail, and with tags that caniemail 2.0.2 alone gets
    # wrong (<article> taken for <rt>, <td> for <body>; `overflow-wrap` for `overflow`).
    canary = tmp_path / "canary.html"
    canary.write_text(
        '<!DOCTYPE html><html><body>\n<table><tbody><tr><td>\n<article>\n'
        '<div style="display:grid;overflow-wrap:anywhere;font-size:1rem">x</div>\n'
        '</article></td></tr></tbody></table></body></html>\n', "utf-8")
    issues = run_caniemail([canary])["files"][str(canary)]
    titles = {issue["title"] for issue in failing(issues)}
    assert {"display:grid", "HTML5 semantics", "rem unit"} <= titles, titles
    assert not {"<rt> element", "overflow"} & {issue["title"] for issue in issues}
    body = [issue for issue in issues if issue["title"] == "<body> element"]
    assert all(issue["lines"] == [1] for issue in body), body  # not <tbody> or <td>
