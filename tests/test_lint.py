"""Editorial lint through `newsletter check`: every rule fires on a minimal case, at its
``path:line:col``, and stays quiet on the bundled examples; ``--strict``, ``[check]`` in
newsletter.toml, ``--base`` and ``--list-rules``.

Most tests build a small weekly publication in the scratch directory with the builders of
tests/support/publication.py: ``newsletter.toml``, ``issues/NNN/issue.toml`` (number on
line 1, date on line 2, status on line 3) and papers written by ``paper()`` (title on line
1, url 2, score 3, summary 4, key_findings 5, applications 6). ``today`` is fixed to
2026-05-01 so that dates never drift into the future.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import newsletter.check.lint
from newsletter.check.rules import RULES
from tests.support.cli import PROBLEM, Result, Run, child_env
from tests.support.paths import EXAMPLES, STYLES
from tests.support.processes import wait_for_children
from tests.support.publication import issue, one_issue, paper, publication, write

TODAY = dt.date(2026, 5, 1)

DIGEST_PAPER = {
    "title": '"Sparse Attention at Scale"',
    "url": '"https://arxiv.org/abs/2604.01234"',
    "headline": '"Sparse attention, 75% cheaper"',
    "overview": '"It reuses indices. It cuts cost. It keeps quality."',
    "body": '["The indexer runs at every layer; IndexCache reuses it."]',
    "takeaways": '["Cheaper prefill.", "Same quality."]',
}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr(newsletter.check.lint, "today", lambda: TODAY)
    return TODAY


# ---------------------------------------------------------------------------- helpers


def check(run: Run, *args: str) -> Result:
    result = run("check", *args)
    output = result.stdout + result.stderr
    assert result.exit_code in (0, 1, 2), output
    assert "Traceback" not in output and "internal error" not in output, output
    for line in result.lines[:-1]:
        assert PROBLEM.match(line), f"not path:line:col: severity: message [rule]: {line!r}"
    return result


def lines_for(result: Result, rule: str) -> list[str]:
    return [line for line in result.lines if line.endswith(f"[{rule}]")]


P1 = "issues/001/papers/01-paper.toml"


# ---------------------------------------------------------------------------- clean examples


@pytest.mark.parametrize("style", STYLES)
def test_examples_are_lint_clean_even_with_strict(run: Run, style: str) -> None:
    result = check(run, str(EXAMPLES / style), "--strict")
    assert result.exit_code == 0, result.stdout
    assert len(result.lines) == 1 and result.lines[0].startswith("All good:"), result.stdout


def test_a_clean_weekly_issue_has_no_warnings(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper())
    result = check(run, "--strict")
    assert (result.exit_code, result.lines) == (
        0, ["All good: 3 files checked, no problems."])


# ---------------------------------------------------------------------------- covered-before

SAME_PAPER = {
    "arxiv-abs-vs-pdf": ("https://arxiv.org/abs/2604.01234", "https://arxiv.org/pdf/2604.01234"),
    "arxiv-unversioned-vs-v2": ("https://arxiv.org/abs/2604.01234",
                                "https://arxiv.org/abs/2604.01234v2"),
    "arxiv-pdf-v2-dot-pdf": ("https://arxiv.org/abs/2604.01234",
                             "https://arxiv.org/pdf/2604.01234v2.pdf"),
    "arxiv-html": ("https://arxiv.org/pdf/2604.01234v1", "https://arxiv.org/html/2604.01234v3"),
    "doi-case": ("https://doi.org/10.1145/ABC.Def-12", "https://doi.org/10.1145/abc.def-12"),
    "doi-dx-host": ("https://doi.org/10.1145/abc.def", "https://dx.doi.org/10.1145/ABC.DEF"),
    "url-www-and-slash": ("https://www.example.com/papers/sparse/",
                          "https://example.com/papers/sparse"),
    "url-host-case": ("https://Example.COM/papers/sparse", "https://example.com/papers/sparse"),
    "url-scheme": ("http://example.com/papers/sparse", "https://example.com/papers/sparse"),
}


@pytest.mark.parametrize(("first", "second"), list(SAME_PAPER.values()), ids=list(SAME_PAPER))
def test_covered_before_finds_the_same_paper_in_a_later_issue(run: Run, tmp_path: Path,
                                                             first: str, second: str) -> None:
    publication(tmp_path)
    issue(tmp_path / "issues/004", 4, "2026-04-12",
          papers={"01-first.toml": paper(url=f'"{first}"')})
    issue(tmp_path / "issues/005", 5, "2026-04-19",
          papers={"01-again.toml": paper(url=f'"{second}"', title='"A Retitled Copy"')})
    result = check(run)
    assert lines_for(result, "covered-before") == [
        "issues/005/papers/01-again.toml:2:7: warning: already covered in issue 4 "
        "(issues/004/papers/01-first.toml) [covered-before]"]
    assert result.exit_code == 0  # a warning


def test_covered_before_matches_a_normalised_title(run: Run, tmp_path: Path) -> None:
    publication(tmp_path)
    issue(tmp_path / "issues/004", 4, "2026-04-12", papers={"01-first.toml": paper()})
    issue(tmp_path / "issues/005", 5, "2026-04-19", papers={"01-again.toml": paper(
        title='"  sparse ATTENTION   at scale "', url='"https://example.org/other"')})
    assert lines_for(check(run), "covered-before") == [
        "issues/005/papers/01-again.toml:2:7: warning: already covered in issue 4 "
        "(issues/004/papers/01-first.toml) [covered-before]"]


def test_covered_before_is_reported_on_the_higher_numbered_issue(run: Run,
                                                                 tmp_path: Path) -> None:
    """Directory order does not matter: 'a-later' sorts first but is issue 9."""
    publication(tmp_path)
    issue(tmp_path / "issues/a-later", 9, "2026-04-19", papers={"01-x.toml": paper()})
    issue(tmp_path / "issues/b-earlier", 8, "2026-04-12", papers={"01-y.toml": paper()})
    assert lines_for(check(run), "covered-before") == [
        "issues/a-later/papers/01-x.toml:2:7: warning: already covered in issue 8 "
        "(issues/b-earlier/papers/01-y.toml) [covered-before]"]


DIFFERENT_PAPERS = {
    "arxiv-ids": ("https://arxiv.org/abs/2604.01234", "https://arxiv.org/abs/2604.01235"),
    "dois": ("https://doi.org/10.1145/abc.1", "https://doi.org/10.1145/abc.2"),
    "url-paths": ("https://example.com/papers/a", "https://example.com/papers/b"),
}


@pytest.mark.parametrize(("first", "second"), list(DIFFERENT_PAPERS.values()),
                         ids=list(DIFFERENT_PAPERS))
def test_covered_before_leaves_different_papers_alone(run: Run, tmp_path: Path, first: str,
                                                      second: str) -> None:
    publication(tmp_path)
    issue(tmp_path / "issues/004", 4, "2026-04-12",
          papers={"01-first.toml": paper(url=f'"{first}"')})
    issue(tmp_path / "issues/005", 5, "2026-04-19",
          papers={"01-second.toml": paper(url=f'"{second}"', title='"Another Paper"')})
    result = check(run, "--strict")
    assert (result.exit_code, result.lines) == (
        0, ["All good: 5 files checked, no problems."])


def test_covered_before_stays_within_one_publication(run: Run, tmp_path: Path) -> None:
    for name, number, date in (("applied", 4, "2026-04-19"), ("weekly", 5, "2026-04-12")):
        publication(tmp_path / name, name=name.title())
        issue(tmp_path / name / "issues/001", number, date, papers={"01-x.toml": paper()})
    result = check(run, "--strict")
    assert result.exit_code == 0, result.stdout


# ---------------------------------------------------------------------------- placeholder-text


@pytest.mark.parametrize(("raw", "found", "position"), [
    ('"TODO: summarise the results."', "TODO", "4:11"),
    ('"Lorem ipsum dolor sit amet."', "Lorem ipsum", "4:11"),
    ('"Results are TBD until the camera-ready."', "TBD", "4:11"),
    ('"""\nFIXME before Friday.\n"""', "FIXME", "4:11"),
])
def test_placeholder_text_in_a_paper(run: Run, tmp_path: Path, raw: str, found: str,
                                     position: str) -> None:
    one_issue(tmp_path, paper(summary=raw))
    result = check(run)
    assert lines_for(result, "placeholder-text") == [
        f"{P1}:{position}: warning: '{found}' left in the text; finish it before publishing "
        "[placeholder-text]"]
    assert result.exit_code == 0


def test_placeholder_text_in_a_list_item_points_at_the_item(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(key_findings='["Fast.", "Cheap.", "TODO", "Works at 30B."]'))
    assert lines_for(check(run), "placeholder-text") == [
        f"{P1}:5:36: warning: 'TODO' left in the text; finish it before publishing "
        "[placeholder-text]"]


def test_placeholder_text_in_the_issue_file(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(), extra='lede = "lorem"\n')
    assert lines_for(check(run), "placeholder-text") == [
        "issues/001/issue.toml:4:8: warning: 'lorem' left in the text; finish it before "
        "publishing [placeholder-text]"]


def test_words_that_merely_contain_a_placeholder_are_fine(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary='"Todoist-style planners and Loremaster agents."'))
    assert lines_for(check(run), "placeholder-text") == []


# ---------------------------------------------------------------------------- over-budget


def words(count: int) -> str:
    return '"' + " ".join(["word"] * count) + '"'


def test_weekly_summary_over_150_words(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary=words(151)))
    result = check(run)
    assert lines_for(result, "over-budget") == [
        f"{P1}:4:11: warning: summary has 151 words; the style's budget is 150 [over-budget]"]
    assert result.exit_code == 0


def test_weekly_summary_of_exactly_150_words_is_fine(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary=words(150)))
    assert lines_for(check(run, "--strict"), "over-budget") == []


def digest_issue(root: Path, overview: str, config: str = "") -> None:
    one_issue(root, paper(DIGEST_PAPER, overview=overview), style="digest", config=config,
              extra='observation = "Sparse attention keeps getting cheaper."\n')


def test_digest_overview_over_3_sentences(run: Run, tmp_path: Path) -> None:
    digest_issue(tmp_path, '"One. Two! Three? Four."')
    result = check(run)
    assert lines_for(result, "over-budget") == [
        f"{P1}:4:12: warning: overview has 4 sentences; the style's budget is 3 [over-budget]"]
    assert result.exit_code == 0


def test_digest_overview_of_3_sentences_is_fine(run: Run, tmp_path: Path) -> None:
    digest_issue(tmp_path, '"It reuses indices at 1.82x speed. It cuts cost. It keeps quality."')
    result = check(run, "--strict")
    assert (result.exit_code, result.lines) == (0, ["All good: 3 files checked, no problems."])


def test_abbreviations_do_not_end_sentences(run: Run, tmp_path: Path) -> None:
    digest_issue(tmp_path, '"It beats dense attention vs. the usual baselines, e.g. on Llama. '
                 'It cuts cost. It keeps quality."')
    assert lines_for(check(run), "over-budget") == []


# ---------------------------------------------------------------------------- item-count


def test_weekly_three_findings_and_four_applications(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(key_findings='["One.", "Two.", "Three."]',
                              applications='["A.", "B.", "C.", "D."]'))
    result = check(run)
    assert lines_for(result, "item-count") == [
        f"{P1}:5:16: warning: key_findings has 3 items; the style shows 4–5 [item-count]",
        f"{P1}:6:16: warning: applications has 4 items; the style shows 3 [item-count]",
    ]
    assert result.exit_code == 0


def test_weekly_five_findings_are_fine(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(key_findings='["1.", "2.", "3.", "4.", "5."]'))
    assert lines_for(check(run, "--strict"), "item-count") == []


# ---------------------------------------------------------------------------- date-order


def test_a_date_in_the_future(run: Run, tmp_path: Path) -> None:
    publication(tmp_path)
    issue(tmp_path / "issues/001", 1, "2026-05-02", papers={"01-paper.toml": paper()})
    result = check(run)
    assert lines_for(result, "date-order") == [
        "issues/001/issue.toml:2:8: warning: the date 2026-05-02 is in the future [date-order]"]
    assert result.exit_code == 0


def test_today_is_not_the_future(run: Run, tmp_path: Path) -> None:
    publication(tmp_path)
    issue(tmp_path / "issues/001", 1, TODAY.isoformat(), papers={"01-paper.toml": paper()})
    assert lines_for(check(run, "--strict"), "date-order") == []


def test_a_later_issue_dated_before_an_earlier_one(run: Run, tmp_path: Path) -> None:
    publication(tmp_path)
    issue(tmp_path / "issues/004", 4, "2026-04-12", papers={"01-a.toml": paper()})
    issue(tmp_path / "issues/005", 5, "2026-04-05", papers={"01-b.toml": paper(
        title='"Another Paper"', url='"https://arxiv.org/abs/2604.09999"')})
    result = check(run)
    assert lines_for(result, "date-order") == [
        "issues/005/issue.toml:2:8: warning: issue 5 is dated 2026-04-05, before issue 4 "
        "(2026-04-12) [date-order]"]
    assert result.exit_code == 0


# ---------------------------------------------------------------------------- insecure-link


def test_an_http_url(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(url='"http://arxiv.org/abs/2604.01234"'))
    result = check(run)
    assert lines_for(result, "insecure-link") == [
        f"{P1}:2:7: warning: http://arxiv.org/abs/2604.01234 is not https; use the https "
        "address if there is one [insecure-link]"]
    assert result.exit_code == 0


def test_an_http_link_in_markdown_text(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary='"Code is [on GitHub](http://github.com/org/repo)."'))
    assert lines_for(check(run), "insecure-link") == [
        f"{P1}:4:11: warning: http://github.com/org/repo is not https; use the https address "
        "if there is one [insecure-link]"]


def test_https_links_are_fine(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary='"Code is [on GitHub](https://github.com/org/repo)."'))
    assert lines_for(check(run, "--strict"), "insecure-link") == []


# ---------------------------------------------------------------------------- gem-without-score


def test_a_hidden_gem_without_a_score(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(score=None, hidden_gem="true"))
    result = check(run)
    # Line 6 now: the score line was dropped and hidden_gem appended.
    assert lines_for(result, "gem-without-score") == [
        f"{P1}:6:14: warning: a hidden gem has no score; the tier is ordered by score "
        "[gem-without-score]"]


def test_a_hidden_gem_with_a_score_is_fine(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(hidden_gem="true"))
    result = check(run, "--strict")
    assert (result.exit_code, result.lines) == (0, ["All good: 3 files checked, no problems."])


# ---------------------------------------------------------------------------- exit status


def test_warnings_exit_0_and_strict_exits_1(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary='"TODO"'))
    relaxed = check(run)
    assert relaxed.exit_code == 0
    assert relaxed.lines[-1] == "Found 1 warning in 3 files."
    strict = check(run, "--strict")
    assert strict.exit_code == 1
    assert strict.lines == relaxed.lines


# ---------------------------------------------------------------------------- [check] config


def test_a_rule_set_to_error_fails_the_check(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary='"TODO"'), config="""\
        [check.rules]
        placeholder-text = "error"
        """)
    result = check(run)
    assert result.exit_code == 1
    assert result.lines == [
        f"{P1}:4:11: error: 'TODO' left in the text; finish it before publishing "
        "[placeholder-text]",
        "Found 1 error in 3 files."]


def test_a_rule_set_to_off_is_gone(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary='"TODO"', url='"http://example.com/p"'), config="""\
        [check.rules]
        placeholder-text = "off"
        insecure-link = "off"
        """)
    result = check(run, "--strict")
    assert (result.exit_code, result.lines) == (0, ["All good: 3 files checked, no problems."])


def test_an_unknown_rule_id_suggests_the_closest(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(), config="""\
        [check.rules]
        covered-befor = "error"
        """)
    result = check(run)
    assert result.exit_code == 1
    assert result.lines == [
        "newsletter.toml:4:1: error: unknown rule 'covered-befor'; did you mean "
        "'covered-before'? (see 'newsletter check --list-rules') [invalid-value]",
        "Found 1 error in 3 files."]


def test_a_file_rule_cannot_be_turned_off(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(), config="""\
        [check.rules]
        wrong-type = "off"
        """)
    result = check(run)
    assert result.exit_code == 1
    assert result.lines[0] == ("newsletter.toml:4:1: error: rule 'wrong-type' is not "
                               "configurable: its files cannot be used as is [invalid-value]")


def test_an_unknown_level_is_an_error(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(), config="""\
        [check.rules]
        placeholder-text = "fatal"
        """)
    result = check(run)
    assert result.exit_code == 1
    assert result.lines[0].startswith("newsletter.toml:4:20: error: ")
    assert "'error', 'warning' or 'off'" in result.lines[0]


def test_check_budgets_override_the_style(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary=words(151)), paper(
        title='"Short One"', url='"https://arxiv.org/abs/2604.05555"', summary=words(6)),
        config="""\
        [check.budgets]
        summary_words = 5
        """)
    result = check(run)
    assert lines_for(result, "over-budget") == [
        f"{P1}:4:11: warning: summary has 151 words; the style's budget is 5 [over-budget]",
        "issues/001/papers/02-paper.toml:4:11: warning: summary has 6 words; the style's "
        "budget is 5 [over-budget]"]


def test_check_budgets_can_raise_a_limit(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(summary=words(151)), config="""\
        [check.budgets]
        summary_words = 200
        """)
    assert check(run, "--strict").exit_code == 0


def test_check_budgets_override_sentences(run: Run, tmp_path: Path) -> None:
    digest_issue(tmp_path, '"One. Two. Three. Four."', config="""\
        [check.budgets]
        overview_sentences = 4
        """)
    assert check(run, "--strict").exit_code == 0


def test_check_counts_override_the_style(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(key_findings='["One.", "Two.", "Three."]'), config="""\
        [check.counts]
        key_findings = [3, 5]
        applications = [1, 2]
        """)
    result = check(run)
    assert lines_for(result, "item-count") == [
        f"{P1}:6:16: warning: applications has 3 items; the style shows 1–2 [item-count]"]


@pytest.mark.parametrize("key", ["summary_chars", "summary"])
def test_a_bad_budget_key_is_reported_in_newsletter_toml(run: Run, tmp_path: Path,
                                                         key: str) -> None:
    one_issue(tmp_path, paper(), config=f"""\
        [check.budgets]
        {key} = 100
        """)
    result = check(run)
    assert result.exit_code == 1
    assert result.lines[0].startswith("newsletter.toml:4:"), result.lines


def test_a_reversed_count_range_is_reported_in_newsletter_toml(run: Run,
                                                               tmp_path: Path) -> None:
    one_issue(tmp_path, paper(), config="""\
        [check.counts]
        key_findings = [5, 3]
        """)
    result = check(run)
    assert result.exit_code == 1
    assert result.lines[0].startswith("newsletter.toml:4:"), result.lines


# ---------------------------------------------------------------------------- --list-rules


def test_list_rules_prints_every_rule_with_severity_and_rationale(run: Run) -> None:
    result = run("check", "--list-rules")
    assert result.exit_code == 0
    assert len(result.lines) == len(RULES)
    for line, rule in zip(result.lines, RULES.values(), strict=True):
        assert line.split()[:2] == [rule.id, rule.severity.value], line
        assert rule.summary in line
        assert line.endswith("(configurable)") == rule.configurable, line


def test_list_rules_names_the_lint_rules_as_warnings(run: Run) -> None:
    table = {line.split()[0]: line.split()[1] for line in run("check", "--list-rules").lines}
    for rule in ("covered-before", "placeholder-text", "over-budget", "item-count",
                 "date-order", "insecure-link", "gem-without-score"):
        assert table[rule] == "warning"
    assert table["published-changed"] == "error"


# ---------------------------------------------------------------------------- --base

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> str:
    assert GIT is not None
    done = subprocess.run([GIT, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository (tag ``base``): issue 1 published, issue 2 a draft."""
    # Nobody's git configuration or enclosing repository may change the outcome.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for variable in ("NAME", "EMAIL"):
        monkeypatch.setenv(f"GIT_AUTHOR_{variable}", "Editor" if variable == "NAME"
                           else "editor@example.com")
        monkeypatch.setenv(f"GIT_COMMITTER_{variable}", "Editor" if variable == "NAME"
                           else "editor@example.com")
    publication(tmp_path)
    issue(tmp_path / "issues/001", 1, "2026-04-12", status="published",
          papers={"01-a.toml": paper()})
    issue(tmp_path / "issues/002", 2, "2026-04-19", papers={"01-b.toml": paper(
        title='"Another Paper"', url='"https://arxiv.org/abs/2604.09999"')})
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "add", "--all")
    git(tmp_path, "commit", "--quiet", "--message", "issues 1 and 2")
    git(tmp_path, "tag", "base")
    return tmp_path


def changed(path: str, number: int = 1) -> str:
    return (f"{path}:1:1: error: changed since base, where issue {number} was already "
            "published: readers have it; revert, or correct it in a new issue "
            "[published-changed]")


def edit(path: Path) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("cheaper", "much cheaper"),
                    encoding="utf-8")


@needs_git
def test_base_without_changes_is_clean(run: Run, repo: Path) -> None:
    result = check(run, "--base", "base", "--strict")
    assert (result.exit_code, result.lines) == (0, ["All good: 5 files checked, no problems."])


@needs_git
def test_base_reports_an_edited_paper_of_a_published_issue(run: Run, repo: Path) -> None:
    edit(repo / "issues/001/papers/01-a.toml")
    result = check(run, "--base", "base")
    assert result.exit_code == 1
    assert result.lines == [changed("issues/001/papers/01-a.toml"), "Found 1 error in 5 files."]


@needs_git
def test_base_reports_a_committed_edit_too(run: Run, repo: Path) -> None:
    edit(repo / "issues/001/papers/01-a.toml")
    git(repo, "commit", "--quiet", "--all", "--message", "fix a typo in issue 1")
    assert lines_for(check(run, "--base", "base"), "published-changed") == [
        changed("issues/001/papers/01-a.toml")]


@needs_git
def test_base_reports_an_edited_issue_file(run: Run, repo: Path) -> None:
    path = repo / "issues/001/issue.toml"
    path.write_text(path.read_text(encoding="utf-8") + 'title = "Retitled"\n', encoding="utf-8")
    assert lines_for(check(run, "--base", "base"), "published-changed") == [
        changed("issues/001/issue.toml")]


@needs_git
def test_base_ignores_edits_to_a_draft(run: Run, repo: Path) -> None:
    edit(repo / "issues/002/papers/01-b.toml")
    write(repo / "issues/002/papers/02-c.toml", paper(
        title='"Third Paper"', url='"https://arxiv.org/abs/2604.07777"'))
    result = check(run, "--base", "base", "--strict")
    assert (result.exit_code, result.lines) == (0, ["All good: 6 files checked, no problems."])


@needs_git
def test_base_ignores_an_issue_published_after_base(run: Run, repo: Path) -> None:
    path = repo / "issues/002/issue.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("draft", "published"),
                    encoding="utf-8")
    assert check(run, "--base", "base", "--strict").exit_code == 0


@needs_git
def test_base_reports_a_new_untracked_paper_in_a_published_issue(run: Run,
                                                                  repo: Path) -> None:
    write(repo / "issues/001/papers/02-late.toml", paper(
        title='"Late Addition"', url='"https://arxiv.org/abs/2604.07777"'))
    result = check(run, "--base", "base")
    assert result.exit_code == 1
    assert lines_for(result, "published-changed") == [changed("issues/001/papers/02-late.toml")]


@needs_git
def test_base_paths_are_relative_to_the_working_directory(run: Run, repo: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    edit(repo / "issues/001/papers/01-a.toml")
    monkeypatch.chdir(repo / "issues")
    assert lines_for(check(run, "--base", "base", "001"), "published-changed") == [
        changed("001/papers/01-a.toml")]


@needs_git
def test_base_with_a_bad_revision_is_a_usage_error(run: Run, repo: Path) -> None:
    result = run("check", "--base", "no-such-ref")
    assert result.exit_code == 2
    assert result.stderr == "newsletter: error: --base no-such-ref: no such revision\n"


@needs_git
def test_base_outside_a_git_repository_is_a_usage_error(run: Run, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    one_issue(tmp_path, paper())
    result = run("check", "--base", "HEAD")
    assert result.exit_code == 2
    assert "is not inside a git repository" in result.stderr
    assert result.stdout == ""


@needs_git
@pytest.mark.parametrize("name", ["02 late addition.toml", "02-café.toml"])
def test_base_reports_unusual_file_names_as_they_are(run: Run, repo: Path, name: str) -> None:
    path = write(repo / "issues/001/papers" / name, paper(
        title='"Late Addition"', url='"https://arxiv.org/abs/2604.07777"'))
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "add a late paper")
    git(repo, "tag", "base2")
    edit(path)
    result = check(run, "--base", "base2")
    assert lines_for(result, "published-changed") == [
        changed(f"issues/001/papers/{name}").replace("since base,", "since base2,")]


# The walk-arounds a hostile pull request would try: the guard compares the paths of every
# issue published at base, so renaming, deleting or replacing the folder cannot hide an edit.

@needs_git
def test_base_reports_a_published_issue_renamed_and_edited(run: Run, repo: Path) -> None:
    (repo / "issues/001").rename(repo / "issues/001-old")
    edit(repo / "issues/001-old/papers/01-a.toml")
    result = check(run, "--base", "base")
    assert result.exit_code == 1
    reported = lines_for(result, "published-changed")
    assert changed("issues/001/papers/01-a.toml").replace("changed since", "deleted since") \
        in reported
    assert changed("issues/001/issue.toml").replace("changed since", "deleted since") \
        in reported


@needs_git
def test_base_reports_a_deleted_published_issue(run: Run, repo: Path) -> None:
    shutil.rmtree(repo / "issues/001")
    result = check(run, "--base", "base")
    assert result.exit_code == 1
    assert len(lines_for(result, "published-changed")) == 2


@needs_git
def test_base_reports_a_published_issue_replaced_by_a_link(run: Run, repo: Path) -> None:
    hidden = repo / ".hidden-001"
    (repo / "issues/001").rename(hidden)
    edit(hidden / "papers/01-a.toml")
    os.symlink(hidden, repo / "issues/001")
    result = check(run, "--base", "base")
    assert result.exit_code == 1
    assert ("issues/001/issue.toml:1:1: error: issue 1 was published at base and its folder "
            "is now a link: a published issue stays a plain folder [published-changed]"
            ) in result.lines


@needs_git
def test_base_checked_on_another_issue_still_sees_the_published_one(
        run: Run, repo: Path) -> None:
    """pre-commit passes only the files a commit touches: deleting issue 1 and editing
    issue 2 passes issue 2's files alone."""
    shutil.rmtree(repo / "issues/001")
    result = check(run, "--base", "base", "issues/002/papers/01-b.toml")
    assert result.exit_code == 1
    assert len(lines_for(result, "published-changed")) == 2


@needs_git
def test_base_with_a_file_name_that_is_not_utf8(run: Run, repo: Path) -> None:
    name = os.fsdecode(b"02-caf\xe9.toml")
    write(repo / "issues/001/papers" / name, paper(
        title='"Late"', url='"https://arxiv.org/abs/2604.07777"'))
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "a late paper, Latin-1 name")
    git(repo, "tag", "base3")
    edit(repo / "issues/001/papers/01-a.toml")
    result = run("check", "--base", "base3", "--format", "json", "--no-cache")
    assert result.exit_code == 1, result.stderr
    assert "published-changed" in result.stdout


@needs_git
def test_base_with_paths_in_two_repositories_is_a_usage_error(
        run: Run, repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("other")
    one_issue(other, paper())
    git(other, "init", "--quiet")
    result = run("check", "--base", "base", "issues", str(other))
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "is not in the repository at" in result.stderr


# ---------------------------------------------------------------------------- the cache and --jobs


def many_issues(root: Path) -> None:
    """Twelve issues with a problem of every kind: file errors, lint inside an issue, and
    lint across issues (a paper covered twice, dates out of order)."""
    publication(root)
    for number in range(1, 13):
        papers = {f"{index:02d}-p.toml": paper(
            title=f'"Paper {number}-{index}"',
            url=f'"https://arxiv.org/abs/2604.{number:02d}{index:03d}"') for index in (1, 2)}
        if number == 3:
            papers["03-bad.toml"] = paper(score='"high"')
        if number == 7:
            papers["03-again.toml"] = paper(title='"Paper 2-1"',
                                            url='"https://arxiv.org/abs/2604.02001v3"')
        if number == 9:
            papers["03-todo.toml"] = paper(title='"Paper TODO"', url='"https://x.org/t"')
        issue(root / f"issues/{number:03d}", number,
              "2026-04-01" if number == 10 else f"2026-0{1 + number // 4}-0{1 + number % 4}",
              papers=papers)


def test_jobs_and_the_cache_give_the_serial_answer(run: Run, tmp_path: Path) -> None:
    many_issues(tmp_path)
    serial = check(run, "--no-cache")
    for rule in ("wrong-type", "covered-before", "date-order", "placeholder-text"):
        assert lines_for(serial, rule), (rule, serial.stdout)
    assert serial.exit_code == 1
    for args in (["--jobs", "2", "--no-cache"], ["--jobs", "2"], [], ["--jobs", "0"]):
        again = check(run, *args)  # the first run with the cache fills it, then it answers
        assert (again.exit_code, again.stdout) == (serial.exit_code, serial.stdout), args


def test_lint_across_issues_sees_a_change_next_to_cached_issues(run: Run,
                                                                tmp_path: Path) -> None:
    many_issues(tmp_path)
    first = check(run)
    copy = tmp_path / "issues/012/papers/04-copy.toml"
    write(copy, paper(title='"Paper 5-2"', url='"https://arxiv.org/abs/2604.05002"'))
    found = lines_for(check(run), "covered-before")
    assert "issues/012/papers/04-copy.toml:2:7: warning: already covered in issue 5 " \
        "(issues/005/papers/02-p.toml) [covered-before]" in found
    copy.unlink()
    assert check(run).stdout == first.stdout


def test_a_future_date_is_judged_on_the_day_even_from_the_cache(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    publication(tmp_path)
    tomorrow = TODAY + dt.timedelta(days=1)
    issue(tmp_path / "issues/001", 1, tomorrow.isoformat(), papers={"01-paper.toml": paper()})
    assert lines_for(check(run), "date-order")
    monkeypatch.setattr(newsletter.check.lint, "today", lambda: tomorrow)
    assert lines_for(check(run), "date-order") == []


def test_jobs_must_not_be_negative(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper())
    result = run("check", "--jobs", "-1")
    assert result.exit_code == 2 and "--jobs must be 0" in result.stderr


def test_a_style_flag_left_empty_is_no_flag(run: Run, tmp_path: Path) -> None:
    """`--style "$STYLE"` with STYLE unset: the issue's own style, cached or not."""
    one_issue(tmp_path, paper(), extra='style = "nonesuch"\n')
    plain = check(run)
    assert plain.exit_code == 1 and "[unknown-style]" in plain.stdout
    for args in (["--style", ""], ["--no-cache", "--style", ""]):
        result = check(run, *args)
        assert (result.exit_code, result.stdout) == (plain.exit_code, plain.stdout), args


def test_lint_across_issues_counts_columns_after_a_byte_order_mark(run: Run,
                                                                  tmp_path: Path) -> None:
    publication(tmp_path)
    future = issue(tmp_path / "issues/001", 1, "2026-05-02", papers={"01-paper.toml": paper()})
    (future / "issue.toml").write_bytes(b"\xef\xbb\xbf" + (future / "issue.toml").read_bytes())
    assert lines_for(check(run), "date-order") == [
        "issues/001/issue.toml:2:8: warning: the date 2026-05-02 is in the future [date-order]"]


def test_ctrl_c_stops_check_jobs_promptly(tmp_path: Path) -> None:
    """Workers leave Ctrl-C to the main process: a worker interrupted while holding the
    result queue's lock used to leave every process waiting (seen in 5 of 200 tries).

    Ctrl-C comes once the workers exist, at a random moment of their work: not while
    Python is still starting and importing, which is another matter (and, on a loaded
    machine, took longer than any fixed delay)."""
    import random
    import signal
    import sys
    import time

    many_issues(tmp_path)
    argv = [sys.executable, "-m", "newsletter", "check", "--no-cache", "--jobs", "3"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(argv, cwd=tmp_path, env=child_env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)

    # How long the workers live, uninterrupted: Ctrl-C is sent within that time.
    process = start()
    assert wait_for_children(process, 3), "check --jobs 3 never started its workers"
    working = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    window = time.monotonic() - working
    assert process.returncode == 1 and b"Traceback" not in stderr, stderr.decode()

    rng = random.Random(6)
    endings = []
    for _ in range(12):
        process = start()
        try:
            if wait_for_children(process, 3):
                time.sleep(rng.uniform(0, 0.8 * window))
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGINT)  # as a terminal does: the group
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            raise AssertionError("check --jobs hung after Ctrl-C") from None
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        stderr = process.stderr.read().decode() if process.stderr else ""
        if process.stderr:
            process.stderr.close()
        assert "Traceback" not in stderr, stderr
        endings.append(process.returncode)
    # 130: interrupted and said so; -SIGINT: the signal came while Python was finishing,
    # where it ends a process as it ends any other; 0/1: finished first.
    assert set(endings) <= {0, 1, 130, -signal.SIGINT}, endings
    assert 130 in endings  # some runs were interrupted, not all finished first


def test_covered_before_sees_issues_not_named_as_pre_commit_runs_it(run: Run,
                                                                    tmp_path: Path) -> None:
    """pre-commit passes only the changed files; the earlier issues still count."""
    publication(tmp_path)
    issue(tmp_path / "issues/004", 4, "2026-04-12", papers={"01-first.toml": paper()})
    issue(tmp_path / "issues/005", 5, "2026-04-19", papers={"01-again.toml": paper(
        title='"A Retitled Copy"')})
    issue(tmp_path / "issues/006", 6, "2026-04-26", papers={"01-broken.toml": "title = \n"})
    for args in (["issues/005/papers/01-again.toml"], ["issues/005"], ["--no-cache", "issues/005"]):
        assert lines_for(check(run, *args), "covered-before") == [
            "issues/005/papers/01-again.toml:2:7: warning: already covered in issue 4 "
            "(issues/004/papers/01-first.toml) [covered-before]"], args
    # Only what was asked for is reported on: issue 4 is the earlier one, and fine.
    assert check(run, "issues/004").stdout.startswith("All good")
