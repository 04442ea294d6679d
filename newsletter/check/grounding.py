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
from functools import lru_cache

_NUMBER = r"[0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?"  # one branch: no backtracking between two
_MAGNITUDE = {"k": 10**3, "thousand": 10**3, "m": 10**6, "million": 10**6, "b": 10**9,
              "billion": 10**9, "t": 10**12, "trillion": 10**12}
_UNITS = (r"pp|points?|pts|percentage points?|ms|µs|us|ns|s|sec|seconds?|minutes?|min|"
          r"hours?|h|days?|weeks?|GB|MB|TB|KB|GiB|MiB|TiB|tokens?|steps?|parameters?|params|"
          r"FLOPs?|GPUs?|TPUs?|samples?|examples?|languages?|epochs?|layers?|experts?|"
          r"queries|images?|videos?|hours?")
# A figure: the number, then a fraction, a percent, a multiplier, a magnitude or a unit.
# The pattern starts at a digit, which lets the regex engine skip to digits at C speed, and
# matches only figures, so Python sees few matches; the sign or currency before the number,
# and that it is not inside a word or another number ('H100', 'v2.5'), are looked at by
# hand (see ``_scan``). A number with a sign and no unit ('+0.6', '~70,000') is _SIGNED's.
# The look behind (after the first digit, so that the engine still skips to digits at C
# speed) drops, at once, every start that _scan would skip anyway (inside a word or
# another number): without it, a run of n digits with no unit after them is tried from
# each of its digits, each try backtracking over the rest and every unit, which took
# minutes for a field of 10,000 digits. The number is atomic, (?>...): no shorter part of
# it is followed by a unit (a digit, ',' or '.' is), so giving digits back finds nothing.
_FIGURE = re.compile(
    rf"(?P<number>(?>[0-9](?<![\w.,/][0-9])[0-9]*(?:,[0-9]{{3}})*(?:\.[0-9]+)?))"
    rf"(?:(?P<fraction>\s?/\s?\d+)(?:st|nd|rd|th)?(?![\w/])"
    rf"|(?P<percent>\s?%)"
    rf"|(?P<times>\s?[×x])(?![A-Za-z0-9])"
    rf"|\s?(?P<magnitude>[KMBT])(?![A-Za-z0-9])"
    rf"|\s(?P<word>thousand|million|billion|trillion)\b"
    rf"|\s?(?P<unit>{_UNITS})\b)")
# '-3' alone is a range's end as often as not: a minus needs a unit to be a figure.
_SIGNED = re.compile(rf"[~≈±+$€£] ?(?P<number>{_NUMBER})")
_SIGNS = "~≈±+-−$€£"
_JOINED = "_.,/"  # before a number, these make it part of something else: 'v2.5', '1/2'
# In the abstract and notes: every number, with what may scale it.
# Groups only, in order (findall gives their tuples, no match objects): the number, then
# a fraction, a magnitude letter or a magnitude word. The look-behind after the first
# digit, as in _FIGURE.
_GROUND = re.compile(
    r"((?>[0-9](?<![\w.][0-9])[0-9]*(?:,[0-9]{3})*(?:\.[0-9]+)?))(?:(\s?/\s?[0-9]+)"
    r"|\s?([KMBTkmb])(?![A-Za-z])"
    r"|\s(thousand|million|billion|trillion)\b)?")




@dataclass(frozen=True, slots=True)
class Figure:
    text: str  # as written, spacing collapsed, for the message
    raw: str  # exactly as written, to find it in the file
    start: int  # offset in the text it was found in
    value: str  # canonical: '70000', '1.5', '30000000000', a fraction as '1/55'


_DIGIT = re.compile(r"[0-9]")


@lru_cache(maxsize=65536)
def _bare(token: str) -> str:
    """A number as a canonical string: '70,000' → '70000', '1.50' → '1.5', '007' → '7'."""
    text = token.replace(",", "")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = text.lstrip("0")
    return "0" + text if not text or text.startswith(".") else text


@lru_cache(maxsize=8192)
def _value(number: str, fraction: str | None, scale: str | None) -> str | None:
    """A figure's value from its parts (cached: the same figures recur across papers)."""
    bare = _bare(number)
    if fraction:
        return f"{bare}/{_bare(fraction.strip('/ '))}"
    if scale:
        try:
            scaled = Decimal(bare) * _MAGNITUDE[scale.lower()]
        except (InvalidOperation, KeyError):
            return None
        return _bare(format(scaled, "f"))
    return bare


def _sign_before(text: str, start: int) -> tuple[str | None, int]:
    """The sign or currency just before ``start`` (a space between allowed), and where the
    figure then starts; None when the number is inside a word or another number."""
    before = text[start - 1] if start else ""
    if before and (before.isalnum() or before in _JOINED):
        return None, -1
    at = start - 1 if before == " " else start
    sign = text[at - 1] if at > 0 and text[at - 1] in _SIGNS else ""
    if sign:
        if text[max(0, at - 3):at] == "US$":
            return "US$", at - 3
        previous = text[at - 2] if at > 1 else ""
        if not (previous.isalnum() or previous in _JOINED):  # not 'GPT-4', 'a-5'
            return sign, at - 1
    return "", start


def _scan(text: str, ground: frozenset[str] | None) -> Iterator[Figure]:
    """The figures of ``text`` (those ``ground`` lacks, when it is given), in order."""
    if _DIGIT.search(text) is None:  # most texts: a C-speed look, nothing more
        return
    signed = any(sign in text for sign in "~≈±+$€£")
    if ground is not None and not signed and all(
            (value := _value(number, fraction, magnitude or word)) is None or value in ground
            for number, fraction, _, _, magnitude, word, _ in _FIGURE.findall(text)):
        return  # the common case: every figure grounded, found without a match object
    found: list[tuple[int, int, str]] = []  # start, end, value
    with_units = set()
    for match in _FIGURE.finditer(text):
        number_at = match.start()
        with_units.add(number_at)
        before = text[number_at - 1] if number_at else "\n"
        if before == " " or before in _SIGNS:
            sign, begin = _sign_before(text, number_at)
            if sign is None:
                continue
        elif before.isalnum() or before in _JOINED:
            continue  # inside a word or another number: 'H100', 'v2.5'
        else:
            begin = number_at
        number, fraction, _, _, magnitude, word, _ = match.groups()
        value = _value(number, fraction, magnitude or word)
        if value is not None and (ground is None or value not in ground):
            found.append((begin, match.end(), value))
    if signed:
        for match in _SIGNED.finditer(text):
            number_at = match.start("number")
            if number_at in with_units:
                continue  # a figure with its unit, found above
            sign, begin = _sign_before(text, number_at)
            if not sign or sign in "-−":
                continue
            value = _bare(match.group("number"))
            if ground is None or value not in ground:
                found.append((begin, match.end(), value))
        found.sort()
    for begin, end, value in found:
        raw = text[begin:end].strip()
        yield Figure(" ".join(raw.split()), raw, begin, value)


def figures(text: str) -> Iterator[Figure]:
    """The figures ``text`` states, in order."""
    return _scan(text, None)


def grounds(text: str) -> frozenset[str]:
    """Every value the abstract or notes ``text`` states, each in all the forms that
    ground it: the bare number, the scaled number, the fraction. One scan."""
    if _DIGIT.search(text) is None:
        return frozenset()
    found: set[str] = set()
    for number, fraction, magnitude, word in _GROUND.findall(text):
        bare = _bare(number)
        found.add(bare)
        if fraction:
            found.add(f"{bare}/{_bare(fraction.strip('/ '))}")
        elif (scale := magnitude or word) and (value := _value(number, None, scale)):
            found.add(value)
    return frozenset(found)


def ungrounded(text: str, ground: frozenset[str]) -> Iterator[Figure]:
    """The figures of ``text`` whose value ``ground`` lacks."""
    return _scan(text, ground)
