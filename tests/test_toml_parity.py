"""toml-rs, our fast parser, accepts and refuses exactly what the standard library does.

``newsletter.tomlfile.parse`` reads entries with toml-rs and hands anything it refuses to
tomli (tomllib's upstream) for the error message. That is only sound if toml-rs never
accepts a text tomllib refuses, never refuses one it accepts, and returns the same data
(same types, same values, to the microsecond and the time zone). These tests compare the
three over the bundled examples, TOML's corner cases, and generated mutations of the
examples and soups of TOML tokens; and check that an error still lands where tomli puts it.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import toml_rs
import tomli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.entries.tomlfile import _could_be_too_deep, parse
from tests.support.paths import EXAMPLES

GENERATED = int(os.environ.get("NEWSLETTER_PARITY_EXAMPLES", "6000"))

# What a value is, down to its type: 1 == 1.0 == True in Python, and aware datetimes
# compare equal across zones, so plain == would hide a difference.
Shape = Any


def shape(value: Any) -> Shape:
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if isinstance(value, dt.datetime):
        return ("datetime", value.isoformat(), str(value.utcoffset()))
    return (type(value).__name__, repr(value))


def verdict(load: Any, text: str) -> tuple[str, Shape]:
    try:
        return "accepts", shape(load(text))
    except (RecursionError, ValueError):  # TOMLDecodeError is a ValueError in all three
        return "refuses", None


def toml_rs_1_0(text: str) -> dict[str, Any]:
    return toml_rs.loads(text, toml_version="1.0.0")


def assert_parity(text: str) -> None:
    expected = verdict(tomllib.loads, text)
    data, problem = parse(Path("entry.toml"), text)
    if problem is not None and "nested too deeply" in problem.message:
        # Refused by depth, whatever a parser's recursion limit would do.
        assert _could_be_too_deep(text)
        return
    # toml-rs skips a leading byte-order mark that tomllib refuses; parse() never gives it
    # one (decode() drops the first mark, and a second goes to tomli).
    if not _could_be_too_deep(text) and not text.startswith("\ufeff"):
        assert verdict(toml_rs_1_0, text) == expected, f"toml-rs differs on {text!r}"
    if expected[0] == "accepts":
        assert problem is None, f"{text[:200]!r}: {problem}"
        assert shape(data) == expected[1]
        return
    assert data is None and problem is not None, f"tomllib refuses {text[:200]!r}"
    try:
        tomli.loads(text)
    except tomli.TOMLDecodeError as error:
        # Where tomli puts it (clamped to the line's end, which an editor can reach).
        assert problem.line == error.lineno
        assert problem.column <= error.colno
    else:  # TOML 1.1 syntax: tomli reads it, tomllib (TOML 1.0) does not
        assert "TOML 1.1 syntax" in problem.message


@cache
def example_texts() -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8")
                 for path in sorted(EXAMPLES.rglob("*.toml")))


def test_every_bundled_example_reads_the_same() -> None:
    assert len(example_texts()) > 20
    for text in example_texts():
        assert_parity(text)


CORNER_CASES = [
    "a = 9223372036854775808",  # past int64: tomllib keeps Python's big int
    "a = -9223372036854775809",
    "a = 1e400\nb = -0.0\nc = 0.1e-400\nd = nan\ne = -inf\nf = +nan",
    "a = 0x_1", "a = 01", "a = 1__0", "a = 1_000", "a = 1e1_0", "a = 0o777\nb = 0b1010",
    "a = 1979-05-27T07:32:00.1234567Z", "a = 1979-05-27 07:32:00Z",
    "a = 1979-05-27T00:32:00.999999-07:00", "a = 1979-05-27T07:32:00+24:00",
    "a = 1979-05-27T07:32\n", "a = 07:32:00\nb = 00:32:00.5", "a = 24:00:00",
    "a = 2000-02-29\nb = 2001-02-29", "a = 0000-01-01", "a = 99999-01-01",
    "a = 1969-12-31T23:59:60Z", "a = 2000-01-01T10:00:60",
    'a = "\\U0010FFFF"', 'a = "\\uD800"', 'a = "\\e"', 'a = "\\x41"', 'a = "\x7f"',
    'a = "\x01"', "a = '''\x00'''", 'a = """\\\n   x"""', 'a = """""""', "a = '''''''''",
    'a = """a""""', "a = 'b'\r\n", "a = 1\r", "a = 1 # \x01", "a = 1 # \x7f",
    "a = {b = 1,}", "a = {\nb = 1}", "a = {b = 1}\na.c = 2", "a = [1,]\nb = [\n1,\n2,\n]",
    '"" = 1', 'a."".b = 2', "a.b = 1\n[a]", "[a]\n[a]", "[[a]]\n[a]", "[a.b]\n[a]\nb = 1",
    "a = [1, 'x', 1.0, true, 1979-05-27]", "a = true\nb = True", "a =", "= 1", "a = 1 b = 2",
    "[table]\nkey = 1\n[[table.array]]\nx = 1", "a.b.c = 1\na.b.d = 2\na.e = {f = 1}",
    "a = " + "[" * 60 + "]" * 60, "a = " + "[" * 200 + "]" * 200,
    "a = " + "{b = " * 200 + "1" + "}" * 200, "a" + ".b" * 3000 + " = 1",
    "\ufeffa = 1", "a = 1\n\ufeffb = 2", 'a = "\ufeff"',
]


@pytest.mark.parametrize("text", CORNER_CASES)
def test_corner_cases_read_the_same(text: str) -> None:
    assert_parity(text)


TOKENS = ("[", "]", "[[", "]]", "{", "}", '"', "'", '"""', "'''", "=", ".", ",", "#", "\\",
          "\n", "\r\n", "\t", " ", "a", "key", "1", "1.5", "-", "+", "_", "e", "T", "Z", ":",
          "true", "false", "nan", "inf", "0x", "1979-05-27", "07:32:00", "é", "\x7f", "\x00",
          "\\u00e9", "\\n", "😀", "\ufeff")


@st.composite
def mutated_example(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(example_texts()))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.split("\n")
        where = draw(st.integers(0, max(0, len(lines) - 1)))
        at = draw(st.integers(0, len(text)))
        action = draw(st.integers(0, 6))
        if action == 0:
            del lines[where]
        elif action == 1:
            lines.insert(where, lines[where])
        elif action == 2:
            lines.insert(where, draw(st.sampled_from(example_texts())).split("\n")[0])
        if action <= 2:
            text = "\n".join(lines)
        elif action == 3:
            text = text[:at]
        elif action == 4:
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif action == 5:
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at + 1:]
        else:
            text = text[:at] + text[at + 1:]
    return text


token_soup = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)


@settings(max_examples=GENERATED * 2 // 3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_example())
def test_mutated_examples_read_the_same(text: str) -> None:
    assert_parity(text)


@settings(max_examples=GENERATED // 3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(token_soup)
def test_token_soups_read_the_same(text: str) -> None:
    assert_parity(text)
