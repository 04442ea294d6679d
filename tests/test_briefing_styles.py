"""briefing, cto-briefing and digest read like their seeds (../shared/seeds/000, 001, 003).

Each test renders a bundled example through the CLI and asserts on what a reader sees:
where a label stands, what a bullet begins with, which lines a paper ends with.
"""

from __future__ import annotations

import re
import tomllib
from itertools import pairwise

import pytest

from tests.support.cli import Run
from tests.support.paths import EXAMPLES

TRAILERS = ("Caveats", "Limitations", "Deployment reality check", "Watch out for",
            "Actionable insight")
# The labels the two briefing styles put over lists of "Lead term: text" bullets.
LIST_LABELS = ("How it works", "Why it matters", "Why it matters for CTOs", "Risk",
               "Limitations", "Deployment notes", "Watch for", "Use case", "Pilot this if",
               "Action item", "Caveats", "Deployment reality check", "Watch out for",
               "Actionable insight")


def render(run: Run, style: str, output_format: str = "text") -> str:
    result = run("render", str(EXAMPLES / style), "--format", output_format)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def papers(style: str) -> list[dict]:
    """The example's paper files, in file order (the order they render in)."""
    return [tomllib.loads(path.read_text(encoding="utf-8"))
            for path in sorted((EXAMPLES / style / "papers").glob("*.toml"))]


def paper_blocks(text: str, count: int, end: str = "Executive Takeaways") -> list[str]:
    """The text of each numbered paper, from its '<n>. ' heading to the next one."""
    starts = [re.search(rf"^{n}\. ", text, re.M) for n in range(1, count + 1)]
    assert all(starts), "every paper has its numbered headline"
    bounds = [m.start() for m in starts if m] + [text.index(f"\n{end}\n")]
    return [text[a:b] for a, b in pairwise(bounds)]


# cto-briefing: trailers are a label over bullets -------------------------------------------

@pytest.mark.parametrize("label", TRAILERS)
def test_cto_trailer_label_stands_over_bullets(run: Run, label: str) -> None:
    """The seed: 'Watch out for:' on its own line, then '- Vendor lock-in risk: ...',
    even when the trailer holds a single item."""
    lines = render(run, "cto-briefing").splitlines()
    assert f"{label}:" in lines, f"{label!r} is not a line of its own"
    after = lines[lines.index(f"{label}:") + 1]
    assert after.startswith("- "), f"{label}: is followed by {after!r}, not a bullet"


def test_cto_single_item_trailers_stay_bullets(run: Run) -> None:
    text = render(run, "cto-briefing")
    assert "\nWatch out for:\n- Vendor lock-in risk: On a managed LLM API" in text
    assert "\nActionable insight:\n- Where technical images are part of the workflow" in text


@pytest.mark.parametrize("style", ["briefing", "cto-briefing"])
def test_no_label_runs_into_another(run: Run, style: str) -> None:
    """Never 'Watch out for: Vendor lock-in risk: ...': a label, then a lead term."""
    labels = "|".join(re.escape(label) for label in LIST_LABELS)
    doubled = re.compile(rf"^(?:{labels}): [A-Z][^:.]{{0,40}}: ", re.M)
    for output_format in ("text", "md"):
        text = render(run, style, output_format).replace("**", "")
        assert not doubled.findall(text), doubled.findall(text)


def test_cto_markdown_trailers_keep_bold_lead_terms(run: Run) -> None:
    markdown = render(run, "cto-briefing", "md")
    for bullet in ("- **Domain specificity:** The editing model",
                   "- **Data collection tax:** A custom FIRM dataset",
                   "- **Cold start:** Each skill needs",
                   "- **Vendor lock-in risk:** On a managed LLM API"):
        assert bullet in markdown, bullet
    assert "**Limitations:**\n\n- **Domain specificity:**" in markdown
    # A bullet without a lead term stays as written.
    assert "**Deployment reality check:**\n\n- It needs multimodal input" in markdown


def test_cto_html_single_item_trailer_is_a_list(run: Run) -> None:
    page = render(run, "cto-briefing", "html")
    assert ('<p class="list-label"><strong class="label">Actionable insight:</strong></p>'
            "<ul><li>Where technical images") in page
    assert '<strong class="lead">Vendor lock-in risk:</strong>' in page


# briefing: Risk inside Why it matters, results where the editor put them ------------------

def test_briefing_trailer_of_one_item_is_a_labelled_line(run: Run) -> None:
    """The briefing seed writes its trailers as one-line paragraphs ('Watch for: ...')."""
    lines = render(run, "briefing").splitlines()
    for label in ("Watch for", "Action item", "Use case", "Pilot this if"):
        assert any(line.startswith(f"{label}: ") for line in lines), label
        assert f"{label}:" not in lines, f"{label}: stands alone over a list"


def test_briefing_why_it_matters_ends_with_risk_where_the_editor_wrote_it(run: Run) -> None:
    entries = papers("briefing")
    blocks = paper_blocks(render(run, "briefing"), len(entries))
    with_risk = 0
    for paper, block in zip(entries, blocks, strict=True):
        why = block.split("\nWhy it matters:\n", 1)[1].split("\n\n", 1)[0]
        bullets = [line for line in why.splitlines() if line.startswith("- ")]
        written = paper["why_it_matters"][-1]
        if written.startswith("Risk: "):
            with_risk += 1
            assert bullets[-1] == "- " + written, paper["short_name"]
            assert "\nRisk: " not in block  # not a separate trailer as well
        else:
            assert not any(b.startswith("- Risk: ") for b in bullets), paper["short_name"]
    assert with_risk == 4  # as in the seed: every paper but Spatial-TTT


def test_briefing_papers_keep_risk_in_why_it_matters() -> None:
    """The seed has no separate Risk trailer, so no example paper has a risks entry."""
    for paper in papers("briefing"):
        assert "risks" not in paper, paper["short_name"]


def test_briefing_results_are_a_solution_bullet_as_in_the_seed(run: Run) -> None:
    text = render(run, "briefing")
    indexcache = text.split("\n2. ", 1)[1].split("\n3. ", 1)[0]
    solution = indexcache.split("\nSolution: ", 1)[1].split("\nWhy it matters:", 1)[0]
    bullets = [line for line in solution.splitlines() if line.startswith("- ")]
    assert bullets[-1].startswith("- Results: On a 30B DSA model, removing 75%")
    assert "\nResults: " not in text  # no separate paragraph in this example


def test_results_paragraph_still_shows_when_the_editor_writes_one(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    issue = example("briefing")
    paper = issue / "papers" / "05-dvd.toml"
    paper.write_text(paper.read_text(encoding="utf-8")
                     + 'results = "163× less task data than the baselines."\n', encoding="utf-8")
    result = run("render", str(issue), "--format", "text")
    assert result.exit_code == 0, result.stderr
    assert "\nResults: 163× less task data than the baselines.\n" in result.stdout


def test_source_line_only_in_cto_briefing(run: Run) -> None:
    """cto-briefing's seed ends each paper with its title; briefing's seed never does."""
    briefing, cto = render(run, "briefing"), render(run, "cto-briefing")
    for paper in papers("briefing"):
        assert not re.search(rf"^{re.escape(paper['title'])}", briefing, re.M), paper["title"]
    cto_papers = papers("cto-briefing")
    blocks = paper_blocks(cto, len(cto_papers))
    for paper, block in zip(cto_papers, blocks, strict=True):
        assert block.rstrip().splitlines()[-1] == f"{paper['title']} <{paper['url']}>"


def test_briefing_headline_links_to_the_paper(run: Run) -> None:
    """Without a source line, the paper is still one click away: its headline links to it."""
    markdown = render(run, "briefing", "md")
    page = render(run, "briefing", "html")
    for number, paper in enumerate(papers("briefing"), start=1):
        assert f"\n## {number}. [" in markdown
        assert f"]({paper['url']})\n" in markdown
    assert '<p class="source">' not in page
    assert page.count('<h2><span class="paper-number">') == 5
    assert re.search(r'<span class="paper-number">1\.</span> <a href="https://', page)


# digest: Also Worth Noting --------------------------------------------------------------

def test_digest_also_worth_noting_lists_the_short_items(run: Run) -> None:
    text = render(run, "digest")
    assert text.index("\nAlso Worth Noting\n") < text.index("\nToday's Observation\n")
    noted = text.split("\nAlso Worth Noting\n", 1)[1].split("\nToday's Observation\n", 1)[0]
    items = [p for p in papers("digest") if p.get("featured") is False]
    assert len(items) >= 2
    bullets = [line for line in noted.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(items)
    for paper, bullet in zip(items, bullets, strict=True):
        assert bullet.startswith(f"- {paper['short_name']}: ")
        assert bullet.endswith(f"(source <{paper['url']}>)")
    featured = text.split("\nAlso Worth Noting\n", 1)[0]
    for paper in items:  # a short item, never a numbered story or an overview bullet
        assert paper["short_name"] not in featured


def test_digest_html_small_text_is_near_body_size(run: Run) -> None:
    page = render(run, "digest", "html")
    css = page.split("<style>", 1)[1].split("</style>", 1)[0]

    def size(selector: str) -> str:
        rule = re.search(rf"^{re.escape(selector)} \{{[^}}]*\}}", css, re.M)
        assert rule, selector
        found = re.search(r"font-size: ([^;]+);", rule.group(0))
        assert found, selector
        return found.group(1)

    assert re.search(r"^body \{[^}]*font-size: 18px", css, re.M)
    for selector in (".takeaways", ".source"):
        value = size(selector)
        assert value.endswith("em"), (selector, value)  # follows the body size on phones
        assert 0.875 <= float(value[:-2]) <= 1.0, (selector, value)  # 15.75–18px of 18px
    assert float(size(".source")[:-2]) <= float(size(".takeaways")[:-2])
    assert '<section class="noted">' in page and "<h3>HiVLA</h3>" in page
