"""``newsletter add-paper``: numbering, values, slugs, refusals, prompts, --from, concurrency."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import newsletter.commands.add_paper
from tests.support.cli import Run

TITLE = "IndexCache: Accelerating Sparse Attention via Cross-Layer Index Reuse"
URL = "https://arxiv.org/abs/2603.12201"


def briefing_args(title: str = TITLE, url: str = URL) -> list[str]:
    """Every field the briefing style requires of a paper, as flags."""
    return ["--title", title, "--url", url, "--headline", "Sparse attention, 75% cheaper",
            "--problem", "Attention indexers cost too much.",
            "--solution", "IndexCache reuses indices across layers.",
            "--why", "Cost: fewer indexer passes."]


def weekly_args(title: str = TITLE, url: str = URL) -> list[str]:
    return ["--title", title, "--url", url, "--score", "8.5", "--summary", "A summary.",
            "--finding", "A finding.", "--application", "An application."]


def papers_in(issue_dir: Path) -> list[str]:
    return sorted(p.name for p in (issue_dir / "papers").iterdir())


def read_paper(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def added_path(stdout: str, cwd: Path) -> Path:
    """The file named by add-paper's 'added PATH' line."""
    match = re.fullmatch(r"added (.+)", stdout.strip())
    assert match, stdout
    return cwd / match[1]


def one_line_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("newsletter: error: "), stderr
    return lines[0]


@pytest.fixture
def empty_issue(example: Callable[[str], Path]) -> Callable[[str], Path]:
    """A copy of a bundled example issue with its papers removed."""

    def make(style: str) -> Path:
        issue_dir = example(style)
        for paper in (issue_dir / "papers").iterdir():
            paper.unlink()
        return issue_dir

    return make


class _StdinIsATerminal:
    """Stands in for the ``sys`` module inside the add-paper command only.

    add-paper prompts when ``sys.stdin.isatty()`` is true. Patching ``sys.stdin`` itself
    is useless: CliRunner installs its own stdin stream (isatty() is False) at every invoke.
    So the name ``sys`` in newsletter.commands.add_paper is replaced by this proxy, which
    forwards every attribute to the real module *at the time of use* (so it sees
    CliRunner's streams) and wraps only stdin, making its isatty() answer True. The prompts
    themselves read the ``input=`` text through click's prompt function, which CliRunner
    already redirects.
    """

    class _Terminal:
        def __init__(self, stream: Any) -> None:
            self._stream = stream

        def isatty(self) -> bool:
            return True

        def __getattr__(self, name: str) -> Any:
            return getattr(self._stream, name)

    @property
    def stdin(self) -> Any:
        return self._Terminal(sys.stdin)

    def __getattr__(self, name: str) -> Any:
        return getattr(sys, name)


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(newsletter.commands.add_paper, "sys", _StdinIsATerminal())


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


# ------------------------------------------------------------------ numbering and values


def test_papers_are_numbered_01_then_02(run: Run, empty_issue: Callable[[str], Path]) -> None:
    issue_dir = empty_issue("briefing")

    first = run("add-paper", "briefing", *briefing_args())
    second = run("add-paper", "briefing", *briefing_args("XSkill: Agents That Learn",
                                                          "https://arxiv.org/abs/2603.2"))

    assert first.exit_code == 0, first.stderr
    assert second.exit_code == 0, second.stderr
    assert papers_in(issue_dir) == ["01-indexcache-accelerating-sparse-attention.toml",
                                    "02-xskill-agents-that-learn.toml"]


def test_number_follows_the_highest_existing_one(
        run: Run, empty_issue: Callable[[str], Path]) -> None:
    issue_dir = empty_issue("briefing")
    for number, name in (("01", "a"), ("02", "b"), ("07", "c")):
        (issue_dir / "papers" / f"{number}-{name}.toml").write_text(
            f'title = "Paper {name}"\nurl = "https://example.org/{name}"\n', encoding="utf-8")

    result = run("add-paper", "briefing", *briefing_args())

    assert result.exit_code == 0, result.stderr
    assert added_path(result.stdout, issue_dir.parent).name.startswith("08-")


def test_paper_round_trips_the_flag_values(run: Run, tmp_path: Path,
                                           empty_issue: Callable[[str], Path]) -> None:
    empty_issue("briefing")

    result = run("add-paper", "briefing", *briefing_args(), "--short-name", "IndexCache",
                 "--why", "Latency: shorter time to first token.", "--why", "Third: last.",
                 "--risk", "Risk one.", "--risk", "Risk two.",
                 "--finding", "Finding A.", "--finding", "Finding B.")

    assert result.exit_code == 0, result.stderr
    assert read_paper(added_path(result.stdout, tmp_path)) == {
        "title": TITLE,
        "url": URL,
        "short_name": "IndexCache",
        "headline": "Sparse attention, 75% cheaper",
        "problem": "Attention indexers cost too much.",
        "solution": "IndexCache reuses indices across layers.",
        "why_it_matters": ["Cost: fewer indexer passes.",
                           "Latency: shorter time to first token.", "Third: last."],
        "risks": ["Risk one.", "Risk two."],
        "key_findings": ["Finding A.", "Finding B."],
    }


def test_score_and_hidden_gem(run: Run, tmp_path: Path,
                              empty_issue: Callable[[str], Path]) -> None:
    empty_issue("weekly")

    result = run("add-paper", "weekly", *weekly_args(), "--hidden-gem")

    assert result.exit_code == 0, result.stderr
    paper = read_paper(added_path(result.stdout, tmp_path))
    assert paper["score"] == 8.5
    assert paper["hidden_gem"] is True


def test_not_featured(run: Run, tmp_path: Path, empty_issue: Callable[[str], Path]) -> None:
    empty_issue("digest")

    result = run("add-paper", "digest", "--title", TITLE, "--url", URL,
                 "--blurb", "Reuses sparse-attention indices.", "--not-featured")

    assert result.exit_code == 0, result.stderr
    paper = read_paper(added_path(result.stdout, tmp_path))
    assert paper["featured"] is False
    assert paper["blurb"] == "Reuses sparse-attention indices."


def test_paper_file_mode_follows_the_umask(run: Run, tmp_path: Path, umask_022: None,
                                           empty_issue: Callable[[str], Path]) -> None:
    empty_issue("briefing")

    result = run("add-paper", "briefing", *briefing_args())

    mode = stat.S_IMODE(added_path(result.stdout, tmp_path).stat().st_mode)
    assert mode == 0o644, oct(mode)


# ------------------------------------------------------------------ slugs


@pytest.mark.parametrize("title", ["../../etc/passwd", "Ünïcödé 模型 🚀 Title", "/ \\ .. ~ $HOME",
                                   "🚀🚀🚀"])
def test_slug_is_a_safe_ascii_name_inside_papers(run: Run, tmp_path: Path, title: str,
                                                 empty_issue: Callable[[str], Path]) -> None:
    issue_dir = empty_issue("briefing")

    result = run("add-paper", "briefing", *briefing_args(title=title))

    assert result.exit_code == 0, result.stderr
    path = added_path(result.stdout, tmp_path)
    assert path.resolve().parent == (issue_dir / "papers").resolve()
    assert re.fullmatch(r"\d{2}-[a-z0-9-]+\.toml", path.name), path.name
    assert papers_in(issue_dir) == [path.name]
    assert read_paper(path)["title"] == title


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("same_url", [URL, URL + "/"])
def test_duplicate_url_is_refused(run: Run, empty_issue: Callable[[str], Path],
                                  same_url: str) -> None:
    issue_dir = empty_issue("briefing")
    run("add-paper", "briefing", *briefing_args())
    before = papers_in(issue_dir)

    result = run("add-paper", "briefing", *briefing_args(title="Another Title", url=same_url))

    assert result.exit_code != 0
    assert URL in one_line_error(result.stderr)
    assert papers_in(issue_dir) == before


def test_duplicate_title_is_refused_ignoring_case_and_spaces(
        run: Run, empty_issue: Callable[[str], Path]) -> None:
    issue_dir = empty_issue("briefing")
    run("add-paper", "briefing", *briefing_args())
    before = papers_in(issue_dir)
    shouted = "  " + "   ".join(TITLE.upper().split()) + " "

    result = run("add-paper", "briefing",
                 *briefing_args(title=shouted, url="https://arxiv.org/abs/2603.99999"))

    assert result.exit_code != 0
    assert "already" in one_line_error(result.stderr)
    assert papers_in(issue_dir) == before


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/paper.pdf",
                                 "data:text/html,hi", "https://exa mple.org/x", "arxiv.org/abs/1"])
def test_non_http_url_is_refused(run: Run, empty_issue: Callable[[str], Path],
                                 url: str) -> None:
    issue_dir = empty_issue("briefing")

    result = run("add-paper", "briefing", *briefing_args(url=url))

    assert result.exit_code != 0
    assert "url" in one_line_error(result.stderr)
    assert papers_in(issue_dir) == []


@pytest.mark.parametrize("score", ["11", "-1", "nan", "inf"])
def test_score_outside_0_to_10_is_refused(run: Run, empty_issue: Callable[[str], Path],
                                          score: str) -> None:
    issue_dir = empty_issue("weekly")

    result = run("add-paper", "weekly", *weekly_args(), "--score", score)

    assert result.exit_code != 0
    assert "score" in one_line_error(result.stderr)
    assert papers_in(issue_dir) == []


def test_directory_without_issue_toml_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    (tmp_path / "not-an-issue" / "papers").mkdir(parents=True)

    result = run("add-paper", "not-an-issue", *briefing_args())

    assert result.exit_code == 2
    assert "issue.toml" in one_line_error(result.stderr)
    assert list((tmp_path / "not-an-issue" / "papers").iterdir()) == []


# ------------------------------------------------------------------ missing fields, prompts


def test_without_a_terminal_missing_fields_are_listed_as_flags(
        run: Run, empty_issue: Callable[[str], Path]) -> None:
    issue_dir = empty_issue("briefing")

    result = run("add-paper", "briefing", "--title", TITLE, "--url", URL)

    assert result.exit_code == 2
    message = one_line_error(result.stderr)
    for flag in ("--headline", "--problem", "--solution", "--why"):
        assert flag in message
    assert papers_in(issue_dir) == []


def test_a_draft_takes_a_paper_whose_style_fields_come_later(run: Run, tmp_path: Path) -> None:
    run("new-issue", "issue", "--style", "briefing", "--number", "1", "--date", "2026-04-19")

    result = run("add-paper", "issue", "--title", TITLE, "--url", URL)

    assert result.exit_code == 0, result.stderr
    assert len(list((tmp_path / "issue" / "papers").iterdir())) == 1
    assert result.stderr == ("still to write before the issue is published: --headline, "
                             "--problem, --solution, --why (style 'briefing'; 'newsletter "
                             "check' lists them until then)\n")
    checked = run("check", "issue")
    assert checked.exit_code == 0
    assert ("missing 'headline', 'problem', 'solution', 'why_it_matters', which style "
            "'briefing' needs before the issue is published [incomplete]") in checked.stdout


def test_a_published_issue_still_requires_the_style_fields(run: Run, tmp_path: Path) -> None:
    run("new-issue", "issue", "--style", "briefing", "--number", "1", "--date", "2026-04-19")
    issue = tmp_path / "issue" / "issue.toml"
    issue.write_text(issue.read_text().replace('status = "draft"', 'status = "published"'))

    result = run("add-paper", "issue", "--title", TITLE, "--url", URL)

    assert result.exit_code == 2
    assert "--headline" in one_line_error(result.stderr)
    assert list((tmp_path / "issue" / "papers").iterdir()) == []


def test_with_a_terminal_missing_fields_are_asked_for(
        run: Run, tmp_path: Path, terminal: None, empty_issue: Callable[[str], Path]) -> None:
    empty_issue("briefing")
    answers = ["Sparse attention, 75% cheaper", "Indexers cost too much.",
               "IndexCache reuses indices.", "Cost: fewer passes.", "Latency: lower.", ""]

    result = run("add-paper", "briefing", "--title", TITLE, "--url", URL,
                 input="\n".join(answers) + "\n")

    assert result.exit_code == 0, result.stdout + result.stderr
    paper = read_paper(added_path(result.stdout.splitlines()[-1], tmp_path))
    assert paper["headline"] == "Sparse attention, 75% cheaper"
    assert paper["problem"] == "Indexers cost too much."
    assert paper["solution"] == "IndexCache reuses indices."
    assert paper["why_it_matters"] == ["Cost: fewer passes.", "Latency: lower."]


def test_with_a_terminal_a_score_is_asked_for_as_a_number(
        run: Run, tmp_path: Path, terminal: None, empty_issue: Callable[[str], Path]) -> None:
    empty_issue("weekly")
    args = [a for a in weekly_args() if a not in ("--score", "8.5")]

    result = run("add-paper", "weekly", *args, input="not a number\n7.5\n")

    assert result.exit_code == 0, result.stdout + result.stderr
    assert read_paper(added_path(result.stdout.splitlines()[-1], tmp_path))["score"] == 7.5


def test_with_a_terminal_a_required_list_needs_an_item(
        run: Run, terminal: None, example: Callable[[str], Path]) -> None:
    example("briefing")  # a clean issue, with papers
    answers = ["Headline", "The problem.", "The solution.", ""]

    run("add-paper", "briefing", "--title", "A Paper Typed In", "--url",
        "https://arxiv.org/abs/2604.00042", input="\n".join(answers) + "\n")

    checked = run("check", "briefing")
    assert checked.exit_code == 0, checked.stdout


# ------------------------------------------------------------------ --from


def write_metadata(path: Path, data: dict[str, Any]) -> None:
    if path.suffix == ".json":
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        import tomli_w

        path.write_text(tomli_w.dumps(data), encoding="utf-8")


@pytest.mark.parametrize("name", ["meta.toml", "meta.json"])
def test_from_file_supplies_the_fields(run: Run, tmp_path: Path, name: str,
                                       empty_issue: Callable[[str], Path]) -> None:
    empty_issue("weekly")
    data = {"title": TITLE, "url": URL, "score": 7.5, "summary": "From the file.",
            "key_findings": ["K1", "K2"], "applications": ["A1"]}
    write_metadata(tmp_path / name, data)

    result = run("add-paper", "weekly", "--from", name)

    assert result.exit_code == 0, result.stderr
    assert read_paper(added_path(result.stdout, tmp_path)) == data


@pytest.mark.parametrize("name", ["meta.toml", "meta.json"])
def test_flags_override_the_from_file(run: Run, tmp_path: Path, name: str,
                                      empty_issue: Callable[[str], Path]) -> None:
    empty_issue("weekly")
    write_metadata(tmp_path / name, {
        "title": TITLE, "url": URL, "score": 7.5, "summary": "From the file.",
        "key_findings": ["K1", "K2"], "applications": ["A1"]})

    result = run("add-paper", "weekly", "--from", name, "--summary", "From the flag.",
                 "--score", "9", "--finding", "F1")

    assert result.exit_code == 0, result.stderr
    paper = read_paper(added_path(result.stdout, tmp_path))
    assert paper["summary"] == "From the flag."
    assert paper["score"] == 9
    assert paper["key_findings"] == ["F1"]
    assert paper["applications"] == ["A1"]


@pytest.mark.parametrize(("name", "content"), [
    ("broken.toml", b'title = "unterminated\n'),
    ("broken.json", b'{"title": '),
    ("list.json", b'["not", "a", "table"]'),
    ("latin1.toml", 'title = "Ünïcödé"\n'.encode("latin-1")),
    ("nul.json", b'{"title": "a\x00"}'),
    ("missing.toml", None),
])
def test_broken_from_file_is_a_one_line_error(run: Run, tmp_path: Path, name: str,
                                              content: bytes | None,
                                              empty_issue: Callable[[str], Path]) -> None:
    issue_dir = empty_issue("weekly")
    if content is not None:
        (tmp_path / name).write_bytes(content)

    result = run("add-paper", "weekly", "--from", name)

    assert result.exit_code == 2
    assert name in one_line_error(result.stderr)
    assert papers_in(issue_dir) == []


def test_from_file_bullet_without_points_names_the_missing_key(
        run: Run, tmp_path: Path, empty_issue: Callable[[str], Path]) -> None:
    empty_issue("briefing")
    (tmp_path / "meta.json").write_text(json.dumps({
        "title": TITLE, "url": URL, "headline": "H", "problem": "P", "solution": "S",
        "why_it_matters": [{"text": "Two modes:"}]}), encoding="utf-8")

    result = run("add-paper", "briefing", "--from", "meta.json")

    assert result.exit_code != 0
    assert "points" in one_line_error(result.stderr)


# ------------------------------------------------------------------ concurrency


def test_concurrent_adds_keep_every_paper(run: Run, tmp_path: Path,
                                          example: Callable[[str], Path]) -> None:
    issue_dir = example("briefing")
    before = set(papers_in(issue_dir))
    highest = max(int(name.split("-")[0]) for name in before)
    titles = [f"Concurrent Paper {i}: A Study" for i in range(8)]

    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "newsletter", "add-paper", "briefing",
             *briefing_args(title=title, url=f"https://arxiv.org/abs/2604.{i:05d}")],
            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        for i, title in enumerate(titles)]
    outcomes = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=30)
        outcomes.append((process.returncode, stdout, stderr))

    assert [code for code, _, _ in outcomes] == [0] * 8, outcomes
    new = sorted(set(papers_in(issue_dir)) - before)
    assert len(new) == 8
    assert sorted(int(name.split("-")[0]) for name in new) == list(
        range(highest + 1, highest + 9))
    assert sorted(read_paper(issue_dir / "papers" / name)["title"] for name in new) == titles
    checked = run("check", "briefing")
    assert checked.exit_code == 0, checked.stdout


def test_also_in_lists_a_paper_in_a_second_section(run: Run,
                                                   example: Callable[[str], Path]) -> None:
    issue = example("pulse")
    first = "Cutting-Edge Attention Mechanisms and Handling Long Contexts"
    second = "Hardware-Conscious Design and Scaling Laws for Deployment"
    result = run("add-paper", str(issue), "--title", "A Twice-Listed Method",
                 "--url", "https://arxiv.org/abs/2604.05555", "--short-name", "Twice",
                 "--blurb", "Twice does one thing well.", "--section", first,
                 "--also-in", f"{second}::Deployment Notes")
    assert result.exit_code == 0, result.stderr
    written = (issue / result.stdout.split("added ", 1)[1].strip()).read_text()
    assert f'section = "{second}"' in written and 'group = "Deployment Notes"' in written
    text = run("render", str(issue), "--format", "text").stdout
    assert text.count("Twice does one thing well.") == 2


def test_a_prompt_says_its_label_once(run: Run, tmp_path: Path, terminal: None,
                                      empty_issue: Callable[[str], Path]) -> None:
    empty_issue("briefing")
    answers = ["A headline", "A problem.", "A solution.", "Cost: less.", ""]
    result = run("add-paper", "briefing", "--title", TITLE, "--url", URL,
                 input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "why it matters: 'Lead term: explanation' bullets." in result.stdout
    assert "Why it matters:" not in result.stdout


@pytest.mark.parametrize("answers", ["", "A headline\n"])
def test_ctrl_d_at_a_prompt_writes_nothing_and_exits_130(
        run: Run, tmp_path: Path, terminal: None, empty_issue: Callable[[str], Path],
        answers: str) -> None:
    issue = empty_issue("briefing")
    result = run("add-paper", "briefing", "--title", TITLE, "--url", URL, input=answers)
    assert result.exit_code == 130
    assert result.stderr.strip().endswith("newsletter: error: interrupted; nothing was written")
    assert list((issue / "papers").glob("*.toml")) == []


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("m.json", '{"title": "T",\n "url": "https://a.org/x",\n "why": ["x"]}\n',
     "m.json:3:2: unknown key 'why'; did you mean 'why_it_matters'?"),
    ("m.json", '{"title": "T",\n "risk": "not a list"}\n',
     "m.json:2:2: risks"),
    ("m.toml", 'title = "T"\nscore = "8"\n',
     "m.toml:2:9: score must be a number without quotes, e.g. 8.2"),
    ("m.toml", 'title = "T"\n\nkey_innovation = ["x"]\n',
     "m.toml:3:1: unknown key 'key_innovation'; did you mean 'key_innovations'?"),
])
def test_from_file_problems_are_reported_at_their_line(
        run: Run, tmp_path: Path, empty_issue: Callable[[str], Path], name: str, text: str,
        expected: str) -> None:
    issue = empty_issue("weekly")
    (tmp_path / name).write_text(text, encoding="utf-8")
    result = run("add-paper", "weekly", "--from", name)
    assert result.exit_code == 2
    line = one_line_error(result.stderr)
    assert expected.split(": ", 1)[0] in line and expected.split(": ", 1)[1] in line, line
    assert list((issue / "papers").glob("*.toml")) == []


def test_from_file_takes_the_papers_own_field_names(
        run: Run, tmp_path: Path, empty_issue: Callable[[str], Path]) -> None:
    empty_issue("briefing")
    (tmp_path / "m.json").write_text(
        '{"title": "T", "url": "https://a.org/x", "headline": "H", "problem": "P.",'
        ' "solution": "S.", "why_it_matters": ["Cost: less."], "key_innovations": ["K: k."]}')
    result = run("add-paper", "briefing", "--from", "m.json")
    assert result.exit_code == 0, result.stderr
    paper = read_paper(added_path(result.stdout.splitlines()[-1], tmp_path))
    assert paper["why_it_matters"] == ["Cost: less."] and paper["key_innovations"] == ["K: k."]
