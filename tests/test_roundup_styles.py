"""pulse and weekly read like their seeds (../shared/seeds/004 and 002).

Each test renders through the CLI (or calls the format object the templates write with) and
asserts on what a reader sees: a roundup bullet names its paper once, a paper may stand in
two sections and is still one source, and the weekly page leads each card with its rank
and score and puts the hidden gems under a heading of their own.
"""

from __future__ import annotations

import email
import email.policy
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import Markup

from newsletter.render.formats import HtmlFormat, MarkdownFormat, TextFormat
from tests.support.cli import PROBLEM, Run
from tests.support.paths import EXAMPLES

# ------------------------------------------------------------------------ reading HTML

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return " ".join(self._raw().split())

    def _raw(self) -> str:
        return "".join(c if isinstance(c, str) else c._raw() for c in self.children)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all(self) -> list[Node]:
        """This node's descendants, in document order."""
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                found.append(child)
                found.extend(child.all())
        return found

    def find(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [n for n in self.all()
                if (tag is None or n.tag == tag) and (cls is None or cls in n.classes())]

    def ancestor(self, tag: str, cls: str | None = None) -> Node | None:
        up = self.parent
        while up is not None and not (up.tag == tag and (cls is None or cls in up.classes())):
            up = up.parent
        return up


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self._open = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self._open)
        self._open.children.append(node)
        if tag not in VOID:
            self._open = node

    def handle_endtag(self, tag: str) -> None:
        up: Node | None = self._open
        while up is not None and up.tag != tag:
            up = up.parent
        if up is not None and up.parent is not None:
            self._open = up.parent

    def handle_data(self, data: str) -> None:
        self._open.children.append(data)


def parse(html: str) -> Node:
    tree = _Tree()
    tree.feed(html)
    tree.close()
    return tree.root


# ---------------------------------------------------------------------------- helpers


def render(run: Run, source: Path, output_format: str) -> str:
    result = run("render", str(source), "--format", output_format)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def email_html(run: Run, source: Path, tmp_path: Path) -> str:
    out = tmp_path / "issue.eml"
    result = run("render", str(source), "--format", "email", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    message = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def mentions(text: str, name: str) -> int:
    """How often ``name`` stands in ``text`` as a phrase, in any case."""
    return len(re.findall(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.I))


@dataclass(frozen=True)
class Bullet:
    label: str | None  # the group label over it, if any
    text: str


def pulse_bullets(output: str, output_format: str) -> list[Bullet]:
    """Every paper bullet of a pulse rendering, with the group label it stands under."""
    if output_format == "html":
        bullets = []
        for article in parse(output).find("article", "entry"):
            group = article.ancestor("li", "group")
            labels = group.find("strong", "group-label") if group else []
            bullets.append(Bullet(labels[0].text().rstrip(":") if labels else None,
                                  article.text()))
        return bullets
    body = output.split("Current Status and Future Outlook")[0]
    bullets, label = [], None
    for line in body.splitlines():
        plain = line.replace("**", "")
        if re.match(r"- ", plain):  # a top-level bullet: a group label or a loose paper
            label = plain[2:].rstrip(":") if plain.rstrip().endswith(":") else None
            if label is None:
                bullets.append(Bullet(None, plain[2:]))
        elif re.match(r"\s+- ", plain):
            bullets.append(Bullet(label, plain.strip()[2:]))
    return bullets


def bullet_of(bullets: list[Bullet], snippet: str) -> Bullet:
    found = [b for b in bullets if snippet in b.text]
    assert len(found) == 1, (snippet, found)
    return found[0]


# ----------------------------------------------------------- pulse: the name shown once

# The six bullets that read "Name: The Name ..." or stood under a label that named them.
# (short name, words from its bullet, the label it stands under)
NAMED_ONCE = [
    ("Vectorized Trie", "constrained decoding fast and cheap",
     "Vectorized Trie for Constrained Decoding"),
    ("Legal RAG Benchmark", "retrieval-augmented generation for law",
     "Domain-Specific Evaluation Frameworks"),
    ("NeST", "individual neurons", "Neuron-Level Interpretability Tools"),
    ("CoVe", "interactive tool-use agents", "CoVe (Constraint-Guided Verification)"),
    ("ADE-CoT", "edit images efficiently", "ADE-CoT (Efficient Test-Time Image Editing)"),
    ("UniG2U-Bench", "one evaluation framework", "UniG2U-Bench"),
]
FORMATS = ["md", "text", "html"]


@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize(("name", "snippet", "label"), NAMED_ONCE,
                         ids=[case[0] for case in NAMED_ONCE])
def test_pulse_bullet_names_its_paper_once(run: Run, output_format: str, name: str,
                                           snippet: str, label: str) -> None:
    bullets = pulse_bullets(render(run, EXAMPLES / "pulse", output_format), output_format)
    bullet = bullet_of(bullets, snippet)
    assert bullet.label == label
    seen = f"{bullet.label}: {bullet.text}"
    assert mentions(seen, name) == 1, f"{name} is named {mentions(seen, name)} times: {seen}"
    assert not re.match(rf"{re.escape(name)}: (the )?{re.escape(name)}", bullet.text, re.I)


@pytest.mark.parametrize("output_format", FORMATS)
def test_no_pulse_bullet_repeats_its_paper_name(run: Run, output_format: str) -> None:
    """Across the whole example: no bullet reads 'Name: Name ...' or 'Name: The Name ...'."""
    bullets = pulse_bullets(render(run, EXAMPLES / "pulse", output_format), output_format)
    assert len(bullets) == 27  # 26 papers, NoLan twice
    repeated = [b for b in bullets
                if re.match(r"(?P<n>[^:]{2,60}): (?:the |a |an )?(?P=n)\b", b.text, re.I)]
    assert not repeated, repeated
    under_own_label = [b for b in bullets if b.label and b.text.startswith(f"{b.label}:")]
    assert not under_own_label, under_own_label


# (name, blurb, label, what md shows)
NAMED_CASES = [
    ("SLA2", "SLA2 adds learnable routing.", None, "**SLA2** adds learnable routing."),
    ("Muon", "Muon, presented as an improvement.", None, "**Muon**, presented as an improvement."),
    ("Legal RAG Benchmark", "The Legal RAG Benchmark evaluates.", None,
     "The **Legal RAG Benchmark** evaluates."),
    ("Legal RAG Benchmark", "the legal RAG benchmark evaluates.", None,
     "the **legal RAG benchmark** evaluates."),
    ("NeST", "Neuron Selective Tuning (NeST) works per neuron.", None,
     "**Neuron Selective Tuning (NeST)** works per neuron."),
    ("NeST", "Unlike LatentLens, NeST tunes neurons.", None,
     "Unlike LatentLens, **NeST** tunes neurons."),
    ("CoVe", "Builds formal constraints into training.", None,
     "**CoVe**: Builds formal constraints into training."),
    # Named only later in the text, or inside a longer word: still prefixed.
    ("CoVe", "Agents stay safe. CoVe does it.", None, "**CoVe**: Agents stay safe. CoVe does it."),
    ("NeST", "NeSTED sets.", None, "**NeST**: NeSTED sets."),
    # Under a group label that names the paper: the bullet is the text alone.
    ("Vectorized Trie", "Makes constrained decoding fast.",
     "Vectorized Trie for Constrained Decoding", "Makes constrained decoding fast."),
    ("EMPO2", "Pairs memory with RL.", "Memory-Enhanced Large Language Models (EMPO2)",
     "Pairs memory with RL."),
    ("SLA2", "Adds routing.", "Trainable Sparse and Hybrid Attention", "**SLA2**: Adds routing."),
    # The editor's own emphasis stays as written.
    ("NeST", "**NeST** tunes neurons.", None, "**NeST** tunes neurons."),
]


@pytest.mark.parametrize("fmt", [MarkdownFormat(), TextFormat(), HtmlFormat()],
                         ids=["md", "text", "html"])
def test_named_shows_the_name_once(fmt: TextFormat) -> None:
    for name, blurb, label, markdown in NAMED_CASES:
        got = fmt.named(name, blurb, label)
        if isinstance(fmt, MarkdownFormat):
            expected = markdown
        elif isinstance(fmt, HtmlFormat):
            expected = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", markdown)
            assert isinstance(got, Markup), (name, blurb)
        else:
            expected = markdown.replace("**", "")
        assert str(got) == expected, (name, blurb, label)
    if isinstance(fmt, HtmlFormat):  # what the page template once did itself: still safe
        assert str(fmt.named("A<b>", "x <i>y</i>")) == (
            "<strong>A&lt;b&gt;</strong>: x &lt;i&gt;y&lt;/i&gt;")
        assert str(fmt.named("NeST", "The NeST method uses *care*.")) == (
            "The <strong>NeST</strong> method uses <em>care</em>.")


# -------------------------------------------------------- pulse: one paper, two sections


def section_of(text: str, title: str) -> str:
    """A section of the text rendering: from its title to the next section's title."""
    issue = tomllib.loads((EXAMPLES / "pulse" / "issue.toml").read_text(encoding="utf-8"))
    titles = [s["title"] for s in issue["sections"]] + ["Current Status and Future Outlook"]
    start = text.index(f"\n{title}\n")
    ends = [text.find(f"\n{t}\n", start + 1) for t in titles if t != title]
    return text[start:min(e for e in ends if e > start)]


def test_a_paper_in_two_sections_is_listed_in_both_and_counted_once(run: Run) -> None:
    text = render(run, EXAMPLES / "pulse", "text")
    bullets = pulse_bullets(text, "text")
    nolan = [b for b in bullets if b.text.startswith("NoLan ")]
    assert [b.label for b in nolan] == ["Enhanced Perception and Hallucination Mitigation",
                                        "Perception Hallucination Mitigation"]
    attention = section_of(text, "Cutting-Edge Attention Mechanisms and Handling Long Contexts")
    safety = section_of(text, "Enhancing Interpretability, Safety, and Trustworthiness")
    assert "NoLan turns down language priors" in attention
    assert "NoLan belongs here as well" in safety  # its own words for that section
    assert "NoLan belongs" not in attention and "NoLan turns" not in safety
    sources = text.split("\nSources (")[1]
    assert sources.startswith("26)\n")
    assert sources.count("NoLan: Dynamic Suppression of Language Priors") == 1

    page = parse(render(run, EXAMPLES / "pulse", "html"))
    headings = [h.text() for h in page.find("h2")]
    assert "Sources (26)" in headings
    listed = [li.text() for li in page.find("section", "sources")[0].find("li")]
    assert len(listed) == 26
    assert sum("NoLan" in item for item in listed) == 1
    labels = [a.attrs.get("aria-label") for a in page.find("article", "entry")]
    assert labels.count("NoLan") == 2


def test_also_in_as_an_inline_list_without_group(run: Run,
                                                 example: Callable[[str], Path]) -> None:
    pulse = example("pulse")
    path = pulse / "papers/23-cove.toml"
    path.write_text(path.read_text(encoding="utf-8") + 'also_in = [{ section = '
                    '"Hardware-Conscious Design and Scaling Laws for Deployment" }]\n',
                    encoding="utf-8")
    result = run("check", "pulse")
    assert result.exit_code == 0, result.output
    text = render(run, pulse, "text")
    hardware = section_of(text, "Hardware-Conscious Design and Scaling Laws for Deployment")
    # A loose bullet at the end of that section, named in front as it has no label there.
    assert hardware.rstrip().splitlines()[-1].startswith("- CoVe: Builds formal constraints")
    assert "\nSources (26)\n" in text


@pytest.mark.parametrize("form", ["inline", "table"])
def test_unknown_section_in_also_in_is_reported_at_its_line(
        run: Run, example: Callable[[str], Path], form: str) -> None:
    pulse = example("pulse")
    path = pulse / "papers/12-muon.toml"
    good = "Optimization Strategies and Innovative Training Methodologies"
    if form == "inline":
        extra = (f'also_in = [\n    {{ section = "{good}" }},\n'
                 '    { section = "Quantum Gardening", group = "Qubits" },\n]\n')
        line, column = 3, 17
    else:
        extra = (f'\n[[also_in]]\nsection = "{good}"\n\n'
                 '[[also_in]]\ngroup = "Qubits"\nsection = "Quantum Gardening"\n')
        line, column = 7, 11
    before = path.read_text(encoding="utf-8")
    path.write_text(before + extra, encoding="utf-8")
    first = len(before.splitlines())
    result = run("check", "pulse")
    assert result.exit_code == 1, result.output
    found = [m for m in map(PROBLEM.match, result.stdout.splitlines()) if m]
    assert [m.group("rule") for m in found] == ["unknown-section"], result.output
    problem = found[0]
    assert problem.group("path") == "pulse/papers/12-muon.toml"
    assert (int(problem.group("line")), int(problem.group("col"))) == (first + line, column)
    written = path.read_text(encoding="utf-8").splitlines()[first + line - 1]
    assert written[column - 1:].startswith('"Quantum Gardening"'), written
    assert problem.group("message").startswith(
        "section 'Quantum Gardening' is not one of the issue's [[sections]]: ")


# --------------------------------------------------- weekly: rank, score, the gem tier


def weekly_cards(page: Node) -> list[tuple[Node, str, float, float]]:
    """Each card: its node, its rank text, the score its text says, the bar's fill (%)."""
    cards = []
    for card in page.find("li", "paper"):
        rank = card.find(cls="rank")[0].text()
        score_text = card.find(cls="score")[0].text()
        found = re.search(r"(\d+(?:\.\d)?)/10$", score_text)
        assert found, score_text
        fill = card.find(cls="meter-fill")
        assert len(fill) == 1, card.attrs
        width = fill[0].attrs.get("width") or re.search(
            r"width:\s*([\d.]+%)", fill[0].attrs.get("style", "")).group(1)
        cards.append((card, rank, float(found.group(1)), float(width.rstrip("%"))))
    return cards


@pytest.mark.parametrize("medium", ["html", "email"])
def test_weekly_gem_tier_has_its_own_heading(run: Run, tmp_path: Path, medium: str) -> None:
    source = EXAMPLES / "weekly"
    html = (render(run, source, "html") if medium == "html"
            else email_html(run, source, tmp_path))
    page = parse(html)
    headings = [n for n in page.all() if n.tag in ("h2", "h3") and n.text() == "Hidden gems"]
    assert len(headings) == 1
    heading = headings[0]
    order = page.all()
    at = order.index(heading)
    cards = page.find("li", "paper")
    before = [c for c in cards if order.index(c) < at]
    after = [c for c in cards if order.index(c) > at]
    assert len(before) == 10 and len(after) == 5
    assert not any("hidden-gem" in c.classes() for c in before)
    assert all("hidden-gem" in c.classes() for c in after)
    # The gem papers' titles sit under the tier heading, one level down.
    level = int(heading.tag[1])
    assert {c.find(cls="paper-title")[0].tag for c in after} == {f"h{level + 1}"}
    assert {c.find(cls="paper-title")[0].tag for c in before} == {f"h{level}"}


@pytest.mark.parametrize("medium", ["html", "email"])
def test_weekly_score_bar_follows_the_score(run: Run, tmp_path: Path, medium: str) -> None:
    source = EXAMPLES / "weekly"
    html = (render(run, source, "html") if medium == "html"
            else email_html(run, source, tmp_path))
    cards = weekly_cards(parse(html))
    assert [rank.replace(" ", "").lstrip("Rank") for _, rank, _, _ in cards] == [
        f"/{n:02d}" for n in range(1, 16)]
    for _, rank, score, fill in cards:
        assert fill == pytest.approx(score * 10, abs=0.5), rank
    fills = {score: fill for _, _, score, fill in cards}
    assert fills[8.5] > fills[7.0]
    if medium == "html":  # the bar is decoration: its figure is the text beside it
        bars = parse(html).find(cls="meter")
        assert bars and all(bar.attrs.get("aria-hidden") == "true" for bar in bars)
    else:  # no CSS variables left in the inlined styles, no flex rows
        assert "var(--" not in html
        styles = " ".join(n.attrs.get("style", "") for n in parse(html).all())
        assert "display: flex" not in styles
        sizes = [int(s) for s in re.findall(
            r"font-size: (\d+)px", cards[0][0].find(cls="score-value")[0].attrs["style"])]
        assert sizes and sizes[0] >= 28
