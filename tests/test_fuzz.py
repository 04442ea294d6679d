"""Nothing crashes: property-based fuzzing of ``check`` and ``render`` through the CLI.

Four generators write entry files into small copies of the bundled examples (one issue per
style: its newsletter.toml, issue.toml and first paper):

* arbitrary TOML documents: random keys and values, and the example's own data with keys
  dropped, added or replaced, written with tomli_w;
* arbitrary bytes: random, a soup of TOML tokens, and example files with bytes spliced in;
* mutations of the example files: lines deleted, duplicated, swapped, borrowed from other
  files, the file truncated, bits flipped, bytes dropped or characters replaced, values
  swapped for values of another type;
* value-type swaps alone: one value (a key's, or an array item on its own line) replaced by
  a value of another TOML type. Here we also measure how often a problem is reported on the
  mutated line itself, and require 99%.

One hypothesis example writes three or four such files into one issue (as its paper, as a
second paper, as issue.toml, as newsletter.toml); then ``check`` runs on the issue, and
``render`` as md, text or html (picked from the files' content, so each is used as often).
For every input: no traceback, no exit 70, render refuses exactly the issues whose files or
style check finds wrong (editorial lint does not block a render), and every problem line is
``path:line:col: severity: message [rule]`` with a line (and column) that exists in that
file.

12,000 generated files by default, derandomized so CI always runs the same ones. For a
deeper, randomized run: ``NEWSLETTER_FUZZ_EXAMPLES=200000 python -m pytest
tests/test_fuzz.py -s`` (every share scales with it; -s prints what each test covered).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import tomllib
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.check.rules import RULES
from newsletter.entries.models import Issue, Paper, Publication, Section
from tests.support.cli import (
    KNOWN_BUG_LINES,
    Cli,
    Reported,
    check_output,
    render_output,
)
from tests.support.paths import EXAMPLES, STYLES

FORMATS = ("md", "text", "html")
ISSUE, PUBLICATION = "issue.toml", "newsletter.toml"

TOTAL = int(os.environ.get("NEWSLETTER_FUZZ_EXAMPLES", "12000"))
SHARES = {"documents": 0.20, "bytes": 0.30, "mutations": 0.30, "swaps": 0.20}
# Files written per example (one issue each). Fewer for mutations, so that more issues stay
# valid and reach the renderer. Fewer examples of more files each: most of the time of an
# example is hypothesis drawing it and the CLI starting a command, not the files.
FILES = {"documents": 4, "bytes": 4, "mutations": 3, "swaps": 4}
SWAP_PRECISION = 0.99
# Renders per test of issues that check clean, and one in REFUSALS_EVERY of the others.
RENDERS = max(30, TOTAL // 130)
REFUSALS_EVERY = 3

# Rules render does not apply: editorial lint, however the publication configures it.
LINT_RULES = {rule.id for rule in RULES.values() if rule.configurable}


def files_for(share: str) -> int:
    return max(1, round(TOTAL * SHARES[share]))


def fuzz_settings(share: str) -> settings:
    return settings(
        max_examples=-(-files_for(share) // FILES[share]),
        deadline=None,
        # CI runs the same inputs every time; a larger run explores new ones.
        derandomize="NEWSLETTER_FUZZ_EXAMPLES" not in os.environ,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# ---------------------------------------------------------------------------- examples

EXAMPLE_FILES = tuple(sorted(EXAMPLES.rglob("*.toml")))


@cache
def style_of(source: Path) -> str:
    return source.relative_to(EXAMPLES).parts[0]


def kind_of(source: Path) -> str:
    return source.name if source.name in (ISSUE, PUBLICATION) else "paper"


@cache
def examples_of(style: str, kind: str) -> tuple[Path, ...]:
    return tuple(p for p in EXAMPLE_FILES if style_of(p) == style and kind_of(p) == kind)


@cache
def example_bytes(source: Path) -> bytes:
    return source.read_bytes()


@cache
def example_data(source: Path) -> dict[str, Any]:
    return tomllib.loads(example_bytes(source).decode("utf-8"))


# ---------------------------------------------------------------------------- running


@dataclass(frozen=True)
class Batch:
    """Files to write into one issue (by name: issue.toml, newsletter.toml, papers/...)."""

    style: str
    files: tuple[tuple[str, bytes], ...]

    @property
    def digest(self) -> int:
        return zlib.crc32(b"".join(content for _, content in self.files))

    @property
    def output_format(self) -> str:
        # Not drawn: hypothesis's simplest draws (which keep an issue valid) would all
        # pick the first format, so html would hardly ever be rendered.
        return FORMATS[self.digest % len(FORMATS)]


def paper_name(index: int) -> str:
    """The example's own paper (index 0), replaced; extra papers beside it after that."""
    return "papers/01-paper.toml" if index == 0 else f"papers/{90 + index}-fuzz.toml"


@dataclass
class Fuzzer:
    """Writes each example's files into its copy of an example issue, runs check and render
    on that issue, then puts the copy back as it was."""

    root: Path
    cli: Cli = field(default_factory=Cli)
    files: int = 0
    examples: int = 0
    rendered: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        for style in STYLES:
            target = self.root / style
            (target / "papers").mkdir(parents=True)
            for name in (ISSUE, PUBLICATION):
                shutil.copy(EXAMPLES / style / name, target / name)
            shutil.copy(examples_of(style, "paper")[0], target / paper_name(0))

    def feed(self, batch: Batch) -> dict[str, list[Reported]]:
        """Run check and render; the problems reported for each file written."""
        written: dict[Path, bytes | None] = {}
        try:
            for name, content in batch.files:
                target = self.root / batch.style / name
                written[target] = target.read_bytes() if target.exists() else None
                target.write_bytes(content)
                self.files += 1
            self.examples += 1
            return self._run(batch, [str(p.relative_to(self.root)) for p in written])
        finally:
            for target, original in written.items():
                if original is None:
                    target.unlink()
                else:
                    target.write_bytes(original)

    def _run(self, batch: Batch, names: list[str]) -> dict[str, list[Reported]]:
        checked = self.cli("check", batch.style)
        found = check_output(checked, self.root)
        self.outcomes[f"check exit {checked.exit_code}"] += 1

        blocking = [p for p in found if p.severity == "error" and p.rule not in LINT_RULES
                    and not (p.path.endswith(PUBLICATION)
                             and p.message.startswith(("unknown rule '", "rule '")))]
        # Renders are sampled: one recompiles the style's templates (~40 ms), and a refusal
        # re-runs what check just did. RENDERS clean issues, one in REFUSALS_EVERY others.
        if (sum(self.rendered.values()) >= RENDERS if not blocking
                else batch.digest % REFUSALS_EVERY):
            return {name: [p for p in found if p.path == name] for name in names}
        rendered = self.cli("render", batch.style, "--format", batch.output_format)
        refused = render_output(rendered, self.root)
        if rendered.exit_code == 0:
            assert not blocking, f"rendered an issue with errors: {blocking}"
            self.rendered[batch.output_format] += 1
        else:
            assert blocking, f"render refused an issue check passes:\n{rendered.stderr}"
            assert set(refused) <= set(found), "render reported what check did not"
            self.outcomes["render refused"] += 1
        return {name: [p for p in found if p.path == name] for name in names}

    def summary(self, title: str, extra: str = "") -> str:
        return (f"\n{title}: {self.files} files in {self.examples} examples; "
                f"{dict(self.outcomes)}; rendered {dict(self.rendered)}{extra}; "
                f"lines let through as the known column bug so far: {len(KNOWN_BUG_LINES)}")


@pytest.fixture
def fuzzer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fuzzer]:
    # Thousands of rewrites: RAM-backed /dev/shm where there is one, else pytest's tmp_path.
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else tmp_path
    with tempfile.TemporaryDirectory(prefix="newsletter-fuzz-", dir=parent) as root:
        monkeypatch.chdir(root)
        yield Fuzzer(Path(root))


# ---------------------------------------------------------------------------- strategies

# Strategies are built once: building them inside a composite on every draw costs more
# than running the CLI. Positions are drawn as one integer taken modulo the length.
_NUMBER = st.integers(0, 2**24)


def pick(draw: st.DrawFn, length: int) -> int:
    """A position in range(length) (0 when the range is empty)."""
    return draw(_NUMBER) % length if length else 0


def choose(draw: st.DrawFn, items: tuple[Any, ...] | list[Any]) -> Any:
    return items[pick(draw, len(items))]


any_style = st.sampled_from(STYLES)
# The files an example can write into its issue: the example's paper, a second paper
# beside it, issue.toml, newsletter.toml. Each example writes FILES[share] of them.
SLOTS = ((paper_name(0), "paper"), (paper_name(1), "paper"), (ISSUE, ISSUE),
         (PUBLICATION, PUBLICATION))
slot_orders = st.permutations(SLOTS)


def plan_files(draw: st.DrawFn, share: str) -> list[tuple[str, str]]:
    """(file name in the issue, kind of file it is) for the files of one example."""
    return sorted(draw(slot_orders)[:FILES[share]])


def batches_of(share: str, content: Callable[[st.DrawFn, str, str], bytes]
               ) -> st.SearchStrategy[Batch]:
    """Examples whose files come from ``content(draw, style, kind)``."""

    @st.composite
    def strategy(draw: st.DrawFn) -> Batch:
        style = draw(any_style)
        return Batch(style, tuple((name, content(draw, style, kind))
                                  for name, kind in plan_files(draw, share)))

    return strategy()


# ----------------------------------------------------------------- TOML documents

KEYS = sorted({*Paper.model_fields, *Issue.model_fields, *Publication.model_fields,
               *Section.model_fields, "text", "points", "rules", "budgets", "counts"})

SPECIAL_TEXT = [
    "", " ", "\t", "\n", "\r\n", "x" * 301, "y " * 3001, "Lead: text", "- a\n- b", "a\n\nb",
    "https://arxiv.org/abs/2603.00001", "http://", "https://", "ftp://example.org/x",
    "javascript:alert(1)", "[x](javascript:alert(1))", "<https://a.b>", "<script>x</script>",
    "**open", "`", "{{ 7 * 7 }}", "{% raw %}", "%s%n", "\\", *STYLES, "_base", "../weekly",
    "/etc/passwd", "weekly\x00", "\x00",
    "draft", "published", "error", "off", "TODO", "\u202e", "\ufeff", "e\u0301",
    "👩\u200d🔬", "𝔸", "ß", "İ", "\x1b[31m",
]
text = st.one_of(st.sampled_from(SPECIAL_TEXT),
                 st.text(st.characters(exclude_categories=("Cs",)), max_size=20))
keys = st.one_of(st.sampled_from(KEYS), text)
scalars = st.one_of(
    text, st.integers(), st.floats(), st.booleans(), st.dates(), st.times(),
    st.datetimes(timezones=st.sampled_from([None, dt.UTC])))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=4)
random_tables = st.dictionaries(keys, values, max_size=5)
few_entries = st.dictionaries(keys, values, max_size=2)


def document(draw: st.DrawFn, style: str, kind: str) -> bytes:
    if draw(st.booleans()):
        data = draw(random_tables)
    else:  # an example's own data, edited: much of it stays valid
        data = dict(example_data(choose(draw, examples_of(style, kind))))
        for _ in range(pick(draw, 3)):
            data.pop(choose(draw, sorted(data)), None)
        data.update(draw(few_entries))
    return tomli_w.dumps(data, multiline_strings=draw(st.booleans())).encode("utf-8")


# ----------------------------------------------------------------- bytes

TOKENS = [
    b"[", b"]", b"[[", b"]]", b"{", b"}", b"=", b" = ", b",", b".", b'"', b"'", b'"""',
    b"'''", b"\\", b"\\u00e9", b"\\U0001F600", b"\\x41", b"#", b" ", b"\t", b"\n", b"\r\n",
    b"\r", b"\xef\xbb\xbf", b"\x00", b"\xff", b"\xc3", b"\xe2\x80\xae", b"\x7f", b"\x0c",
    b"title", b"url", b"score", b"sections", b"number", b"date", b"style", b"points",
    b"text", b"check", b"rules", b"1", b"-0", b"8.2", b"1e999", b"nan", b"inf", b"true",
    b"2026-04-19", b"2026-04-19T10:00:00Z", b"10:00:00", b"0x1F", b'"https://a.b/c"',
    b'"weekly"', b'"x"', b"key_findings", b"why_it_matters",
]
random_bytes = st.binary(max_size=200)
token_soup = st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join)
splice = st.binary(min_size=1, max_size=6) | st.sampled_from(TOKENS)


def raw_bytes(draw: st.DrawFn, style: str, kind: str) -> bytes:
    how = pick(draw, 3)
    if how == 0:
        return draw(random_bytes)
    if how == 1:
        return draw(token_soup)
    base = example_bytes(choose(draw, examples_of(style, kind)))
    at = pick(draw, len(base) + 1)
    return base[:at] + draw(splice) + base[at:]


# ----------------------------------------------------------------- value sites

_KEY_LINE = re.compile(r"^\s*(?P<key>[A-Za-z0-9_-]+)\s*=\s*")
_ITEM_LINE = re.compile(r"^(?P<indent>\s*)(?P<item>.*?)(?P<suffix>\s*,?\s*)$")

# A literal of each TOML type.
LITERALS = {
    "text": '"swapped value"', "integer": "42", "float": "0.5", "boolean": "true",
    "date": "2026-01-02", "datetime": "2026-01-02T03:04:05Z", "time": "03:04:05",
    "text-list": '["a", "b"]', "integer-list": "[1, 2]", "table": "{ x = 1 }",
}
# The literals a value may rightly be swapped for without an error: its own type, an
# integer where a float goes, one list of text for another; and a plain bullet for a table
# bullet (a bullet is either).
SAME_TYPE = {"text": {"text"}, "integer": {"integer"}, "float": {"float", "integer"},
             "boolean": {"boolean"}, "date": {"date"}, "datetime": {"datetime"},
             "time": {"time"}, "list": {"text-list"}, "table": {"table"}}


def toml_type(value: Any) -> str:
    for kind, types in (("boolean", bool), ("integer", int), ("float", float),
                        ("text", str), ("datetime", dt.datetime), ("date", dt.date),
                        ("time", dt.time), ("list", list), ("table", dict)):
        if isinstance(value, types):
            return kind
    raise AssertionError(value)


@dataclass(frozen=True)
class Site:
    """A value on its own line(s) in an example file: a key's value, or an array item."""

    source: Path
    first: int  # 0-based line of the key, or of the item
    last: int  # last line of the value
    head: str  # what stays before the new value ("key = ", or the item's indent)
    tail: str  # what stays after it (an item's comma)
    kind: str  # the TOML type of the value there; "-item" for an array item

    def replacements(self) -> tuple[str, ...]:
        banned = SAME_TYPE[self.kind.removesuffix("-item")]
        if self.kind == "table-item":
            banned = banned | {"text"}
        return tuple(name for name in LITERALS if name not in banned)

    def swap(self, literal: str) -> bytes:
        lines = example_bytes(self.source).decode("utf-8").splitlines(keepends=True)
        lines[self.first:self.last + 1] = [self.head + literal + self.tail + "\n"]
        return "".join(lines).encode("utf-8")


def _parses(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def value_sites(source: Path) -> list[Site]:
    lines = example_bytes(source).decode("utf-8").splitlines()
    sites: list[Site] = []
    index = 0
    while index < len(lines):
        match = _KEY_LINE.match(lines[index])
        last = index
        data = None
        if match:
            for last in range(index, len(lines)):
                data = _parses("\n".join(lines[index:last + 1]) + "\n")
                if data is not None and match["key"] in data:
                    break
        if match is None or data is None or match["key"] not in data:
            index += 1
            continue
        value = data[match["key"]]
        sites.append(Site(source, index, last, match.group(0), "", toml_type(value)))
        if isinstance(value, list):
            for inner in range(index + 1, last):
                item = _ITEM_LINE.match(lines[inner])
                assert item is not None
                parsed = _parses(f"x = {item['item']}\n") if item["item"] else None
                if parsed is not None:
                    sites.append(Site(source, inner, inner, item["indent"],
                                      item["suffix"].rstrip(),
                                      f"{toml_type(parsed['x'])}-item"))
        index = last + 1
    return sites


SITES = {source: tuple(value_sites(source)) for source in EXAMPLE_FILES}


def draw_swap(draw: st.DrawFn, style: str, kind: str) -> tuple[Site, str]:
    source = choose(draw, [s for s in examples_of(style, kind) if SITES[s]])
    site = choose(draw, SITES[source])
    return site, LITERALS[choose(draw, site.replacements())]


# ----------------------------------------------------------------- mutations

Lines = list[bytes]


def _split(content: bytes) -> Lines:
    return content.splitlines(keepends=True)


def delete_line(draw: st.DrawFn, lines: Lines) -> Lines:
    at = pick(draw, len(lines))
    return lines[:at] + lines[at + 1:]


def duplicate_line(draw: st.DrawFn, lines: Lines) -> Lines:
    at = pick(draw, len(lines))
    return lines[:at + 1] + lines[at:]


def swap_lines(draw: st.DrawFn, lines: Lines) -> Lines:
    first, second = pick(draw, len(lines)), pick(draw, len(lines))
    lines = list(lines)
    if lines:
        lines[first], lines[second] = lines[second], lines[first]
    return lines


def borrow_line(draw: st.DrawFn, lines: Lines) -> Lines:
    other = _split(example_bytes(choose(draw, EXAMPLE_FILES)))
    at = pick(draw, len(lines))
    return [*lines[:at], other[pick(draw, len(other))], *lines[at:]]


def truncate(draw: st.DrawFn, lines: Lines) -> Lines:
    content = b"".join(lines)
    return _split(content[:pick(draw, len(content) + 1)])


def flip_bit(draw: st.DrawFn, lines: Lines) -> Lines:
    content = bytearray(b"".join(lines))
    if content:
        content[pick(draw, len(content))] ^= 1 << pick(draw, 8)
    return _split(bytes(content))


def drop_byte(draw: st.DrawFn, lines: Lines) -> Lines:
    content = b"".join(lines)
    at = pick(draw, len(content))
    return _split(content[:at] + content[at + 1:])


any_character = (st.characters(exclude_categories=("Cs",))
                 | st.sampled_from(list("\"'[]{}=,.#\\\n\r\t\x00")))


def replace_character(draw: st.DrawFn, lines: Lines) -> Lines:
    content = b"".join(lines).decode("utf-8", errors="surrogateescape")
    at = pick(draw, len(content) + 1)
    changed = content[:at] + draw(any_character) + content[at + 1:]
    return _split(changed.encode("utf-8", errors="surrogateescape"))


MUTATIONS: tuple[Callable[[st.DrawFn, Lines], Lines] | None, ...] = (
    delete_line, duplicate_line, swap_lines, borrow_line, truncate, flip_bit, drop_byte,
    replace_character, None)  # None: a value swapped for another type
mutation_lists = st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=3)


def mutated(draw: st.DrawFn, style: str, kind: str) -> bytes:
    # Mostly a file of the kind it is written as; sometimes a paper as an issue and so on.
    kind = kind if pick(draw, 6) else choose(draw, ("paper", ISSUE, PUBLICATION))
    lines = _split(example_bytes(choose(draw, examples_of(style, kind))))
    for mutate in draw(mutation_lists):
        if mutate is None:  # the type swap works on a whole file; later mutations compose
            site, literal = draw_swap(draw, style, kind)
            lines = _split(site.swap(literal))
        else:
            lines = mutate(draw, lines)
    return b"".join(lines)


# ---------------------------------------------------------------------------- the tests


def fuzz(fuzzer: Fuzzer, share: str, content: Callable[[st.DrawFn, str, str], bytes]) -> None:
    @fuzz_settings(share)
    @given(batches_of(share, content))
    def feed(batch: Batch) -> None:
        fuzzer.feed(batch)

    feed()
    print(fuzzer.summary(share))
    assert fuzzer.files >= files_for(share)


def test_arbitrary_toml_documents(fuzzer: Fuzzer) -> None:
    fuzz(fuzzer, "documents", document)


def test_arbitrary_bytes(fuzzer: Fuzzer) -> None:
    fuzz(fuzzer, "bytes", raw_bytes)


def test_mutated_example_files(fuzzer: Fuzzer) -> None:
    fuzz(fuzzer, "mutations", mutated)
    # Mutations that keep an issue valid must reach the renderer, in every format.
    assert set(fuzzer.rendered) == set(FORMATS), fuzzer.rendered


@st.composite
def swap_batches(draw: st.DrawFn) -> tuple[Batch, dict[str, tuple[Site, str]]]:
    style, files, swapped = draw(any_style), [], {}
    for name, kind in plan_files(draw, "swaps"):
        site, literal = draw_swap(draw, style, kind)
        files.append((name, site.swap(literal)))
        swapped[f"{style}/{name}"] = (site, literal)
    return Batch(style, tuple(files)), swapped


def test_a_value_of_the_wrong_type_is_reported_on_its_own_line(fuzzer: Fuzzer) -> None:
    hits: list[bool] = []
    only: list[bool] = []  # the swapped line is the only line with an error (for -s)
    misses: list[str] = []

    @fuzz_settings("swaps")
    @given(swap_batches())
    def feed(case: tuple[Batch, dict[str, tuple[Site, str]]]) -> None:
        batch, swapped = case
        found = fuzzer.feed(batch)
        for name, (site, literal) in swapped.items():
            there = found[name]
            lines = {p.line for p in there if p.severity == "error"}
            hit = site.first + 1 in lines
            hits.append(hit)
            only.append(lines == {site.first + 1})
            if not hit:
                misses.append(
                    f"{site.source.relative_to(EXAMPLES)}:{site.first + 1} ({site.kind}) "
                    f"<- {literal}, as {name}: reported "
                    + ("; ".join(f"{p.line}:{p.column} {p.message} [{p.rule}]"
                                 for p in there) or "nothing"))

    feed()
    precision = sum(hits) / len(hits)
    sites = sum(len(s) for s in SITES.values())
    print(fuzzer.summary("swaps", f"; {sites} value sites; {len(hits)} swaps, "
                                  f"{precision:.2%} reported on the swapped line, "
                                  f"{sum(only) / len(only):.2%} only there"))
    assert fuzzer.files >= files_for("swaps")
    assert precision >= SWAP_PRECISION, "\n".join(misses[:20])


# ---------------------------------------------------------------------------- the cache

cache_damage = st.sampled_from(["truncate", "flip", "bytes"])


def test_a_damaged_result_cache_is_ignored(fuzzer: Fuzzer) -> None:
    """check keeps its results in .newsletter-cache/results.json; a cache file cut short,
    with a flipped bit or replaced by junk must not crash check or change a word of what
    it reports. (Hundreds, not thousands: the cache is one file.)"""
    cache = fuzzer.root / "weekly" / ".newsletter-cache" / "results.json"
    clean = fuzzer.cli("check", "weekly")
    assert clean.exit_code == 0 and cache.is_file(), clean.output
    good = cache.read_bytes()

    @settings(fuzz_settings("swaps"), max_examples=max(50, TOTAL // 40))
    @given(cache_damage, st.integers(0, len(good) * 8 - 1), random_bytes)
    def damage(how: str, bit: int, junk: bytes) -> None:
        if how == "truncate":
            cache.write_bytes(good[:bit // 8])
        elif how == "flip":
            flipped = bytearray(good)
            flipped[bit // 8] ^= 1 << (bit % 8)
            cache.write_bytes(bytes(flipped))
        else:
            cache.write_bytes(junk)
        checked = fuzzer.cli("check", "weekly")
        check_output(checked, fuzzer.root)
        assert (checked.exit_code, checked.stdout) == (clean.exit_code, clean.stdout)

    damage()


# ---------------------------------------------------------------------------- known bugs


def test_a_string_cut_after_a_backslash_is_reported_within_its_line(fuzzer: Fuzzer) -> None:
    # Found by test_mutated_example_files: an issue.toml truncated after a backslash.
    paper = fuzzer.root / "weekly" / paper_name(0)
    paper.write_bytes(b'title = "A \\')  # 12 characters, no newline
    found = check_output(fuzzer.cli("check", "weekly"), fuzzer.root)
    syntax = [p for p in found if p.rule == "toml-syntax"]
    assert [(p.line, p.column) for p in syntax] == [(1, 13)], syntax
