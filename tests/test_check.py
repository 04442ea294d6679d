"""`newsletter check`: one `path:line:col: error: message [rule]` line per problem, a summary.

Most tests build a small weekly-style issue in the scratch directory (see ``issue``), break
one thing in it, and assert on the exact position and the words an editor would act on.
Exit status: 0 clean, 1 problems, 2 usage error; never a Python traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import PROBLEM, Result, Run
from tests.support.publication import paper as publication_paper

ISSUE_DIR = "issue"
PAPER = f"{ISSUE_DIR}/papers/01-paper.toml"

# A paper the weekly style accepts, one key per line: title is line 1 ... applications line 6.
GOOD_PAPER = {
    "title": '"Sparse Attention at Scale"',
    "url": '"https://arxiv.org/abs/2603.00001"',
    "score": "8.2",
    "summary": '"Makes long-context serving cheaper."',
    # As many items as the weekly style shows, so the paper is lint-clean too.
    "key_findings": '["Cuts attention cost by 75%.", "Keeps quality.", "Needs no retraining.", '
                    '"Works at 30B."]',
    "applications": '["Serve longer contexts.", "Cut GPU bills.", "Audit sparse stacks."]',
}


def paper(**changes: str | None) -> str:
    """``GOOD_PAPER`` as TOML; a keyword replaces that key's raw TOML value in place (None
    drops the line) and a new key is added on the next line (line 7, 8, ...)."""
    return publication_paper(GOOD_PAPER, **changes)


def write(path: Path, content: str | bytes) -> Path:
    """Write a file (text is dedented and saved as UTF-8; bytes are written as they are)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = textwrap.dedent(content).encode("utf-8")
    path.write_bytes(content)
    return path


def check(run: Run, *args: str) -> Result:
    """Run ``newsletter check ARGS``; whatever the input, it must end with a known exit status
    and without a traceback or an 'internal error'."""
    result = run("check", *args)
    output = result.stdout + result.stderr
    assert result.exit_code in (0, 1, 2), output
    assert "Traceback" not in output, output
    assert "internal error" not in output, output
    return result


def problems(result: Result) -> list[str]:
    """The error lines (editorial-lint warnings are tested in test_lint.py), each checked
    against the format."""
    assert result.lines, "no output at all"
    found = result.lines[:-1]
    for line in found:
        assert PROBLEM.match(line), f"not path:line:col: severity: message [rule]: {line!r}"
    return [line for line in found if ": error: " in line]


def only_problem(result: Result) -> str:
    found = problems(result)
    assert len(found) == 1, "\n".join(found)
    assert result.exit_code == 1
    return found[0]


def replace_line(path: Path, start: str, new: str | None) -> None:
    """Replace the first line of ``path`` that starts with ``start`` (None deletes it)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = line_of(path, start)
    lines[number - 1] = "" if new is None else new + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def line_of(path: Path, start: str) -> int:
    """The 1-based number of the first line of ``path`` that starts with ``start``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(start):
            return number
    raise AssertionError(f"no line starting with {start!r} in {path}")


@pytest.fixture
def issue(tmp_path: Path) -> Path:
    """An empty weekly-style issue ``issue/`` with its newsletter.toml; tests add papers."""
    directory = tmp_path / ISSUE_DIR
    write(directory / "newsletter.toml", 'name = "AI Research Weekly"\n')
    write(directory / "issue.toml", """\
        style = "weekly"
        number = 3
        date = 2026-04-19
        """)
    (directory / "papers").mkdir()
    return directory


# ---------------------------------------------------------------------------- syntax


UNCLOSED_QUOTE = """\
    title = "Sparse Attention at Scale"
    url = "https://arxiv.org/abs/2603.00001"
    summary = "Makes long-context serving cheaper.
    score = 8.2
    """


def test_toml_syntax_error_is_reported_at_its_line_and_column(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", UNCLOSED_QUOTE)
    line = only_problem(check(run))
    # The string opened on line 3 runs into the end of the line (column 47).
    assert line.startswith(f"{PAPER}:3:47: error: invalid TOML")
    assert line.endswith("[toml-syntax]")


def test_missing_closing_quote_says_the_string_is_not_closed(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", UNCLOSED_QUOTE)
    match = PROBLEM.match(only_problem(check(run)))
    assert match is not None
    assert "string" in match["message"].lower() or "quote" in match["message"].lower()


# ---------------------------------------------------------------------------- types


@pytest.mark.parametrize(("changes", "position", "words"), [
    ({"score": '"8"'}, "3:9", "score must be a number without quotes"),
    ({"hidden_gem": '"yes"'}, "7:14", "hidden_gem must be true or false, without quotes"),
    ({"title": '["Sparse", "Attention"]'}, "1:9", "title must be text in quotes"),
    ({"summary": '["one", "two"]'}, "4:11", "summary must be text in quotes"),
    ({"key_findings": '"Cuts attention cost by 75%."'}, "5:16", "key_findings must be a list"),
], ids=["quoted-score", "quoted-bool", "list-for-title", "list-for-summary", "text-for-list"])
def test_wrong_type_is_reported_at_the_value(run: Run, issue: Path, changes: dict[str, str],
                                             position: str, words: str) -> None:
    write(issue / "papers/01-paper.toml", paper(**changes))
    line = only_problem(check(run))
    assert line.startswith(f"{PAPER}:{position}: error: {words}")
    assert line.endswith("[wrong-type]")


def test_quoted_date_in_issue_is_a_wrong_type(run: Run, issue: Path) -> None:
    write(issue / "issue.toml", """\
        style = "weekly"
        number = 3
        date = "2026-04-19"
        """)
    line = only_problem(check(run))
    assert line == (f"{ISSUE_DIR}/issue.toml:3:8: error: date must be a date without quotes, "
                    "e.g. 2026-04-19 [wrong-type]")


# ---------------------------------------------------------------------------- keys


def test_unknown_key_is_reported_at_the_key_with_a_suggestion(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", paper(scroe="8.0"))
    line = only_problem(check(run))
    assert line == (f"{PAPER}:7:1: error: unknown key 'scroe'; did you mean 'score'? "
                    "[unknown-key]")


def test_unknown_key_in_a_section_suggests_the_section_key(run: Run, issue: Path) -> None:
    write(issue / "issue.toml", """\
        style = "weekly"
        number = 3
        date = 2026-04-19

        [[sections]]
        title = "Attention"

        [[sections]]
        titel = "Optimization"
        """)
    found = problems(check(run))
    assert f"{ISSUE_DIR}/issue.toml:9:1: error: unknown key 'titel'; did you mean 'title'? " \
           "[unknown-key]" in found
    # The second section also lacks its title: reported at that section's header.
    assert f"{ISSUE_DIR}/issue.toml:8:1: error: missing required key 'title' [missing-key]" \
           in found


def test_unknown_key_in_a_nested_bullet_suggests_the_bullet_key(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml",
          paper(how_it_works='[{ txt = "Two modes:", points = ["Offline."] }]'))
    found = problems(check(run))
    assert f"{PAPER}:7:19: error: unknown key 'txt'; did you mean 'text'? [unknown-key]" \
           in found


def test_paper_without_title_is_missing_a_key(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", paper(title=None))
    result = check(run)
    assert result.exit_code == 1
    assert f"{PAPER}:1:1: error: missing required key 'title' [missing-key]" in problems(result)


def test_missing_title_is_reported_once(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", paper(title=None))
    line = only_problem(check(run))
    assert line == f"{PAPER}:1:1: error: missing required key 'title' [missing-key]"


def test_empty_paper_is_missing_its_title(run: Run, issue: Path) -> None:
    write(issue / "papers/01-empty.toml", b"")
    result = check(run)
    assert result.exit_code == 1
    found = problems(result)
    assert f"{ISSUE_DIR}/papers/01-empty.toml:1:1: error: missing required key 'title' " \
           "[missing-key]" in found
    assert all(line.startswith(f"{ISSUE_DIR}/papers/01-empty.toml:1:1: ") for line in found)


def test_field_the_style_requires_is_named_with_the_style(
        run: Run, example: Callable[[str], Path]) -> None:
    briefing = example("briefing")
    replace_line(briefing / "papers/01-spatial-ttt.toml", "headline = ", None)
    line = only_problem(check(run, "briefing"))
    assert line == ("briefing/papers/01-spatial-ttt.toml:1:1: error: missing 'headline', "
                    "required by style 'briefing' [style-requires]")


# ---------------------------------------------------------------------------- values


@pytest.mark.parametrize(("changes", "position", "words", "rule"), [
    ({"url": '"javascript:alert(1)"'}, "2:7", "url must be an http:// or https:// URL",
     "invalid-value"),
    ({"url": '"ftp://x"'}, "2:7", "url must be an http:// or https:// URL", "invalid-value"),
    ({"score": "nan"}, "3:9", "score must be a finite number", "wrong-type"),
    ({"score": "inf"}, "3:9", "score must be a finite number", "wrong-type"),
    ({"score": "11"}, "3:9", "score must be at most 10", "out-of-range"),
    ({"score": "-1.5"}, "3:9", "score must be at least 0", "out-of-range"),
], ids=["javascript-url", "ftp-url", "nan", "inf", "eleven", "negative"])
def test_bad_value_is_reported_at_the_value(run: Run, issue: Path, changes: dict[str, str],
                                            position: str, words: str, rule: str) -> None:
    write(issue / "papers/01-paper.toml", paper(**changes))
    line = only_problem(check(run))
    assert line.startswith(f"{PAPER}:{position}: error: {words}")
    assert line.endswith(f"[{rule}]")


def test_bad_item_of_a_multiline_array_is_reported_at_its_own_line(run: Run,
                                                                    issue: Path) -> None:
    write(issue / "papers/01-paper.toml", """\
        title = "Sparse Attention at Scale"
        url = "https://arxiv.org/abs/2603.00001"
        score = 8.2
        summary = "Makes long-context serving cheaper."
        key_findings = [
            "Cuts attention cost by 75%.",
            "Keeps quality within 0.1 points.",
            75,
            "Works with existing kernels.",
        ]
        applications = ["Serve longer contexts on the same GPUs."]
        """)
    line = only_problem(check(run))
    assert line == f"{PAPER}:8:5: error: key_findings[2] must be text in quotes [wrong-type]"


def test_bad_nested_bullet_is_reported_at_its_own_line(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", paper() + textwrap.dedent("""\
        why_it_matters = [
            "Cost: serving gets cheaper.",
            { text = "x", points = [] },
        ]
        """))
    line = only_problem(check(run))
    assert line.startswith(f"{PAPER}:9:28: error: why_it_matters[1].points must not be empty")


def test_section_not_in_the_issue_is_reported_at_the_section_value(
        run: Run, example: Callable[[str], Path]) -> None:
    pulse = example("pulse")
    path = pulse / "papers/01-sla2.toml"
    replace_line(path, "section = ", 'section = "Quantum Gardening"')
    line = only_problem(check(run, "pulse"))
    assert line.startswith(f"pulse/papers/01-sla2.toml:{line_of(path, 'section = ')}:11: "
                           "error: section 'Quantum Gardening' is not one of the issue's "
                           "[[sections]]: ")
    assert "'Cutting-Edge Attention Mechanisms and Handling Long Contexts'" in line
    assert line.endswith("[unknown-section]")


@pytest.mark.parametrize(("second", "position", "words"), [
    (paper(title='"Another Paper"'), "2:7", "the same url as 01-paper.toml"),
    (paper(title='"Another Paper"', url='"https://arxiv.org/abs/2603.00001/"'), "2:7",
     "the same url as 01-paper.toml"),
    (paper(url='"https://arxiv.org/abs/2603.99999"'), "1:9",
     "the same title as 01-paper.toml"),
    (paper(title='"sparse attention  AT SCALE"', url='"https://arxiv.org/abs/2603.99999"'),
     "1:9", "the same title as 01-paper.toml"),
], ids=["same-url", "url-with-slash", "same-title", "title-case-and-spaces"])
def test_same_paper_twice_is_a_duplicate(run: Run, issue: Path, second: str, position: str,
                                         words: str) -> None:
    write(issue / "papers/01-paper.toml", paper())
    write(issue / "papers/02-paper.toml", second)
    line = only_problem(check(run))
    assert line == f"{ISSUE_DIR}/papers/02-paper.toml:{position}: error: {words} " \
                   "[duplicate-paper]"


# ---------------------------------------------------------------------------- bad files


def _directory(path: Path) -> None:
    path.mkdir()


def _dangling_symlink(path: Path) -> None:
    path.symlink_to(path.parent / "gone-for-good.toml")


BAD_FILES = [
    # (file name under papers/, bytes or a maker, position or None, rule, words)
    ("01-latin1.toml", b'title = "caf\xe9"\n', "1:13", "encoding",
     "is not valid UTF-8 (byte 0xe9)"),
    ("01-naive.toml", paper().encode() + b'summary2 = "na\xefve"\n', "7:15", "encoding",
     "is not valid UTF-8 (byte 0xef)"),
    ("01-binary.toml", b'title = "a\x00b"\n', "1:11", "encoding", "contains a NUL byte"),
    ("x.toml", _directory, "1:1", "file-unreadable", "is a directory"),
    ("99-gone.toml", _dangling_symlink, "1:1", "file-unreadable", "is a broken symbolic link"),
    ("01-huge.toml", b'title = "' + b"x" * 2_000_000 + b'"\n', "1:1", "file-too-large",
     "is too large"),
    # Where a 1,000-deep nesting is reported is tested in test_deep_nesting_points_at_its_line.
    ("01-deep.toml", b'title = "A"\na = ' + b"[" * 1000 + b"]" * 1000 + b"\n", None,
     "toml-syntax", "nested too deeply"),
]


@pytest.mark.parametrize(("name", "content", "position", "rule", "words"), BAD_FILES,
                         ids=["non-utf8", "non-utf8-line-7", "nul-byte", "directory",
                              "dangling-symlink", "2-megabytes", "1000-deep"])
def test_bad_file_is_one_line_error(run: Run, issue: Path, name: str,
                                    content: bytes | Callable[[Path], None],
                                    position: str | None, rule: str, words: str) -> None:
    path = issue / "papers" / name
    if isinstance(content, bytes):
        write(path, content)
    else:
        content(path)
    line = only_problem(check(run))
    match = PROBLEM.match(line)
    assert match is not None
    assert match["path"] == f"{ISSUE_DIR}/papers/{name}"
    if position is not None:
        assert f"{match['line']}:{match['col']}" == position, line
    assert words in match["message"], line
    assert match["rule"] == rule, line


@pytest.mark.parametrize(("name", "content"), [
    ("01-bom.toml", b"\xef\xbb\xbf" + paper().encode()),
    ("01-crlf.toml", paper().replace("\n", "\r\n").encode()),
    ("01-bom-crlf.toml", b"\xef\xbb\xbf" + paper().replace("\n", "\r\n").encode()),
], ids=["bom", "crlf", "bom-and-crlf"])
def test_bom_and_crlf_are_accepted(run: Run, issue: Path, name: str, content: bytes) -> None:
    write(issue / "papers" / name, content)
    result = check(run)
    assert result.exit_code == 0, result.stdout
    assert result.lines == ["All good: 3 files checked, no problems."]


@pytest.mark.parametrize(("content", "position"), [
    # The byte-order mark is invisible in an editor, so it takes no column.
    (b"\xef\xbb\xbf" + paper(title="5").encode(), "1:9"),
    (paper(score='"8"').replace("\n", "\r\n").encode(), "3:9"),
], ids=["bom", "crlf"])
def test_positions_in_bom_and_crlf_files(run: Run, issue: Path, content: bytes,
                                         position: str) -> None:
    write(issue / "papers/01-paper.toml", content)
    line = only_problem(check(run))
    assert line.startswith(f"{PAPER}:{position}: error: ")
    assert line.endswith("[wrong-type]")


def test_bad_byte_after_a_bom_is_at_its_visible_column(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", b'\xef\xbb\xbftitle = "caf\xe9"\n')
    line = only_problem(check(run))
    assert line.startswith(f"{PAPER}:1:13: error: is not valid UTF-8")


def test_deep_nesting_points_at_its_line(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml",
          b'title = "A"\na = ' + b"[" * 1000 + b"]" * 1000 + b"\n")
    line = only_problem(check(run))
    assert line.startswith(f"{PAPER}:2:")


def test_unknown_dotted_key_is_reported_at_its_line(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", paper() + 'remarks.internal = "ask the authors"\n')
    line = only_problem(check(run))
    assert line == f"{PAPER}:7:1: error: unknown key 'remarks' [unknown-key]"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_a_one_line_error_not_a_hang(issue: Path) -> None:
    os.mkfifo(issue / "papers/01-pipe.toml")
    result = subprocess.run([sys.executable, "-m", "newsletter", "check", str(issue)],
                            capture_output=True, text=True, timeout=5, cwd=issue.parent)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "01-pipe.toml:1:1: error:" in result.stdout


def test_every_reported_line_is_within_its_file(run: Run, issue: Path,
                                                example: Callable[[str], Path]) -> None:
    broken: dict[str, bytes] = {
        "01-syntax-eof.toml": b'title = "A"\nsummary = """never closed\n\n',
        "02-open-array.toml": b'title = "B"\nkey_findings = [\n  "one",\n',
        "03-no-newline.toml": b'title = "C',
        "04-types.toml": paper(title='"D"', url='"https://e.com/d"', score='"8"',
                               hidden_gem='"yes"').encode(),
        "05-crlf.toml": paper(title='"E"', url='"ftp://x"').replace("\n", "\r\n").encode(),
        "06-bom.toml": b"\xef\xbb\xbf" + paper(title="6").encode(),
        "07-nested.toml": (paper(title='"G"', url='"https://e.com/g"') +
                           'why_it_matters = [\n  { text = "x", points = [] },\n]\n').encode(),
    }
    for name, content in broken.items():
        write(issue / "papers" / name, content)
    for name, content, *_ in BAD_FILES:
        if isinstance(content, bytes):
            write(issue / "papers" / f"9{name}", content)
    briefing = example("briefing")
    write(briefing / "papers/06-empty.toml", b"")

    result = check(run, ISSUE_DIR, "briefing", "--style", "weekly")
    found = problems(result)
    assert len(found) >= len(broken) + 5
    for line in found:
        match = PROBLEM.match(line)
        assert match is not None
        path = Path(match["path"])
        raw = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        lines = len(raw.splitlines())
        assert 1 <= int(match["line"]) <= lines + 1, line
        assert int(match["col"]) >= 1, line


# ---------------------------------------------------------------------------- finding issues


def test_no_arguments_finds_every_issue_below(run: Run, tmp_path: Path,
                                              example: Callable[[str], Path]) -> None:
    briefing, pulse = example("briefing"), example("pulse")
    nested = tmp_path / "archive/2025/issue-001"
    write(nested / "newsletter.toml", 'name = "AI Research Weekly"\n')
    write(nested / "issue.toml", 'style = "weekly"\nnumber = 1\ndate = 2025-01-06\n')
    write(nested / "papers/01-paper.toml", paper(score="12"))
    replace_line(briefing / "papers/01-spatial-ttt.toml", "title = ", "title = 1")
    replace_line(pulse / "papers/01-sla2.toml", "url = ", 'url = "ftp://x"')

    title_line = line_of(briefing / "papers/01-spatial-ttt.toml", "title = ")
    url_line = line_of(pulse / "papers/01-sla2.toml", "url = ")

    result = check(run)
    found = problems(result)
    assert [line.split(": error:")[0] for line in found] == [
        "archive/2025/issue-001/papers/01-paper.toml:3:9",
        f"briefing/papers/01-spatial-ttt.toml:{title_line}:9",
        f"pulse/papers/01-sla2.toml:{url_line}:7",
    ]
    files = sum(2 + len(list((d / "papers").iterdir())) for d in (nested, briefing, pulse))
    assert result.lines[-1] == f"Found 3 errors in {files} files."
    assert result.exit_code == 1


def test_path_that_does_not_exist_is_a_usage_error(run: Run) -> None:
    result = check(run, "issues/404")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "newsletter: error: issues/404: no such file or directory\n"


def test_directory_without_an_issue_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "notes/readme.toml", 'title = "not an issue"\n')
    result = check(run, "notes")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "newsletter: error: notes: no issue.toml found here or below\n"


def test_paper_file_path_checks_its_issue(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", paper())
    write(issue / "papers/02-paper.toml", paper(title='"Another Paper"'))
    result = check(run, f"{ISSUE_DIR}/papers/02-paper.toml")
    # The whole issue is checked, so a duplicate of the other paper is found.
    assert problems(result) == [
        f"{ISSUE_DIR}/papers/02-paper.toml:2:7: error: the same url as 01-paper.toml "
        "[duplicate-paper]"]
    assert result.lines[-1] == "Found 1 error in 4 files."


def test_issue_file_path_checks_its_issue(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", paper())
    result = check(run, f"{ISSUE_DIR}/issue.toml")
    assert result.exit_code == 0
    assert result.lines == ["All good: 3 files checked, no problems."]


def test_same_issue_named_twice_is_checked_once(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", paper(score='"8"'))
    result = check(run, f"{ISSUE_DIR}/papers/01-paper.toml", str(issue / "papers/01-paper.toml"))
    assert len(problems(result)) == 1
    assert result.lines[-1] == "Found 1 error in 3 files."


# ---------------------------------------------------------------------------- publication


def test_broken_publication_file_is_reported_once(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "newsletter.toml", 'name = "AI Research Weekly\n')
    for number in (1, 2):
        write(tmp_path / f"issues/00{number}/issue.toml",
              f'style = "weekly"\nnumber = {number}\ndate = 2026-04-19\n')
    result = check(run)
    assert problems(result) == [
        "newsletter.toml:1:27: error: invalid TOML: the line ends inside a string: is a closing "
        "quote missing? [toml-syntax]"]


def test_publication_shared_by_issues_is_reported_once(run: Run, tmp_path: Path) -> None:
    write(tmp_path / "newsletter.toml", "name = 5\n")
    for number in (1, 2):
        write(tmp_path / f"issues/00{number}/issue.toml",
              f'style = "weekly"\nnumber = {number}\ndate = 2026-04-19\n')
    result = check(run)
    assert problems(result) == ["newsletter.toml:1:8: error: name must be text in quotes "
                                "[wrong-type]"]
    assert result.lines[-1] == "Found 1 error in 3 files."


# ---------------------------------------------------------------------------- summary


def test_clean_issue_says_all_good(run: Run, issue: Path) -> None:
    write(issue / "papers/01-paper.toml", paper())
    result = check(run)
    assert result.exit_code == 0
    assert result.lines == ["All good: 3 files checked, no problems."]


@pytest.mark.parametrize(("papers", "summary"), [
    ([paper(score='"8"')], "Found 1 error in 3 files."),
    ([paper(score='"8"', hidden_gem='"no"'), paper(title='"Another Paper"', url='"ftp://x"')],
     "Found 3 errors in 4 files."),
], ids=["one-error", "three-errors-two-papers"])
def test_summary_counts_errors_and_files(run: Run, issue: Path, papers: list[str],
                                         summary: str) -> None:
    for number, text in enumerate(papers, 1):
        write(issue / f"papers/0{number}-paper.toml", text)
    result = check(run)
    assert result.exit_code == 1
    assert len(problems(result)) == int(summary.split()[1])
    assert result.lines[-1] == summary


def test_other_style_reports_its_required_fields_per_paper(
        run: Run, example: Callable[[str], Path]) -> None:
    briefing = example("briefing")
    result = check(run, "briefing", "--style", "weekly")
    assert result.exit_code == 1
    expected = [f"briefing/papers/{path.name}:1:1: error: missing 'score', 'summary', "
                "'key_findings', 'applications', required by style 'weekly' [style-requires]"
                for path in sorted((briefing / "papers").iterdir())]
    assert problems(result) == expected
    assert result.lines[-1] == f"Found {len(expected)} errors in {len(expected) + 2} files."


def test_unknown_style_option_is_a_usage_error(run: Run, example: Callable[[str], Path]) -> None:
    example("briefing")
    result = check(run, "briefing", "--style", "monthly")
    assert result.exit_code == 2
    assert "unknown style 'monthly'" in result.stderr
    assert "weekly" in result.stderr
