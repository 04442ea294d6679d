"""Mail a provider accepts: list headers, the unsubscribe line, the preheader, Gmail's clip
size, and the HTML fragment for an email service.

Each test writes a publication (``unsubscribe_url``, ``list_id``, ``language`` in its
newsletter.toml), runs ``newsletter render`` as the editor does, and reads the ``.eml`` as
a mail provider would: with Python's email parser (policy=default) for what a header
means, and byte by byte for how it is written (a URL in an encoded word is no URL to
Gmail). Hostile values are refused by ``check`` at their line, and by ``render`` too.
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import tomllib
from collections.abc import Callable
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import pytest
import tomli_w

from newsletter.entries.styles import all_styles
from newsletter.errors import UsageError
from newsletter.render.mail import build_message, preview_text
from tests.support.cli import Run, check_output, one_line_error, render_output
from tests.support.paths import EXAMPLES
from tests.support.publication import issue, one_issue, paper
from tests.support.tools import format_vnu_errors, vnu_errors
from tests.test_email import failing, format_caniemail, run_caniemail
from tests.test_html_safety import (
    TEXT_GROUPS,
    Group,
    assert_inert,
    assert_no_new_markup,
    assert_shown,
    assert_tags_outside_markup,
    benign_issue,
    email_parts,
    hostile_issue,
    parse,
    refused,
    scratch,  # noqa: F401 (the fixture the helpers above cache their issues in)
)
from tests.test_html_safety import render as harness_render

SENDER = "Ed <ed@example.com>"
HTTPS = "https://example.com/unsubscribe?list=weekly"
MAILTO = "mailto:leave@example.com?subject=unsubscribe"
LIST_ID = "AI Research Weekly <weekly.example.com>"
LISTED = (f'email_from = "{SENDER}"\nunsubscribe_url = ["{MAILTO}", "{HTTPS}"]\n'
          f'list_id = "{LIST_ID}"\n')
EMAIL_STYLES = sorted(s.name for s in all_styles() if "email" in s.formats)
PAD = re.compile("[\u034f\u200c]")


def _eml(run: Run, issue: Path, *flags: str) -> tuple[bytes, EmailMessage, str]:
    """The rendered message: its bytes, as parsed, and what render printed on stderr."""
    result = run("render", str(issue), "--format", "email", "--output", "out.eml", *flags)
    assert result.exit_code == 0, result.output
    raw = Path("out.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage) and not message.defects, message.defects
    return raw, message, result.stderr


def _head(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def _field(raw: bytes, name: str) -> str:
    """One header as written on the wire, unfolded (CRLF before whitespace removed)."""
    fields: dict[str, str] = {}
    current = ""
    for line in _head(raw):
        text = line.decode("ascii")
        if text[:1] in (" ", "\t"):
            fields[current] += text
        else:
            current = text.split(":", 1)[0]
            fields[current] = text
    return fields[name].split(":", 1)[1].strip()


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def _copy_with(example: Callable[[str], Path], style: str, config: str) -> Path:
    """A copy of the example whose newsletter.toml has ``config``'s keys instead of its own."""
    copy = example(style)
    path = copy / "newsletter.toml"
    keys = tuple(line.split("=", 1)[0].strip() + " =" for line in config.splitlines())
    kept = [line for line in path.read_text(encoding="utf-8").splitlines()
            if not line.startswith(keys)]
    path.write_text("\n".join([*kept, config]), encoding="utf-8")
    return copy


# ------------------------------------------------------------------ the headers a provider sees


def test_list_headers_as_a_provider_reads_them(run: Run, tmp_path: Path) -> None:
    issue = one_issue(tmp_path, paper(), config=LISTED + 'language = "de-CH"\n')
    check_output(run("check", "."), tmp_path)
    raw, message, _ = _eml(run, issue)

    # https first (Gmail's one-click button takes it), whatever order the file has.
    assert message["List-Unsubscribe"] == f"<{HTTPS}>, <{MAILTO}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Id"] == LIST_ID
    assert message["Content-Language"] == "de-CH"
    for name in ("List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Content-Language"):
        assert len(message.get_all(name) or []) == 1, name
    # Written as they read: no encoded word where a URL or an id stands.
    assert _field(raw, "List-Unsubscribe") == f"<{HTTPS}>, <{MAILTO}>"
    assert _field(raw, "List-Id") == LIST_ID
    assert all(len(line) <= 78 for line in _head(raw)), _head(raw)


def test_a_mailto_alone_gets_no_one_click_header(run: Run, tmp_path: Path) -> None:
    issue = one_issue(tmp_path, paper(),
                      config=f'email_from = "{SENDER}"\nunsubscribe_url = "{MAILTO}"\n')
    _, message, _ = _eml(run, issue)
    assert message["List-Unsubscribe"] == f"<{MAILTO}>"
    # RFC 8058: the POST goes to an https URI; without one the header would lie.
    assert message["List-Unsubscribe-Post"] is None
    assert message["List-Id"] is None


def test_without_the_fields_there_are_no_list_headers(run: Run, tmp_path: Path) -> None:
    issue = one_issue(tmp_path, paper(), config=f'email_from = "{SENDER}"\n')
    _, message, _ = _eml(run, issue)
    assert not {"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id"} & set(message.keys())
    assert message["Content-Language"] == "en"  # the default language
    text, html = _parts(message)
    assert "Unsubscribe" not in text and "unsubscribe" not in html


@pytest.mark.parametrize(("name", "value"), [
    ("a quoted name with commas", '"AI, Weekly: Research" <weekly.example.com>'),
    ("a name with specials, unquoted", "AI: Weekly <weekly.example.com>"),
    ("no name", "<weekly.example.com>"),
    ("a non-ASCII name", "Künstliche Intelligenz – Wöchentlich <ki.example.de>"),
    ("a long name", "Weekly " * 40 + "<weekly.example.com>"),
])
def test_a_list_id_is_written_as_rfc_2919_reads_it(run: Run, tmp_path: Path, name: str,
                                                    value: str) -> None:
    issue = one_issue(tmp_path, paper(), config=f'email_from = "{SENDER}"\n'
                                                f"list_id = '{value}'\n")
    check_output(run("check", "."), tmp_path)
    raw, message, _ = _eml(run, issue)
    ident = value[value.rindex("<"):]
    written = _field(raw, "List-Id")
    assert written.endswith(" " + ident) or written == ident, written  # the id verbatim
    shown = str(message["List-Id"])
    assert shown.endswith(ident), shown
    label = " ".join(value[:value.rindex("<")].split()).strip('"')
    assert shown[:-len(ident)].strip().strip('"') == label, shown
    assert all(len(line) <= 78 for line in _head(raw)), _head(raw)


def test_a_long_unsubscribe_url_is_never_broken(run: Run, tmp_path: Path) -> None:
    long_url = "https://example.com/unsubscribe?token=" + "a1B2" * 150   # 639 characters
    issue = one_issue(tmp_path, paper(), config=f'email_from = "{SENDER}"\n'
                      f'unsubscribe_url = ["{long_url}", "{MAILTO}"]\n')
    check_output(run("check", "."), tmp_path)
    raw, message, _ = _eml(run, issue)
    assert message["List-Unsubscribe"] == f"<{long_url}>, <{MAILTO}>"
    assert _field(raw, "List-Unsubscribe") == f"<{long_url}>, <{MAILTO}>"
    head = _head(raw)
    assert b"=?" not in b"".join(line for line in head if b"unsubscribe" in line.lower())
    # Folding would break the URL (into encoded words): that header stays unfolded, on
    # one line within RFC 5322's 998 octets; the other headers are folded as usual.
    assert f"List-Unsubscribe: <{long_url}>, <{MAILTO}>".encode() in head, head
    assert all(len(line) <= 78 for line in head if long_url.encode() not in line), head
    assert max(map(len, head)) <= 998


def test_two_renders_with_list_headers_give_the_same_bytes(run: Run, tmp_path: Path) -> None:
    issue = one_issue(tmp_path, paper(), config=LISTED)
    first, _, _ = _eml(run, issue)
    second, _, _ = _eml(run, issue)
    assert first == second


# ------------------------------------------------------------------ hostile values


HOSTILE = [
    ("unsubscribe_url", '"https://example.com/u\\r\\nBcc: leak@attacker.example"',
     "single line"),
    ("unsubscribe_url", '"https://example.com/u\\u001b[31m"', "U+001B"),
    ("unsubscribe_url", '"https://example.com/u\\u2028Bcc: x@attacker.example"', "U+2028"),
    ("unsubscribe_url", '"https://example.com/=?utf-8?q?=0D=0ABcc:_x?="', "encoded word"),
    ("unsubscribe_url", '"https://example.com/a>, <https://attacker.example/"', "'>'"),
    ("unsubscribe_url", '"https://example.com/ünsubscribe"', "not ASCII"),
    ("unsubscribe_url", '"http://example.com/unsubscribe"', "https"),
    ("unsubscribe_url", '"javascript:alert(1)"', "https:// URL or a mailto:"),
    ("unsubscribe_url", '"https://user:secret@example.com/u"', "password"),
    ("unsubscribe_url", '"https://localhost/u"', "cannot reach"),
    ("unsubscribe_url", '"mailto:leave@example.com?bcc=leak@attacker.example"',
     "only for a subject and a body"),
    ("unsubscribe_url", '"mailto:leave@example.com?subject=x%0D%0ABcc:%20leak"', "U+000D"),
    ("unsubscribe_url", '"mailto:leave@example.com,leak@attacker.example"', "one plain"),
    # A mail client percent-decodes the address: this is two recipients, and another domain.
    ("unsubscribe_url", '"mailto:leak%40attacker.example%2Cleave@example.com"',
     "percent-encoded address"),
    ("unsubscribe_url", '"mailto:leave%40attacker.example"', "percent-encoded address"),
    ("unsubscribe_url", '["https://example.com/a", "https://example.com/b"]', "two of a kind"),
    ("unsubscribe_url", f'"https://example.com/{"a" * 900}"', "too long"),
    ("unsubscribe_url", "42", "text in quotes"),
    ("list_id", '"Weekly <weekly.example.com>\\r\\nBcc: leak@attacker.example"',
     "single line"),
    ("list_id", '"Weekly \\u0085 <weekly.example.com>"', "U+0085"),
    ("list_id", '"=?utf-8?q?Weekly=0D=0ABcc:_x?= <weekly.example.com>"', "encoded word"),
    ("list_id", '"Weekly <wöchentlich.example.de>"', "not ASCII"),
    ("list_id", '"Weekly <weekly.example.com> <leak.attacker.example>"', "one id"),
    ("list_id", '"Weekly weekly.example.com"', "angle brackets"),
    ("list_id", '"Weekly <weekly.com>"', "domain you control"),
    ("list_id", '"Weekly <we ekly.example.com>"', "domain you control"),
    ("list_id", f'"Weekly <{"a" * 250}.example.com>"', "RFC 2919 allows 255"),
    ("list_id", '"Zoë, Bcc <weekly.example.com>"', "non-ASCII"),
]


@pytest.mark.parametrize(("field", "raw", "says"), HOSTILE,
                         ids=[f"{f}-{n}" for n, (f, _, _) in enumerate(HOSTILE)])
def test_a_hostile_list_value_is_refused_at_its_line(run: Run, tmp_path: Path, field: str,
                                                     raw: str, says: str) -> None:
    # newsletter.toml: name (line 1), style (2), email_from (3), the field (4).
    issue = one_issue(tmp_path, paper(), config=f'email_from = "{SENDER}"\n{field} = {raw}\n')
    found = [p for p in check_output(run("check", "."), tmp_path) if p.severity == "error"]
    assert [(p.path, p.line, p.column) for p in found] == [
        ("newsletter.toml", 4, len(field) + 4)], found
    assert field in found[0].message and says in found[0].message, found[0].message

    result = run("render", str(issue), "--format", "email", "--output", "out.eml")
    assert [p.line for p in render_output(result, tmp_path)] == [4]
    assert not Path("out.eml").exists()


@pytest.mark.parametrize(("keyword", "value", "says"), [
    ("unsubscribe", ["https://example.com/u\r\nBcc: leak@attacker.example"], "U+000D"),
    ("unsubscribe", ["ftp://example.com/u"], "https:// URL or a mailto:"),
    ("list_id", "Weekly <weekly.example.com>\nBcc: leak@attacker.example", "U+000A"),
    ("language", "en\r\nBcc: leak@attacker.example", "not a language tag"),
])
def test_the_message_builder_refuses_them_too(keyword: str, value: object, says: str) -> None:
    """Defence in depth: a library caller that skipped check gets no header from them."""
    import datetime as dt

    with pytest.raises(UsageError, match=re.escape(says)):
        build_message(html="<p>x</p>", text="x", subject="S", sender=SENDER, recipients=None,
                      date=dt.date(2026, 4, 19), **{keyword: value})  # type: ignore[arg-type]


def test_init_documents_fields_that_check_and_render_accept(run: Run, tmp_path: Path) -> None:
    """Uncommented as written, init's examples of the fields give an .eml with list headers."""
    assert run("init", "pub", "--name", "AI Weekly", "--style", "weekly").exit_code == 0
    config = tmp_path / "pub" / "newsletter.toml"
    text = config.read_text(encoding="utf-8")
    for key in ("email_from", "unsubscribe_url", "list_id"):
        assert f"\n# {key} = " in text, key
        text = text.replace(f"\n# {key} = ", f"\n{key} = ")
    config.write_text(text, encoding="utf-8")
    issue(tmp_path / "pub" / "issues" / "001", 1, "2026-04-19",
          papers={"01-paper.toml": paper()})
    found = check_output(run("check", "pub"), tmp_path)
    assert not [p for p in found if p.severity == "error"], found
    _, message, _ = _eml(run, tmp_path / "pub" / "issues" / "001")
    assert message["List-Unsubscribe"] and message["List-Unsubscribe-Post"]
    assert message["List-Id"] and message["Content-Language"] == "en"


# ------------------------------------------------------------------ the unsubscribe line


@pytest.mark.parametrize("style", EMAIL_STYLES)
def test_both_parts_end_with_the_unsubscribe_link(run: Run, example: Callable[[str], Path],
                                                  style: str) -> None:
    copy = _copy_with(example, style, f'unsubscribe_url = ["{MAILTO}", "{HTTPS}"]\n')
    _, message, _ = _eml(run, copy)
    text, html = _parts(message)
    # The text part: the text rendering, then a rule and the link (the https one).
    plain = run("render", str(copy), "--format", "text").stdout
    assert text.replace("\r\n", "\n") == plain + f"\n---\n\nUnsubscribe <{HTTPS}>\n"
    # The HTML part: the last paragraph of the issue, a real link, styled inline.
    links = Links(html)
    assert links.hrefs[-1] == (HTTPS, "Unsubscribe"), links.hrefs[-3:]
    assert links.last_paragraph_class == "unsubscribe"
    assert 'class="unsubscribe" style="' in html
    # Neither the web page nor --format text is mail: no unsubscribe line there.
    assert "Unsubscribe" not in plain
    page = run("render", str(copy), "--format", "html").stdout
    assert HTTPS not in page and page == run("render", str(EXAMPLES / style), "--format",
                                             "html").stdout


def test_a_mailto_alone_is_the_link(run: Run, example: Callable[[str], Path]) -> None:
    copy = _copy_with(example, "weekly", f'unsubscribe_url = "{MAILTO}"\n')
    _, message, _ = _eml(run, copy)
    text, html = _parts(message)
    assert text.rstrip().endswith(f"Unsubscribe <{MAILTO}>")
    assert Links(html).hrefs[-1] == (MAILTO, "Unsubscribe")


class Links(HTMLParser):
    """The links of a page (href, text) and the class of its last <p>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[tuple[str, str]] = []
        self.last_paragraph_class: str | None = None
        self._href: str | None = None
        self._text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", ""
        elif tag == "p":
            self.last_paragraph_class = dict(attrs).get("class")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.hrefs.append((self._href, " ".join(self._text.split())))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text += data


# ------------------------------------------------------------------ the preheader


class Body(HTMLParser):
    """The first element in <body>, with its attributes and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.first: tuple[str, dict[str, str | None]] | None = None
        self.first_text = ""
        self._in_body = self._in_first = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self._in_body = True
        elif self._in_body and self.first is None:
            self.first, self._in_first = (tag, dict(attrs)), True

    def handle_endtag(self, tag: str) -> None:
        if self.first is not None and tag == self.first[0]:
            self._in_first = False

    def handle_data(self, data: str) -> None:
        if self._in_first:
            self.first_text += data


LEDE = ("Two papers on **cheaper attention** and [agents that learn](https://example.com/x), "
        "read for the people who run them in production, with the figures that matter and "
        "the caveats that decide whether a pilot is worth it this quarter.")


def test_the_preheader_is_the_lede_hidden_first_in_the_html_part(
        run: Run, tmp_path: Path) -> None:
    issue = one_issue(tmp_path, paper(), config=f'email_from = "{SENDER}"\n',
                      extra=f"lede = '''{LEDE}'''\n")
    _, message, _ = _eml(run, issue)
    text, html = _parts(message)
    body = Body(html)
    assert body.first is not None
    tag, attrs = body.first
    assert tag == "div" and attrs.get("class") == "preheader", body.first
    assert "display: none" in (attrs.get("style") or "")
    shown = PAD.sub("", body.first_text).replace("\u00a0", " ").strip()
    # Plain words: no Markdown, no link target; cut at a word, within 140 characters.
    assert shown.startswith("Two papers on cheaper attention and agents that learn, read")
    assert shown.endswith("…") and len(shown) <= 141 and "https" not in shown, shown
    assert LEDE[:-1].replace("**", "").replace("[", "").startswith(shown[:40])
    assert PAD.search(body.first_text), "no padding after the preview text"
    # Not in the text part (which shows the lede itself, once), nor on the web page.
    assert not PAD.search(text) and "preheader" not in text
    assert text.count("cheaper attention") == 1
    page = run("render", str(issue), "--format", "html").stdout
    assert "preheader" not in page and not PAD.search(page)


def test_a_style_that_shows_no_lede_has_no_preheader(run: Run, tmp_path: Path) -> None:
    # Digest shows no lede: a preview of text the reader cannot find would mislead.
    copy = tmp_path / "digest"
    shutil.copytree(EXAMPLES / "digest", copy)
    with (copy / "issue.toml").open("a", encoding="utf-8") as file:
        file.write('\nlede = "A lede the digest does not show."\n')
    _, message, _ = _eml(run, copy)
    assert "preheader" not in _parts(message)[1]


def test_an_entity_cannot_put_a_control_into_the_inbox_line() -> None:
    """check refuses U+202E written raw; '&#x202e;' decodes to it, and the preheader is
    what the inbox shows beside the subject (reversed, 'gnp.exe' reads as 'exe.png')."""
    assert preview_text("Safe &#x202e;gnp.exe and &#x2028;&#x2029;more") == \
        "Safe gnp.exe and more"


def test_preview_text_cuts_at_a_word() -> None:
    assert preview_text(None) is None
    assert preview_text("Short *lede*.") == "Short lede."
    cut = preview_text("word " * 60)
    assert cut is not None and cut.endswith("word…") and len(cut) <= 141
    assert preview_text("x" * 300) == "x" * 140 + "…"


# ------------------------------------------------------------------ Content-Language


def test_content_language_comes_from_language(run: Run, tmp_path: Path) -> None:
    issue = one_issue(tmp_path, paper(), config=f'email_from = "{SENDER}"\nlanguage = "de"\n')
    _, message, stderr = _eml(run, issue)
    assert message["Content-Language"] == "de" and stderr.strip() == "wrote out.eml"


@pytest.mark.parametrize("raw", ['"English, mostly"', '"en\\r\\nBcc: leak@attacker.example"',
                                 '"en =?utf-8?q?=0D=0ABcc:_x?="'])
def test_a_language_that_is_no_tag_never_reaches_the_header(run: Run, tmp_path: Path,
                                                              raw: str) -> None:
    issue = one_issue(tmp_path, paper(), config=f'email_from = "{SENDER}"\nlanguage = {raw}\n')
    found = [p for p in check_output(run("check", "."), tmp_path) if p.severity == "error"]
    assert [(p.path, p.line, p.column) for p in found] == [("newsletter.toml", 4, 12)], found
    assert "language" in found[0].message
    result = run("render", str(issue), "--format", "email", "--output", "out.eml")
    assert [p.line for p in render_output(result, tmp_path)] == [4]
    assert not Path("out.eml").exists()


# ------------------------------------------------------------------ Gmail's clip size


def _long_paper(number: int) -> str:
    words = " ".join(f"word{n}" for n in range(110))
    findings = ", ".join(f'"Finding {n}: {words[:160]}."' for n in range(5))
    uses = ", ".join(f'"Use {n}: {words[:140]}."' for n in range(3))
    return paper(title=f'"Paper {number}: Sparse Attention at Scale, Revisited"',
                 url=f'"https://arxiv.org/abs/2604.{10000 + number}"',
                 summary=f'"{words}."', key_findings=f"[{findings}]",
                 applications=f"[{uses}]")


WARNING = re.compile(r"^issues/001/issue\.toml: warning: the (HTML part|HTML fragment) is "
                     r"(\d+) KB with (\d+) papers; Gmail clips messages over 102 KB$")


def test_an_html_part_gmail_would_clip_is_a_warning(run: Run, tmp_path: Path) -> None:
    issue = one_issue(tmp_path, *(_long_paper(n) for n in range(1, 31)),
                      config=f'email_from = "{SENDER}"\n')
    result = run("render", "issues/001", "--format", "email", "--output", "out.eml")
    assert result.exit_code == 0, result.output  # a warning, not an error
    lines = result.stderr.splitlines()
    warnings = [line for line in lines if WARNING.match(line)]
    assert len(warnings) == 1, result.stderr
    match = WARNING.match(warnings[0])
    assert match is not None and match[1] == "HTML part" and match[3] == "30"
    message = email.message_from_bytes(Path("out.eml").read_bytes(), policy=email.policy.default)
    size = len(_parts(message)[1].replace("\r\n", "\n").encode("utf-8"))
    assert size > 100 * 1024 and int(match[2]) == round(size / 1024), (size, warnings[0])
    assert issue.name == "001"

    fragment = run("render", "issues/001", "--format", "html", "--fragment")
    assert fragment.exit_code == 0
    found = [WARNING.match(line) for line in fragment.stderr.splitlines()]
    assert [m[1] for m in found if m] == ["HTML fragment"], fragment.stderr


def test_a_smaller_issue_has_no_warning(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, *(_long_paper(n) for n in range(1, 11)),
              config=f'email_from = "{SENDER}"\n')
    result = run("render", "issues/001", "--format", "email", "--output", "out.eml")
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr


@pytest.mark.parametrize("style", EMAIL_STYLES)
def test_the_examples_are_not_clipped(run: Run, style: str) -> None:
    for flags in (("--format", "email", "--from", SENDER), ("--format", "html", "--fragment")):
        result = run("render", str(EXAMPLES / style), *flags)
        assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr


# ------------------------------------------------------------------ the fragment


class Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.declarations: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)


@pytest.mark.parametrize("style", sorted(s.name for s in all_styles() if "html" in s.formats))
def test_the_fragment_is_the_emails_body_with_inline_styles(
        run: Run, example: Callable[[str], Path], style: str) -> None:
    copy = _copy_with(example, style, f'unsubscribe_url = "{HTTPS}"\nlanguage = "en-GB"\n')
    result = run("render", str(copy), "--format", "html", "--fragment")
    assert result.exit_code == 0, result.output
    fragment = result.stdout
    # The same document by its registry name.
    assert fragment == run("render", str(copy), "--format", "html-fragment").stdout
    found = Tags(fragment)
    names = [tag for tag, _ in found.tags]
    assert not {"html", "head", "body", "style", "meta", "title", "link", "script"} & set(names)
    assert not found.declarations and "<!DOCTYPE" not in fragment
    # One <div> around it all, with the body's look and the publication's language.
    assert fragment.startswith("<div ") and fragment.rstrip().endswith("</div>")
    assert found.tags[0][0] == "div"
    attrs = found.tags[0][1]
    assert attrs.get("lang") == "en-GB" and "font" in (attrs.get("style") or "")
    # Every heading, link and paragraph styled inline: nothing rests on a stylesheet.
    unstyled = [(t, a) for t, a in found.tags if t in ("h1", "h2", "h3", "p", "a", "table")
                and not a.get("style")]
    assert not unstyled, unstyled[:3]
    assert "var(--" not in fragment
    # The email's body: its text, its unsubscribe line.
    _, message, _ = _eml(run, copy, "--from", SENDER)
    html = _parts(message)[1].replace("\r\n", "\n")
    inner = html[html.index(">", html.index("<body")) + 1:html.index("</body>")].strip()
    assert inner in fragment
    assert Links(fragment).hrefs[-1] == (HTTPS, "Unsubscribe")


def test_fragment_goes_with_html_only(run: Run) -> None:
    result = run("render", str(EXAMPLES / "weekly"), "--format", "md", "--fragment")
    assert result.exit_code == 2
    assert "--fragment goes with --format html, not 'md'" in one_line_error(result)


FRAGMENT_STYLES = sorted(s.name for s in all_styles()
                         if "html-fragment" in s.formats and (EXAMPLES / s.name).is_dir())


def _fragment(run: Run, directory: Path) -> str:
    result = run("render", str(directory), "--format", "html", "--fragment")
    assert result.exit_code == 0, result.output
    return result.stdout


def _with_a_language_tag(issue: Path, target: Path) -> Path:
    """A copy of a harness issue whose language is a language tag again: check refuses any
    other, and language is no text a reader sees (the page's lang says it)."""
    shutil.copytree(issue, target)
    config = target / "newsletter.toml"
    data = tomllib.loads(config.read_text(encoding="utf-8"))
    data["language"] = "en"
    config.write_text(tomli_w.dumps(data), encoding="utf-8")
    return target


@pytest.mark.parametrize(("style", "group"), [
    pytest.param(style, group, id=f"{style}-{group.id}")
    for style in FRAGMENT_STYLES for group in TEXT_GROUPS])
def test_hostile_text_is_inert_in_the_fragment(run: Run, scratch: Path,  # noqa: F811
                                               tmp_path: Path, style: str,
                                               group: Group) -> None:
    """The HTML safety properties (tests/test_html_safety.py) hold for the fragment: no
    live markup, no <style> at all, nothing the benign issue's fragment lacks, and every
    payload shown as text wherever the email shows it."""
    injected = hostile_issue(scratch, style, group)
    hostile_copy = _with_a_language_tag(injected.directory, tmp_path / "hostile")
    if group.may_be_refused and refused(run, hostile_copy):
        return
    page = parse(_fragment(run, hostile_copy))
    benign = benign_issue(scratch, style)
    benign_copy = _with_a_language_tag(benign.directory, tmp_path / "benign")
    harmless = parse(_fragment(run, benign_copy))
    assert_inert(page, document=False)
    assert_no_new_markup(page, harmless)
    assert_tags_outside_markup(page, injected.slots)
    # Where the fragment shows harmless text, it shows the payload: the email's body shows
    # these slots too (its <title>, which the fragment has not, aside).
    shown = {slot.tag for slot in benign.slots if f"{slot.tag} harmless" in harmless.text}
    in_email = parse(email_parts(harness_render(run, benign_copy, "email"))[0]).text
    assert shown and shown <= {tag for tag in shown if f"{tag} harmless" in in_email}, shown
    assert_shown(page.text, injected.slots, shown, group.payloads, f"{style} html-fragment")


# ------------------------------------------------------------------ validity and clients


@pytest.fixture
def listed_emails(tmp_path: Path, example: Callable[[str], Path], run: Run) -> dict[str, Path]:
    """Each style's example email with an unsubscribe line (and the preheader, where the
    style shows a lede): style → its HTML part."""
    documents = {}
    for style in EMAIL_STYLES:
        copy = _copy_with(example, style, f'unsubscribe_url = "{HTTPS}"\nlanguage = "en-GB"\n')
        _, message, _ = _eml(run, copy, "--from", SENDER)
        path = tmp_path / f"{style}-listed.html"
        path.write_text(_parts(message)[1], encoding="utf-8")
        documents[style] = path
    return documents


def test_emails_with_every_part_pass_the_nu_html_checker(
        listed_emails: dict[str, Path]) -> None:
    errors = vnu_errors(listed_emails.values())
    bad = {style: errors.get(path.resolve(), []) for style, path in listed_emails.items()}
    bad = {style: found for style, found in bad.items() if found}
    assert not bad, "\n".join(f"{style}:\n{format_vnu_errors(found)}"
                              for style, found in bad.items())


def test_emails_with_every_part_use_nothing_a_major_client_lacks(
        listed_emails: dict[str, Path]) -> None:
    """caniemail, with tests/test_email.py's clients and tolerances."""
    report = run_caniemail(list(listed_emails.values()))
    by_path = {Path(path).resolve(): issues for path, issues in report["files"].items()}
    for style, path in listed_emails.items():
        issues = by_path[path.resolve()]
        assert not failing(issues), format_caniemail(f"{style} (listed)", issues)
