"""``ungrounded-number``: each figure of a paper's text is found in its abstract or notes."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsletter.check import grounding, lint
from newsletter.check.grounding import figures, grounds, ungrounded, ungrounded_by
from tests.support.cli import PROBLEM, Cli


@pytest.mark.parametrize(("text", "found"), [
    ("Sparse attention, 75% cheaper", ["75%"]),
    ("1.82× faster and 10.57x smaller, 163× fewer calls", ["1.82×", "10.57x", "163×"]),
    ("at 1/55th the cost", ["1/55th"]),
    ("trained on 30B tokens with 500K steps", ["30B", "500K"]),
    ("gains +0.6 points over ~70,000 steps", ["+0.6 points", "~70,000 steps"]),
    ("a $2M budget and 12 ms latency", ["$2M", "12 ms"]),
    ("a 75 % drop", ["75 %"]),
])
def test_figures_with_a_unit_or_sign_are_found(text: str, found: list[str]) -> None:
    assert [figure.text for figure in figures(text)] == found


@pytest.mark.parametrize("text", [
    "GPT-4 beats Llama 3 on 3 of 5 benchmarks in 2026",
    "H100 and A100 GPUs, top-1 accuracy, v2.5, ResNet-50",
    "pages 3-5, section 2.1",
])
def test_counts_years_and_names_are_no_figures(text: str) -> None:
    assert [figure.text for figure in figures(text)] == []


@pytest.mark.parametrize(("figure", "abstract"), [
    ("1.82x", "a 1.82× speed-up"),
    ("1.82×", "speeds decoding up 1.82x"),
    ("75%", "cuts the cost by 75 %"),
    ("~70,000 steps", "after 70000 steps"),
    ("70000 steps", "after 70,000 steps"),
    ("30B tokens", "30 billion tokens"),
    ("30 billion tokens", "a 30B-token corpus"),
    ("+0.6 points", "improves MMLU by 0.6"),
    ("1.50×", "1.5x faster"),
    ("1/55th", "at 1/55 of the cost"),
])
def test_the_obvious_equivalents_ground_a_figure(figure: str, abstract: str) -> None:
    assert list(ungrounded(f"It shows {figure} here.", grounds(abstract))) == []


@pytest.mark.parametrize(("figure", "abstract"), [
    ("75%", "cuts the cost by 70%"),
    ("30B", "30 million tokens"),
    ("1/55th", "55 times cheaper"),
    ("1.82×", "1.8x faster"),
])
def test_a_different_value_is_not_grounded(figure: str, abstract: str) -> None:
    assert [f.text for f in ungrounded(f"It shows {figure} here.", grounds(abstract))] == [
        figure]


def _publication(tmp_path: Path, paper: str) -> Path:
    (tmp_path / "newsletter.toml").write_text('name = "X"\nstyle = "briefing"\n')
    papers = tmp_path / "issues/001/papers"
    papers.mkdir(parents=True)
    (tmp_path / "issues/001/issue.toml").write_text(
        'number = 1\ndate = 2026-04-01\nstatus = "draft"\n')
    (papers / "01-x.toml").write_text(paper, encoding="utf-8")
    return tmp_path


def test_an_invented_figure_is_flagged_at_its_own_line_and_column(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _publication(tmp_path, '''title = "X"
url = "https://arxiv.org/abs/2604.01234"
headline = "Test-time compute, 38% of the cost"
abstract = """We match a 4x larger model
at 38% of its cost."""
problem = """Compute is spent evenly.

It wastes 60% of the budget on easy questions."""
why_it_matters = ["Cost: a 4x larger model's answers", "Scale: 1.82× faster"]
''')
    monkeypatch.chdir(root)
    result = Cli()("check", "issues/001", "--format", "concise")
    found = [PROBLEM.match(line) for line in result.stdout.splitlines()]
    flagged = [(m["line"], m["col"], m["message"]) for m in found
               if m and m["rule"] == "ungrounded-number"]
    assert flagged == [
        ("8", "11", "'60%' is in neither the paper's abstract nor its notes; check it "
                    "against the paper"),
        ("9", "64", "'1.82×' is in neither the paper's abstract nor its notes; check it "
                    "against the paper"),
    ]
    assert result.exit_code == 0  # a warning


def test_notes_ground_too_and_a_paper_without_either_is_not_judged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _publication(tmp_path, '''title = "X"
headline = "75% cheaper, 1.82× faster"
notes = "Table 3: 1.82x on A100."
''')
    monkeypatch.chdir(root)
    result = Cli()("check", "issues/001", "--format", "concise")
    assert [line for line in result.stdout.splitlines() if "ungrounded" in line] == [
        "issues/001/papers/01-x.toml:2:13: warning: '75%' is in neither the paper's "
        "abstract nor its notes; check it against the paper [ungrounded-number]"]
    (root / "issues/001/papers/01-x.toml").write_text('title = "X"\nheadline = "75% off"\n')
    again = Cli()("check", "issues/001", "--format", "concise")
    assert "ungrounded" not in again.stdout


def test_the_rule_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _publication(tmp_path, 'title = "X"\nheadline = "75% off"\nabstract = "None."\n')
    (root / "newsletter.toml").write_text(
        'name = "X"\nstyle = "briefing"\n\n[check.rules]\nungrounded-number = "off"\n')
    monkeypatch.chdir(root)
    assert "ungrounded" not in Cli()("check", "issues/001").stdout


# ------------------------------------------------------------------ the fast paths

# What the patterns turn on: digits in every grouping, each unit, sign and scale, the
# characters that hide a number ('v2.5', 'H100', '1/2'), the spaces \s and ' ' disagree on,
# and digits \d and [0-9] disagree on ('1/٣' is no fraction: no ground could hold it).
_PIECES = ["0", "1", "7", "38", "70,000", "1,00", "1.82", "1.50", "007", "2.3.4", "9" * 12,
           "٣", "²", " ", "  ", "\n", "\t", "\0", "\x1c", "\u00a0", "\u2009", "%", "x", "×",
           "X", "K", "M", "B", "T", "k", "b", "/", "/ ", "/٣", "/１", "th", "st", " billion",
           " thousand", " ms", "ms", " s", " sec", " points", " tokens", " GB", " min", "+",
           "~", "≈", "±", "$", "US$", "€", "£", "-", "−", "–", ",", ".", "_", "a", "v", "H", "é",
           "GPT-", "(", ")"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join)


@settings(max_examples=2000, deadline=None, derandomize=True, database=None)
@given(_TEXT, _TEXT, st.integers(min_value=0, max_value=5))
def test_the_fast_paths_find_what_the_full_scan_finds(text: str, other: str, drop: int) -> None:
    whole = grounds(text)
    for ground in (whole, whole - set(sorted(whole)[drop:drop + 1]), grounds(other)):
        found = [figure for figure in figures(text) if figure.value not in ground]
        assert list(ungrounded(text, ground)) == found
    assert ungrounded_by(text, other) == list(ungrounded(text, grounds(other)))


@settings(max_examples=3000, deadline=None, derandomize=True, database=None)
@given(_TEXT, st.lists(st.sampled_from(_PIECES), min_size=1, max_size=12), _TEXT)
def test_a_figure_copied_into_the_abstract_is_judged_as_the_full_scan_judges_it(
        text: str, between: list[str], other: str) -> None:
    # The abstract holds the text's figures as written, between what may run a number on
    # or end it, so that the shortcut for copied figures is taken, or wrongly turned down.
    written = [figure.raw for figure in figures(text)] + grounding._FIGURE.findall(text)
    abstract = "".join(itertools.chain.from_iterable(zip(itertools.cycle(between), written)))
    for evidence in (abstract, abstract + between[0], other + abstract, text, other + text):
        assert ungrounded_by(text, evidence) == list(ungrounded(text, grounds(evidence)))


@settings(max_examples=2000, deadline=None, derandomize=True, database=None)
@given(_TEXT)
def test_a_text_and_its_shape_give_the_same_matches(text: str) -> None:
    for pattern, in_shape in ((grounding._FIGURE, grounding._FIGURE_IN_SHAPE),
                              (grounding._GROUND, grounding._GROUND_IN_SHAPE)):
        assert grounding._matched(in_shape, text) == pattern.findall(text)


@pytest.mark.parametrize("text", ["a 5% b", "é 75% ٣ 1.5x", "\ud83d 30B \udc00 2x", ""])
def test_a_shape_has_a_zero_for_each_ascii_digit_and_nothing_else_changed(text: str) -> None:
    shape = grounding._shape(text)
    assert len(shape) == len(text)
    assert [a if not ("0" <= a <= "9") else "0" for a in text] == list(shape)


@pytest.mark.parametrize("data", [
    {"headline": "75% off", "why_it_matters": ["a 2x gain", "30B tokens"], "score": 7.5},
    {"key_innovations": ["one", {"label": "Cost", "text": "38%"}, [], ["nested 4x"]]},
    {"risks": [], "watch_for": [1, "1.82x"], "also_in": [{"issue": 3, "why": "75%"}]},
    {"title": "10x", "abstract": "10x", "notes": "10x", "extra": {"deep": {"er": "5%"}}},
])
def test_the_claims_are_read_as_every_string_of_them(data: dict[str, Any]) -> None:
    claims = {key: value for key, value in data.items() if key not in lint._NOT_CLAIMS}
    assert lint._claims(data) == "\0".join(text for _, text in lint._strings(claims))


_TOML_VALUE = st.recursive(
    st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=False), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(st.dictionaries(st.sampled_from(["headline", "problem", "risks", "how_it_works",
                                        "title", "notes", "extra"]), _TOML_VALUE))
def test_the_claims_of_any_shape_are_read_in_the_order_positions_are_taken(
        data: dict[str, Any]) -> None:
    claims = {key: value for key, value in data.items() if key not in lint._NOT_CLAIMS}
    assert lint._claims(data) == "\0".join(text for _, text in lint._strings(claims))
