"""Rendering: every example in its own style matches its golden file, in every format."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import PROBLEM, Run
from tests.support.golden import compare_with_golden
from tests.support.paths import EXAMPLES, GOLDEN, STYLES, TEMPLATES

EXTENSIONS = {"md": "md", "text": "txt", "html": "html"}


def test_every_style_folder_has_golden_files() -> None:
    """The styles are the folders under templates/ (tests/support/paths.py), so a new style
    is rendered below without a change to the tests; and it fails here until its golden
    files were written with ``pytest --update-goldens`` and reviewed."""
    assert {"briefing", "weekly"} <= set(STYLES), STYLES  # the folders were found
    missing = [f"{style}.{extension}" for style in STYLES for extension in EXTENSIONS.values()
               if not (GOLDEN / f"{style}.{extension}").is_file()]
    assert not missing, (f"no golden file {', '.join(missing)} in tests/golden/: run pytest "
                         "--update-goldens and review what it wrote")
    stale = sorted(path.name for path in GOLDEN.iterdir()
                   if path.is_file() and path.name.split(".")[0] not in STYLES)
    assert not stale, f"golden files of no style folder: {stale}"


@pytest.mark.parametrize("output_format", list(EXTENSIONS))
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
                  "Actionable insight:\n- ", "How Meridian Can Help"):
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
             "02 ", "04 ", "Also Worth Noting", "Today's Observation"]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)


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


def lacking(example: Path, style: str) -> dict[str, list[str]]:
    """File (relative to the example) → the fields ``style`` requires (templates/STYLE/
    style.toml, [requires]) that the file lacks: not there, or an empty list. A paper's
    title is left out: every paper needs it, so its absence is another error."""
    requires = tomllib.loads((TEMPLATES / style / "style.toml").read_text(encoding="utf-8"))[
        "requires"]

    def absent(path: Path, names: list[str]) -> list[str]:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return [n for n in names if n != "title" and (n not in data or data[n] == [])]

    found = {"newsletter.toml": absent(example / "newsletter.toml", requires["publication"]),
             "issue.toml": absent(example / "issue.toml", requires["issue"])}
    for path in sorted((example / "papers").glob("*.toml")):
        featured = tomllib.loads(path.read_text(encoding="utf-8")).get("featured") is not False
        names = requires["paper"] if featured else requires.get("paper_not_featured",
                                                                requires["paper"])
        found[f"papers/{path.name}"] = absent(path, names)
    return {name: fields for name, fields in found.items() if fields}


MISSING = re.compile(r"^missing (?P<fields>'[a-z_]+'(?:, '[a-z_]+')*), required by style "
                     r"'(?P<style>[^']+)'$")
SUMMARY = re.compile(r"^(?P<count>\d+) papers lack what '(?P<style>[^']+)' needs: "
                     r"(?P<fields>[a-z_]+(?:, [a-z_]+)*); for example:$")


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("example_style", STYLES)
def test_every_style_either_renders_or_names_missing_fields(
        run: Run, example: Callable[[str], Path], style: str, example_style: str) -> None:
    """An example rendered in any style is either rendered in that style (when it has
    every field the style requires) or refused with exactly the fields it lacks, by file."""
    source = EXAMPLES / example_style
    expected = lacking(source, style)
    result = run("render", str(source), "--style", style, "--format", "text")
    if result.exit_code == 0:
        assert not expected, f"rendered, yet lacks what '{style}' requires: {expected}"
        assert result.stdout.strip()
        own = run("render", str(source), "--format", "text")
        assert own.exit_code == 0, own.stderr
        if style == example_style:
            assert result.stdout == own.stdout
        else:  # it is that style's rendering: as if the issue had been written in it
            assert result.stdout != own.stdout, f"--style {style} changed nothing"
            copy = example(example_style)
            issue_toml = copy / "issue.toml"
            text = issue_toml.read_text(encoding="utf-8")
            assert f'style = "{example_style}"' in text
            issue_toml.write_text(text.replace(f'style = "{example_style}"',
                                               f'style = "{style}"'), encoding="utf-8")
            written = run("render", str(copy), "--format", "text")
            assert (written.exit_code, written.stdout) == (0, result.stdout), written.stderr
        return
    assert result.exit_code == 1
    assert result.stdout == ""
    assert expected, f"refused, yet lacks nothing '{style}' requires:\n{result.stderr}"
    lines = result.stderr.splitlines()
    assert lines[-1] == (f"newsletter: error: {source}: cannot render in style '{style}': "
                         "fix the problems above first"), result.stderr
    problem_lines = [line for line in lines if not line.startswith("newsletter: error:")]
    assert problem_lines
    reported: dict[str, set[str]] = {}
    summaries = []
    for line in problem_lines:
        summary = SUMMARY.match(line)
        if summary:
            assert summary["style"] == style, line
            summaries.append(summary)
            continue
        assert f"required by style '{style}'" in line or "section" in line, result.stderr
        problem = PROBLEM.match(line.removeprefix("  "))
        assert problem, f"not path:line:col: severity: message [rule]: {line!r}"
        missing = MISSING.match(problem["message"])
        if problem["rule"] != "style-requires" or missing is None:
            continue
        assert missing["style"] == style, line
        name = (Path.cwd() / problem["path"]).resolve().relative_to(source.resolve())
        fields = set(re.findall(r"'([a-z_]+)'", missing["fields"]))
        said = reported.setdefault(name.as_posix(), set())
        assert not said & fields, f"said twice: {line!r}"
        said.update(fields)
    wanted = {name: set(fields) for name, fields in expected.items()}
    papers = {name: fields for name, fields in wanted.items() if name.startswith("papers/")}
    assert len(summaries) <= 1, result.stderr
    if summaries:  # many papers: one line says what they lack, a few are shown
        assert int(summaries[0]["count"]) == len(papers), result.stderr
        assert set(summaries[0]["fields"].split(", ")) == {
            field for fields in papers.values() for field in fields}, result.stderr
        shown = {name: fields for name, fields in reported.items() if name.startswith("papers/")}
        assert shown and all(papers.get(name) == fields for name, fields in shown.items()), (
            shown, papers)
        reported.update(papers)
    assert reported == wanted, result.stderr


def test_unknown_format_is_a_usage_error(run: Run) -> None:
    result = run("render", str(EXAMPLES / "weekly"), "--format", "pdf")
    assert result.exit_code == 2
    assert "--format must be one of md, text" in result.stderr
