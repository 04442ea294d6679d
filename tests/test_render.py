"""Rendering: every example in its own style matches its golden file, in every format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, STYLES, Run, compare_with_golden

GOLDEN = Path(__file__).parent / "golden"
EXTENSIONS = {"md": "md", "text": "txt", "html": "html"}




@pytest.mark.parametrize("output_format", ["md", "text", "html"])
@pytest.mark.parametrize("style", STYLES)
def test_example_matches_golden(run: Run, style: str, output_format: str,
                                update_goldens: bool) -> None:
    result = run("render", str(EXAMPLES / style), "--format", output_format)
    assert result.exit_code == 0, result.stderr
    golden = GOLDEN / f"{style}.{EXTENSIONS[output_format]}"
    compare_with_golden(result.stdout, golden, update_goldens)


def _markdown_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).render(markdown)


@pytest.mark.parametrize("style", STYLES)
def test_markdown_output_is_markdown(run: Run, style: str) -> None:
    """A CommonMark renderer reads our Markdown as headings, lists and links, not as text."""
    html = _markdown_html(run("render", str(EXAMPLES / style), "--format", "md").stdout)
    assert "<h1>" in html
    assert "<ul>" in html or "<ol>" in html
    assert '<a href="https://' in html
    assert "**" not in html  # every bold marker was paired and understood


@pytest.mark.parametrize("style", STYLES)
def test_text_output_has_no_markup(run: Run, style: str) -> None:
    text = run("render", str(EXAMPLES / style), "--format", "text").stdout
    assert "**" not in text
    assert not re.search(r"\]\(", text)
    assert not re.search(r"^#", text, re.M)


def test_briefing_reads_like_its_seed(run: Run) -> None:
    text = run("render", str(EXAMPLES / "briefing"), "--format", "text").stdout
    order = ["1. ", "Problem: ", "Solution: ", "Why it matters:", "2. ", "Executive Takeaways"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "Action item: " in text and "Pilot this if: " in text and "Use case: " in text


def test_cto_briefing_relabels_the_same_fields(run: Run) -> None:
    text = run("render", str(EXAMPLES / "cto-briefing"), "--format", "text").stdout
    for label in ("The Problem: ", "The Breakthrough: ", "Why it matters for CTOs:",
                  "Caveats:", "Deployment reality check:", "Limitations:",
                  "Actionable insight: ", "How Meridian Can Help"):
        assert label in text, label
    # Each paper is followed by its full title as the source line.
    assert "\nGRADE: Benchmarking Discipline-Informed Reasoning in Image Editing <https://" in text


def test_cto_takeaways_lead_with_a_bold_claim(run: Run) -> None:
    markdown = run("render", str(EXAMPLES / "cto-briefing"), "--format", "md").stdout
    takeaways = markdown.split("## Executive Takeaways", 1)[1]
    bullets = [line for line in takeaways.splitlines() if line.startswith("- ")]
    assert len(bullets) == 5
    assert all(re.match(r"- \*\*[^*]+\.\*\* \S", line) for line in bullets)


def test_weekly_ranks_by_score_then_hidden_gems(run: Run) -> None:
    text = run("render", str(EXAMPLES / "weekly"), "--format", "text").stdout
    ranks = re.findall(r"^/ (\d\d)(?: · (HIDDEN GEM))? · (\d+\.\d)/10$", text, re.M)
    assert [int(r[0]) for r in ranks] == list(range(1, 16))
    main = [float(r[2]) for r in ranks if not r[1]]
    gems = [float(r[2]) for r in ranks if r[1]]
    assert main == sorted(main, reverse=True) and len(main) == 10
    assert len(gems) == 5 and min(gems) > main[-1]  # a separate tier, not re-sorted in
    assert text.count("Read paper <https://") == 15
    assert text.startswith("Back to archive <https://example.com/weekly/archive>\n\nISSUE 003")


def test_weekly_orders_by_score_not_file_order(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    issue = example("weekly")
    first = issue / "papers" / "01-int4-quantization-collapse.toml"
    first.write_text(first.read_text().replace("score = 8.2", "score = 6.0"))
    text = run("render", str(issue), "--format", "text").stdout
    ranks = re.findall(r"^/ (\d\d)(?: · HIDDEN GEM)? · (\d+\.\d)/10\n\n(.+)$", text, re.M)
    assert ranks[9][2].startswith("When Flat Minima Fail")  # last of the main list now
    assert ranks[0][2].startswith("HY-World 2.0")


def test_digest_sections_in_order(run: Run) -> None:
    text = run("render", str(EXAMPLES / "digest"), "--format", "text").stdout
    order = ["Today's Overview", "Featured", "01 ", "Key takeaways:", "Source: ",
             "02 ", "04 ", "Today's Observation"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "Also Worth Noting" not in text  # the example features every paper


def test_digest_not_featured_papers_become_short_items(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    issue = example("digest")
    paper = issue / "papers" / "05-extra.toml"
    paper.write_text('title = "A Small Result"\nurl = "https://example.org/small"\n'
                     'short_name = "Small"\nfeatured = false\n'
                     'blurb = "A **tidy** trick worth a look."\n')
    result = run("render", str(issue), "--format", "text")
    assert result.exit_code == 0, result.stderr
    noted = result.stdout.split("Also Worth Noting", 1)[1]
    assert "- Small: A tidy trick worth a look. (source <https://example.org/small>)" in noted
    assert "05 " not in result.stdout.split("Also Worth Noting", 1)[0]


def test_pulse_groups_and_footer(run: Run) -> None:
    text = run("render", str(EXAMPLES / "pulse"), "--format", "text").stdout
    papers = sorted((EXAMPLES / "pulse" / "papers").glob("*.toml"))
    assert f"\nSources ({len(papers)})\n" in text
    assert text.rstrip().splitlines()[-1].startswith("Updated Mar 4, 2026")
    assert text.startswith("AI Research Pulse\n\nAttention variants")
    attention = text.split("Cutting-Edge Attention Mechanisms", 1)[1].split("\n\n", 3)[2]
    assert attention.startswith("- Trainable Sparse and Hybrid Attention:\n  - SLA2 ")
    assert text.index("Current Status and Future Outlook") > text.index("Recent Innovations")


def test_lead_terms_are_bold_in_markdown_only(run: Run) -> None:
    markdown = run("render", str(EXAMPLES / "briefing"), "--format", "md").stdout
    text = run("render", str(EXAMPLES / "briefing"), "--format", "text").stdout
    assert "- **Cross-layer index reuse:** Only" in markdown
    assert "- Cross-layer index reuse: Only" in text
    assert "  - **Training-free:** A greedy" in markdown  # nested one level


def test_render_to_file(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "issue.md"
    result = run("render", str(EXAMPLES / "weekly"), "--format", "md", "--output", str(out))
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("[Back to archive]")
    assert result.stdout == ""


def test_render_refuses_an_issue_that_does_not_check(run: Run, example, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    issue = example("briefing")
    paper = issue / "papers" / "02-indexcache.toml"
    paper.write_text(paper.read_text() + 'scroe = 1\n')
    out = tmp_path / "out.md"
    out.write_text("previous issue\n")
    result = run("render", str(issue), "--output", str(out))
    assert result.exit_code == 1
    assert "02-indexcache.toml:" in result.stderr and "did you mean 'score'" in result.stderr
    assert "cannot render" in result.stderr
    assert out.read_text() == "previous issue\n"  # untouched


def test_render_in_another_style_names_what_is_missing(run: Run) -> None:
    result = run("render", str(EXAMPLES / "briefing"), "--style", "weekly")
    assert result.exit_code == 1
    assert "missing 'score', 'summary', 'key_findings', 'applications', required by style " \
        "'weekly'" in result.stderr
    assert "cannot render in style 'weekly'" in result.stderr


def test_briefing_papers_render_as_cto_briefing(run: Run, example) -> None:  # type: ignore[no-untyped-def]
    """The labels differ, the data do not: the same papers serve both briefing styles."""
    issue = example("briefing")
    (issue / "newsletter.toml").write_text(
        (issue / "newsletter.toml").read_text()
        + 'closing_title = "How We Can Help"\nclosing = "Write to us."\n')
    result = run("render", str(issue), "--style", "cto-briefing", "--format", "text")
    assert result.exit_code == 0, result.stderr
    assert "The Problem: " in result.stdout and "How We Can Help" in result.stdout


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("example_style", STYLES)
def test_every_style_either_renders_or_names_missing_fields(
        run: Run, style: str, example_style: str) -> None:
    result = run("render", str(EXAMPLES / example_style), "--style", style, "--format", "text")
    if result.exit_code == 0:
        assert result.stdout.strip()
    else:
        assert result.exit_code == 1
        problem_lines = [line for line in result.stderr.splitlines()
                         if not line.startswith("newsletter: error:")]
        assert problem_lines
        assert all(f"required by style '{style}'" in line or "section" in line
                   for line in problem_lines), result.stderr


def test_unknown_format_is_a_usage_error(run: Run) -> None:
    result = run("render", str(EXAMPLES / "weekly"), "--format", "pdf")
    assert result.exit_code == 2
    assert "--format must be one of md, text" in result.stderr
