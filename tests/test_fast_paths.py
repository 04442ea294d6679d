"""Fast paths held to the plain rules they replace, on random text: the cmark guard's
substring tests against its one-regex form, ``split_lead`` against its pattern."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.render import markup, safehtml

# The guard as one alternation (how it was written before the fast path), with the same
# link and line rules.
_RISKY = re.compile(
    r"[`\\\t\r\x00-\x08\x0b-\x1f\x7f-\x9f]|<(?=[A-Za-z/!?])|<[^\s<>]*>"
    r"|&(?=#|[A-Za-z0-9]+;)|!\[|\]:|~~|\[[^\]]*\[|\*\*\*|___"
    r"|(?i:javascript|vbscript|file|data):")
_SINGLE_STAR = re.compile(r"(?<!\*)\*(?!\*)")
_SINGLE_UNDERSCORE = re.compile(r"(?<!_)_(?!_)")
_MARKER = r"(?:[-+*]|\d{1,9}[.)])(?: +|$)"
_RISKY_LINE = re.compile(
    rf"^ {{0,3}}(?:{_MARKER}){{0,2}} *(?:[>#]|[-*_=+#\s]*$)|^ {{0,3}}(?:{_MARKER}){{3}}| {{4}}",
    re.M)


def _reads_alike(text: str) -> bool:
    if _RISKY.search(text) or _RISKY_LINE.search(text) or text.count("[") > 16:
        return False
    stars, underscores = text.count("**"), text.count("__")
    if (stars + underscores > 2 or (stars and _SINGLE_STAR.search(text))
            or (underscores and _SINGLE_UNDERSCORE.search(text))):
        return False
    if "](" in text:
        return (text.isascii() and text.count("](") == len(safehtml._CMARK_LINK.findall(text))
                and not safehtml._CMARK_ODD_AUTHORITY.search(text))
    if not text.isascii():
        return all(c.isascii() or unicodedata.category(c)[0] in "LMNP" for c in text)
    return True


_LEAD = re.compile(rf"^(?P<lead>[^:\n]{{1,{markup._LEAD_MAX}}}?):(?:\s+(?P<rest>.*)|$)", re.S)


def _split_lead(text: str) -> tuple[str | None, str]:
    match = _LEAD.match(text.strip())
    if match is None:
        return None, text
    lead = match.group("lead").strip()
    if (not lead or len(lead.split()) > markup._LEAD_WORDS or ". " in lead or "](" in lead
            or "**" in lead or "`" in lead):
        return None, text
    return lead, (match.group("rest") or "").strip()


# What either rule turns on, including the letters the regex engine folds ('ſ' is 's',
# 'K' is 'k' to it) and spaces str.strip and \s agree on or not.
_PIECES = ["*", "**", "***", "_", "__", "[", "]", "(", ")", "](", "]:", "<", ">", "<a>", "&",
           "&amp;", "&#1;", "#", ";", "!", "![", "~", "~~", "`", "\\", "\n", " ", "    ", "-",
           "+", "1.", "2)", "1234567890.", "=", "|", "a", "word", "Cost", "http://e.com",
           "javascript", "JavaScript", "javaſcript", "data", "file", "vbscript", ":", "ſ",
           "K", "é", "\t", "\r", "\x7f", "\x85", "\u00a0", "\u2003", "İ", "x" * 79]
_SOUP = st.lists(st.sampled_from(_PIECES), max_size=14).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_SOUP)
def test_the_cmark_guard_decides_as_its_one_regex_form(text: str) -> None:
    for form in (text, text.strip(), " ".join(text.split())):
        assert safehtml._cmark_reads_alike(form) == _reads_alike(form), repr(form)


@settings(max_examples=3000, deadline=None)
@given(_SOUP)
def test_split_lead_splits_as_its_pattern(text: str) -> None:
    assert markup.split_lead(text) == _split_lead(text), repr(text)


def test_the_fast_paths_find_what_the_rules_name() -> None:
    # Not only agreement on nothing: each rule still says yes and no where it should.
    assert markup.split_lead("Cost: cuts memory by half") == ("Cost", "cuts memory by half")
    assert markup.split_lead("See https://example.com") == (None, "See https://example.com")
    assert markup.split_lead("x" * 81 + ": too long a lead")[0] is None
    assert safehtml._cmark_reads_alike("plain **bold** text")
    assert not safehtml._cmark_reads_alike("[x](JaVaScRiPt:alert(1))")
    assert not safehtml._cmark_reads_alike("javaſcript: folded as the regex engine folds")
    assert not safehtml._cmark_reads_alike("one *single* star and **a double**")


# Plain text around one **bold**: letters, digits, spaces and the punctuation that is no
# Markdown, quotes and non-ASCII letters among them.
_PLAIN = st.text(st.sampled_from(list("abcXYZ019 ,.;:'\"()?-+#=é€—ß日")),
                 max_size=12)
_BOLD = st.text(st.sampled_from(list("abZ09 ,.'\"-é")), min_size=1, max_size=8)


@settings(max_examples=2000, deadline=None)
@given(_PLAIN, _BOLD, _PLAIN)
def test_one_bold_renders_as_the_full_path(before: str, bold: str, after: str) -> None:
    line = f"{before}**{bold}**{after}"
    assert safehtml.inline_html(line) == safehtml.parsed_inline_html(line), repr(line)


@settings(max_examples=2000, deadline=None)
@given(st.lists(_PLAIN, max_size=3), _PLAIN, _BOLD, _PLAIN, st.lists(_PLAIN, max_size=3))
def test_a_paragraph_with_one_bold_renders_as_the_full_path(
        above: list[str], before: str, bold: str, after: str, below: list[str]) -> None:
    text = "\n".join([*above, f"{before}**{bold}**{after}", *below])
    assert safehtml.block_html(text) == safehtml.parsed_block_html(text), repr(text)


def test_one_bold_takes_the_short_way() -> None:
    assert safehtml._one_bold("cuts **latency at p99** by 30%") == \
        "cuts <strong>latency at p99</strong> by 30%"
    assert safehtml._one_bold("a ** spaced ** bold") is None
    assert safehtml._one_bold("**two** and **bolds**") is None


# One [text](url) in plain text: link texts with spaces, parentheses, quotes, a colon and
# non-ASCII; destinations of every character the shortcut lets through, upper-case hosts,
# percent escapes good and bad, and some it must leave to the renderers.
_LINK_TEXT = st.text(st.sampled_from(list("abXY09 ():;,.'\"-é—日?#+=")), min_size=1,
                     max_size=10)
_URL_PART = st.text(st.sampled_from(list("aZ09-._~:/?#@=+,;%")), max_size=12)
_URL = st.builds(lambda scheme, host, part, escape: f"{scheme}{host}{part}{escape}",
                 st.sampled_from(["https://", "http://", "HTTPS://", "ftp://", "https:",
                                  "mailto:"]),
                 st.sampled_from(["example.org", "Example.ORG", "a.b", "", "xn--e1a.ru", "09",
                                  "1.2.3.4", "a.0x1", "a--b.org", "-a.org", "a.b-",
                                  "xn--zz.org", "x.y9", "e.org.", "a..b", "a.b.c-d", "u@h.org",
                                  "@a", "a::", "a.b:80", "a.b:8a", "u:p@h.org"]),
                 _URL_PART, st.sampled_from(["", "%20", "%2F", "%zz", "%", "(", ")", "&x",
                                             "'", "\"", "*"]))


@settings(max_examples=3000, deadline=None)
@given(_PLAIN, _LINK_TEXT, _URL, _PLAIN)
def test_one_link_renders_as_the_full_path(before: str, text: str, url: str,
                                           after: str) -> None:
    line = f"{before}[{text}]({url}){after}"
    assert safehtml.inline_html(line) == safehtml.parsed_inline_html(line), repr(line)


def test_one_link_takes_the_short_way() -> None:
    assert safehtml._one_link("schedules [error rates](https://example.org/a-1?q=2) by 61%") \
        == ('schedules <a href="https://example.org/a-1?q=2" rel="noopener noreferrer">'
            "error rates</a> by 61%")
    assert safehtml._one_link("[a](javascript:alert(1))") is None
    assert safehtml._one_link("[a](https://e.org/x) and [b](https://e.org/y)") is None
    assert safehtml._one_link("[ spaced ](https://e.org/)") is None
    assert safehtml._one_link("**bold** [a](https://e.org/)") is None
