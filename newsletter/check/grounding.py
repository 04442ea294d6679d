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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import chain
from typing import TypeVar

_MAGNITUDE = {"k": 10**3, "thousand": 10**3, "m": 10**6, "million": 10**6, "b": 10**9,
              "billion": 10**9, "t": 10**12, "trillion": 10**12}
_UNITS = (r"pp|points?|pts|percentage points?|ms|µs|us|ns|s|sec|seconds?|minutes?|min|"
          r"hours?|h|days?|weeks?|GB|MB|TB|KB|GiB|MiB|TiB|tokens?|steps?|parameters?|params|"
          r"FLOPs?|GPUs?|TPUs?|samples?|examples?|languages?|epochs?|layers?|experts?|"
          r"queries|images?|videos?|hours?")

# Each pattern is written once, with '#' for a digit, and compiled twice: with [0-9] to run
# over a text, and with '0' to run over its *shape*, the text with every ASCII digit made
# '0' (see ``_shape``). Nothing the patterns look at tells a digit from '0' (\w, \b, \s,
# \d, [A-Za-z0-9] treat them alike; no unit holds a digit), so the second finds in the
# shape exactly what the first finds in the text, at the same places. It finds it faster
# where digits are few, as in most prose: a pattern that starts with one literal character
# is searched for by the regex engine's loop for that character, several times faster than
# testing each character against [0-9]; but the digits must then be read from the text.
#
# A number: not inside a word or another number ('H100', 'v2.5'), looked at after the
# first digit so that the engine still skips to digits. Possessive throughout: no shorter
# part of a number is followed by a unit (a digit, ',' or '.' is), so giving back digits
# finds nothing, and without it a run of n digits with no unit after them would be tried n
# ways, each backtracking over every unit (minutes for a field of 10,000 digits).
_REST = r"#*+(?>(?:,###)*)(?>(?:\.#++)?)"  # the number after its first digit
# What makes a number a figure: a fraction, a percent, a multiplier, a magnitude or a unit.
# A fraction's digits are ASCII, as a ground's are ('1/٣' could never be grounded).
_SUFFIX = (r"(?:\s?+/\s?+#++(?>(?:st|nd|rd|th)?)(?![\w/])|\s?+%|\s?+[×x](?![A-Za-z0-9])"
           r"|\s?+[KMBT](?![A-Za-z0-9])|\s(?:thousand|million|billion|trillion)\b"
           rf"|\s?+(?:{_UNITS})\b)")


def _compiled(template: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """``template`` for a text and for its shape."""
    return re.compile(template.replace("#", "[0-9]")), re.compile(template.replace("#", "0"))


# A figure, or a number just after a sign or currency with no unit ('+0.6', '~70,000'),
# which is a figure when the sign is one (see ``_sign_before``). '-3' alone is a range's end
# as often as not: a minus needs a unit to be a figure. One group, the whole match, for
# ``_matched``.
_FIGURE, _FIGURE_IN_SHAPE = _compiled(
    rf"(#(?<![\w.,/]#)(?:{_REST}{_SUFFIX}|(?:(?<=[~≈±+$€£]#)|(?<=[~≈±+$€£] #)){_REST}))")
# A figure as written, in parts: its number, then a fraction, a magnitude letter or word.
# Only for what _FIGURE matched, so no look-around: which part follows is plain from it.
_FIGURE_PARTS = re.compile(
    r"([0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?)(?:(\s?/\s?[0-9]+)(?:st|nd|rd|th)?|\s?([KMBT])"
    r"|\s(thousand|million|billion|trillion)|\D.*)?", re.DOTALL)
# In the abstract and notes: every number, with what may scale it (',' or '/' before a
# number does not hide it here: '1,5' grounds the 5 and 'a/55' the 55).
_GROUND, _GROUND_IN_SHAPE = _compiled(
    r"(#(?<![\w.]#)#*+(?>(?:,###)*)(?>(?:\.#++)?)"
    r"(?>(?:\s?+/\s?+#++|\s?+[KMBTkmb](?![A-Za-z])|\s(?:thousand|million|billion|trillion)\b)?))")
_GROUND_PARTS = re.compile(
    r"([0-9]+(?:,[0-9]{3})*(?:\.[0-9]+)?)(?:(\s?/\s?[0-9]+)|\s?([KMBTkmb])"
    r"|\s(thousand|million|billion|trillion))?")
_SIGNS = "~≈±+-−$€£"
_JOINED = "_.,/"  # before a number, these make it part of something else: 'v2.5', '1/2'
# What a number, a fraction or a scale never runs on through: around a figure copied from
# the abstract, they stand where a space would (see ``_copied``). Dashes too: abstracts
# join figures to words with them ('Open-293K', '8B-param', '10–20%').
_APART = frozenset(" \t\n\r\0()[]{};:!?\"'-–−")
_ZEROS = bytes.maketrans(b"123456789", b"000000000")

@dataclass(frozen=True, slots=True)
class Figure:
    text: str  # as written, spacing collapsed, for the message
    raw: str  # exactly as written, to find it in the file
    start: int  # offset in the text it was found in
    value: str  # canonical: '70000', '1.5', '30000000000', a fraction as '1/55'


def _shape(text: str) -> str:
    """``text`` with every ASCII digit a '0', at the same offsets: an ASCII text in three
    passes in C over its bytes; another in one ``str.replace`` a digit (str.translate would
    look each character up in a dict; through UTF-8 and back costs more)."""
    if text.isascii():
        return text.encode("ascii").translate(_ZEROS).decode("ascii")
    for digit in "123456789":
        text = text.replace(digit, "0")  # with no such digit, one search and no copy
    return text


def _matched(in_shape: re.Pattern[str], text: str) -> list[str]:
    """What the text's pattern finds in ``text`` (one group, the whole match), found by
    ``in_shape``, its twin, in the text's shape."""
    # A slice of the text per match: cheaper than split, whose pieces would tile the text
    # (two strings a match, and their running lengths to take).
    return [text[match.start():match.end()] for match in in_shape.finditer(_shape(text))]


@lru_cache(maxsize=65536)
def _bare(token: str) -> str:
    """A number as a canonical string: '70,000' → '70000', '1.50' → '1.5', '007' → '7'."""
    text = token.replace(",", "")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    text = text.lstrip("0")
    return "0" + text if not text or text.startswith(".") else text


def _value(number: str, fraction: str | None, scale: str | None) -> str | None:
    """A figure's value from its parts."""
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


_V = TypeVar("_V")


class _Cache(dict[str, _V]):
    """What a figure or a ground as written stands for, computed once: the same ones recur
    across papers. A dict, not lru_cache, so that a lookup is one C call in ``map``; emptied
    when full, and blind to what no real figure is as long, so that a hostile file's ever
    new ones cannot pile up."""

    def __init__(self, compute: Callable[[str], _V]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, raw: str) -> _V:
        value = self.compute(raw)
        if len(raw) <= 64:
            if len(self) >= 65536:
                self.clear()
            self[raw] = value
        return value


def _figure_value(raw: str) -> str | None:
    parts = _FIGURE_PARTS.fullmatch(raw)
    assert parts is not None  # raw is what _FIGURE matched
    number, fraction, magnitude, word = parts.groups()
    return _value(number, fraction, magnitude or word)


def _ground_values(raw: str) -> tuple[str, ...]:
    parts = _GROUND_PARTS.fullmatch(raw)
    assert parts is not None  # raw is what _GROUND matched
    number, fraction, magnitude, word = parts.groups()
    bare = _bare(number)
    if fraction:
        return bare, f"{bare}/{_bare(fraction.strip('/ '))}"
    if (scale := magnitude or word) and (value := _value(number, None, scale)):
        return bare, value
    return (bare,)


_FIGURE_VALUES = _Cache(_figure_value)
_GROUND_VALUES = _Cache(_ground_values)


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
    for match in _FIGURE.finditer(text):
        number_at, end = match.span()
        raw = match.group()
        sign, begin = _sign_before(text, number_at)
        if sign is None:
            continue  # inside a word or another number (which _FIGURE already skips)
        parts = _FIGURE_PARTS.fullmatch(raw)
        assert parts is not None  # raw is what _FIGURE matched
        if parts.end(1) == len(raw) and (not sign or sign in "-−"):
            continue  # no unit, and no sign to make it a figure: 'GPT-4', 'a+5'
        value = _FIGURE_VALUES[raw]
        if value is not None and (ground is None or value not in ground):
            written = text[begin:end].strip()
            yield Figure(" ".join(written.split()), written, begin, value)


def figures(text: str) -> Iterator[Figure]:
    """The figures ``text`` states, in order."""
    return _scan(text, None)


def grounds(text: str) -> frozenset[str]:
    """Every value the abstract or notes ``text`` states, each in all the forms that
    ground it: the bare number, the scaled number, the fraction. One scan."""
    return frozenset(chain.from_iterable(
        map(_GROUND_VALUES.__getitem__, _matched(_GROUND_IN_SHAPE, text))))


def ungrounded(text: str, ground: frozenset[str]) -> Iterator[Figure]:
    """The figures of ``text`` whose value ``ground`` lacks."""
    # Most texts state only grounded figures, which the values of what _FIGURE matches show
    # at once (it matches a number after any sign too: only more values to check). The full
    # scan, with a match object and a look at the sign for each figure, is for the rest.
    if ground.issuperset(map(_FIGURE_VALUES.__getitem__,
                             _matched(_FIGURE_IN_SHAPE, text))):
        return iter(())
    return _scan(text, ground)


def _copied(stated: list[str], evidence: str) -> bool:
    """Whether every figure of ``stated`` stands somewhere in ``evidence`` exactly as written,
    with nothing around it that the scan of grounds would read on into or out of (a number,
    a fraction or a scale that goes on, or a fraction such as '3 / ' that would take the
    figure's number for its denominator): then the scan reads each figure's own value there,
    and is spared. Stricter than the scan, never looser: a figure written any other way
    there is looked up the long way."""
    find = evidence.find
    for figure in set(stated):
        at = find(figure)
        while at != -1:
            end = at + len(figure)
            after = evidence[end:end + 1]
            if after in ".,":  # ends a sentence or a clause, unless a digit goes on
                after = evidence[end + 1:end + 2]
            if ((not after or after in _APART)
                    and (not at or evidence[at - 1] in _APART)
                    and (at < 2 or evidence[at - 2] != "/")):
                break
            at = find(figure, at + 1)
        else:
            return False
    return True


def ungrounded_by(text: str, evidence: str) -> list[Figure]:
    """The figures of ``text`` whose value the abstract or notes ``evidence`` lacks: the same
    as ``ungrounded(text, grounds(evidence))``, but ``evidence`` is scanned only when ``text``
    states a figure that it does not hold as written."""
    stated = _matched(_FIGURE_IN_SHAPE, text)
    # Most figures are copied from the abstract as they stand there: finding each (in C)
    # is cheaper than reading every number of the abstract.
    if not stated or _copied(stated, evidence):
        return []
    ground = grounds(evidence)
    if ground.issuperset(map(_FIGURE_VALUES.__getitem__, stated)):
        return []
    return list(_scan(text, ground))
