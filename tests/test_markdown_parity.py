"""cmark (the compiled renderer) gives byte-for-byte the HTML markdown-it-py gives.

``safehtml`` hands text whose Markdown is plain to cmark and the rest to markdown-it-py,
both behind nh3. Wherever cmark takes a text, its HTML must be today's: over every text
of every example, every hostile payload and pathological input of test_html_safety, the
fuzz corpus's special texts, and generated Markdown (the shortcut tests' alphabets, and
soups of the constructs on which the two engines were found to disagree).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.render.safehtml import (
    block_html,
    cmark_block_html,
    cmark_inline_html,
    inline_html,
    parsed_block_html,
    parsed_inline_html,
)
from tests.support.paths import EXAMPLES, REPO
from tests.test_fuzz import SPECIAL_TEXT
from tests.test_html_safety import (
    _SHORTCUT_PROSE,
    _SHORTCUT_TEXT,
    CAPS,
    CONTAINER_REF_PAYLOADS,
    LEGIT_MARKDOWN,
    LEGIT_PLAIN,
    LINK_PAYLOADS,
    PATHOLOGICAL,
    TEXT_GROUPS,
)

pytest.importorskip("cmarkgfm")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _example_texts() -> list[str]:
    files = sorted(EXAMPLES.rglob("*.toml")) + sorted(
        (REPO / "examples-publication").rglob("*.toml"))
    return sorted({text for path in files
                   for text in _strings(tomllib.loads(path.read_text(encoding="utf-8")))})


def _hostile_texts() -> list[str]:
    texts = [payload.text for group in TEXT_GROUPS for payload in group.payloads]
    texts += [payload.text for payload in (*LINK_PAYLOADS, *CONTAINER_REF_PAYLOADS)]
    texts += [LEGIT_PLAIN, LEGIT_MARKDOWN, *SPECIAL_TEXT]
    texts += [build(cap) for build in PATHOLOGICAL.values() for cap in CAPS.values()]
    return texts


EXAMPLE_TEXTS = _example_texts()
CORPUS = EXAMPLE_TEXTS + _hostile_texts()


def assert_parity(text: str) -> None:
    inline = cmark_inline_html(text)
    if inline is not None:
        assert inline == parsed_inline_html(text), repr(text)
    block = cmark_block_html(text)
    if block is not None:
        assert block == parsed_block_html(text), repr(text)


def test_the_corpus_renders_alike() -> None:
    for text in CORPUS:
        assert_parity(text)
        # Each line alone, too: inline fields are one line of what prose fields hold.
        for line in text.split("\n"):
            assert_parity(line)


def test_cmark_takes_the_common_markdown() -> None:
    # Not a vacuous parity: what examples and the benchmark's papers hold goes to cmark.
    common = ["Cost: A small ablation stabilises **latency at the 99th percentile** by 30%",
              "Quality: it schedules [error rates](https://example.org/notes/inputs-515) by 61%",
              "It distils *experiences* and *skills*, all while the weights stay put.",
              "Two options:\n- Fix the tool sequences in advance, or\n- Fine-tune the model.",
              "INT8 keeps its gap at <1% while INT4 climbs to 517%, Q&A ~70,000 steps"]
    for text in common:
        assert cmark_inline_html(" ".join(text.split())) is not None, text
        assert cmark_block_html(text) is not None, text
        assert_parity(text)
    taken = [text for text in EXAMPLE_TEXTS if cmark_block_html(text) is not None]
    assert len(taken) > len(EXAMPLE_TEXTS) // 2


def test_what_cmark_reads_otherwise_goes_to_markdown_it() -> None:
    for text in ["<https://a.b>", "&copy;", "`code`", "![x](https://e.org/p.png)",
                 "[x](javascript:alert(1))", "***strong em***", "**a** and *b*", "# head",
                 "---", "> quote", "~~gone~~", "[r]: https://e.org", "x\\*y", "a\u00a0b"]:
        assert cmark_block_html(text) is None, text


# Soups of the constructs where the engines were found to disagree, to keep the guard honest.
_TOKENS = [*"abc XYZ 019.,;:?'\"()-+=/#%$@^{}*_[]<>&~!|", "**", "__", "*_", "~~",
           "[x](https://e.org/a)", "[x]", "(https://e.org/a_b*c)", "<78", "&amp;", "Q&A",
           "\n", "\n\n", "- ", "1. ", "2) ", "  - ", "> ", "javascript:", "mailto:a@b.c",
           "ed@example.com", "http://x.y/(a)", "](", "](<", ">)", "%20", "%zz",
           "www.example.com", ' "t")', "[a](b)", "[a]: http://x.y", "[a][]", "[a][b]",
           "***", "___", "_a_", "*a*", "a*b*c", "a_b_c", "**a**b", "é", "–", "’", "“", "中",
           "\u00a0", "€", "→", "  \n", "    ", "---", "===", "+ ", "`", "\\", "![", "&#60;"]
_SOUP = st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=18).map("".join)


@settings(max_examples=4000, deadline=None, derandomize=True)
@given(_SOUP)
def test_markdown_soup_renders_alike(text: str) -> None:
    assert_parity(text)


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.one_of(_SHORTCUT_TEXT, _SHORTCUT_PROSE))
def test_shortcut_alphabets_render_alike(text: str) -> None:
    assert_parity(text)
    assert inline_html(text) == parsed_inline_html(text)
    assert block_html(text) == parsed_block_html(text)
