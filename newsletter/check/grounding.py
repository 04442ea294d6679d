"""``ungrounded-number``: every figure of a paper's text traceable to its abstract or notes.

A figure is a number with its unit or sign: ``75%``, ``1.82×``, ``10.57x``, ``163×``,
``1/55th``, ``30B``, ``500K``, ``$2M``, ``+0.6 points``, ``~70,000 steps``, ``12 ms``. A bare
number (``3 benchmarks``, ``2026``, ``GPT-4``, ``H100``) is no figure: it is usually a count,
a year or a name, and flagging it would bury the one invented percentage under noise.

A figure is grounded when its value is among the numbers the abstract and notes hold, with
the obvious equivalents: the same value however written (``70,000`` = ``70000``,
``1.50`` = ``1.5``, ``75 %`` = ``75%``, ``1.82x`` = ``1.82×``), a magnitude spelled either
way (``30B`` = ``30 billion`` = ``30,000,000,000``), the bare number for a sign or unit the
abstract words differently (``0.6`` grounds ``+0.6 points``), and a fraction only by the same
fraction. Looser than a reader, on purpose: a rule that cries wolf is turned off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MAGNITUDE = {"k": 10**3, "thousand": 10**3, "m": 10**6, "million": 10**6, "b": 10**9,
              "billion": 10**9, "t": 10**12, "trillion": 10**12}
_UNITS = (r"pp|points?|pts|percentage points?|ms|µs|us|ns|s|sec|seconds?|minutes?|min|"
          r"hours?|h|days?|weeks?|GB|MB|TB|KB|GiB|MiB|TiB|tokens?|steps?|parameters?|params|"
          r"FLOPs?|GPUs?|TPUs?|samples?|examples?|languages?|epochs?|layers?|experts?|"
          r"queries|images?|videos?|hours?")
# The figure: an optional sign or currency, the number, then a fraction, a percent, a
# multiplier, a magnitude or a unit. Not inside a word or another number ('H100', 'v2.5').
_FIGURE = re.compile(
    rf"(?<![\w.,/])(?P<sign>[~≈±+\-−]|\$|US\$|€|£)?\s?(?P<number>{_NUMBER})"
    rf"(?:(?P<fraction>\s?/\s?\d+)(?:st|nd|rd|th)?(?![\w/])"
    rf"|(?P<percent>\s?%)"
    rf"|(?P<times>\s?[×x])(?![A-Za-z0-9])"
    rf"|\s?(?P<magnitude>[KMBT])(?![A-Za-z0-9])"
    rf"|\s(?P<word>thousand|million|billion|trillion)\b"
    rf"|\s?(?P<unit>{_UNITS})\b)?")
# In the abstract and notes: every number, with what may scale it.
_GROUND = re.compile(
    rf"(?<![\w.])(?P<number>{_NUMBER})(?:(?P<fraction>\s?/\s?\d+)"
    rf"|\s?(?P<magnitude>[KMBTkmb])(?![A-Za-z])"
    rf"|\s(?P<word>thousand|million|billion|trillion)\b)?")


@dataclass(frozen=True, slots=True)
class Figure:
    text: str  # as written, spacing collapsed, for the message
    raw: str  # exactly as written, to find it in the file
    start: int  # offset in the text it was found in
    value: Decimal | str  # a fraction is kept as written: '1/55'


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "")).normalize()
    except InvalidOperation:
        return None


def figures(text: str) -> Iterator[Figure]:
    """The figures ``text`` states, in order."""
    if not any(char.isdigit() for char in text):
        return
    for match in _FIGURE.finditer(text):
        number = _decimal(match.group("number"))
        if number is None:
            continue
        sign = match.group("sign")
        scale = match.group("magnitude") or match.group("word")
        if match.group("fraction"):
            value: Decimal | str = f"{number}/{match.group('fraction').strip('/ ')}"
        elif scale:
            value = (number * _MAGNITUDE[scale.lower()]).normalize()
        elif match.group("percent") or match.group("times") or match.group("unit") or (
                sign and sign not in "-−"):  # '-3' alone is a range's end as often as not
            value = number
        else:
            continue
        raw = match.group(0).strip()
        yield Figure(" ".join(raw.split()), raw, match.start(), value)


def grounds(text: str) -> frozenset[Decimal | str]:
    """Every value the abstract or notes ``text`` states, each in all the forms that
    ground it: the bare number, the scaled number, the fraction."""
    found: set[Decimal | str] = set()
    for match in _GROUND.finditer(text):
        number = _decimal(match.group("number"))
        if number is None:
            continue
        found.add(number)
        if match.group("fraction"):
            found.add(f"{number}/{match.group('fraction').strip('/ ')}")
        scale = match.group("magnitude") or match.group("word")
        if scale and scale.lower() in _MAGNITUDE:
            found.add((number * _MAGNITUDE[scale.lower()]).normalize())
    return frozenset(found)


def ungrounded(text: str, ground: frozenset[Decimal | str]) -> Iterator[Figure]:
    """The figures of ``text`` whose value ``ground`` lacks."""
    for figure in figures(text):
        if figure.value not in ground:
            yield figure
