"""check on a terminal: code frames, colour by severity, and the concise form elsewhere."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter.check.terminal import span_at
from tests.support.cli import PROBLEM, Run, child_env, newsletter_argv
from tests.support.paths import EXAMPLES, STYLES

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """The weekly example with a quoted score and a misspelt key in its first paper."""
    issue = tmp_path / "weekly"
    shutil.copytree(EXAMPLES / "weekly", issue, ignore=shutil.ignore_patterns(".newsletter-*"))
    paper = sorted((issue / "papers").glob("*.toml"))[0]
    text = paper.read_text()
    text = re.sub(r"^score = ([0-9.]+)$", r'score = "\1"', text, count=1, flags=re.M)
    paper.write_text(text.replace("\nsummary = ", "\nsumary = ", 1))
    return issue


def test_full_prints_a_frame_per_problem(run: Run, broken: Path) -> None:
    result = run("check", "weekly", "--format", "full", "--color", "never")
    assert result.exit_code == 1
    paper = sorted((broken / "papers").glob("*.toml"))[0]
    lines = paper.read_text().splitlines()
    score = next(i for i, line in enumerate(lines, start=1) if line.startswith("score = "))
    expected = (f"error[wrong-type]: score must be a number without quotes, e.g. 8.2\n"
                f" --> weekly/papers/{paper.name}:{score}:9\n"
                f"  |\n"
                f"{score} | {lines[score - 1]}\n"
                f"  |         {'^' * (len(lines[score - 1]) - 8)}\n")
    assert expected in result.stdout, result.stdout
    assert re.search(r"error\[unknown-key\]: unknown key 'sumary'\n.*\n.*\n.*sumary = .*\n"
                     r"\s+\| \^{6}\n\s+= help: did you mean 'summary'\?", result.stdout), \
        result.stdout
    assert result.stdout.rstrip().endswith("Found 3 errors in 17 files.")
    assert "\x1b" not in result.stdout


def test_colour_follows_the_severity(run: Run, broken: Path) -> None:
    result = run("check", "weekly", "--format", "full", "--color", "always")
    assert "\x1b[1;31merror[wrong-type]" in result.stdout
    plain = ANSI.sub("", result.stdout)
    assert "error[wrong-type]: score must be a number" in plain


def test_concise_is_one_line_per_problem_and_text_is_its_old_name(run: Run,
                                                                  broken: Path) -> None:
    concise = run("check", "weekly", "--format", "concise")
    assert concise.stdout == run("check", "weekly", "--format", "text").stdout
    problems = concise.lines[:-1]
    assert len(problems) == 3 and all(PROBLEM.match(line) for line in problems)


def test_not_a_terminal_means_concise(run: Run, broken: Path) -> None:
    # The test runner's stdout is not a terminal.
    assert run("check", "weekly").stdout == run("check", "weekly", "--format", "concise").stdout


def test_a_bad_format_or_colour_is_a_usage_error(run: Run, broken: Path) -> None:
    assert run("check", "weekly", "--format", "fancy").exit_code == 2
    assert run("check", "weekly", "--color", "sometimes").exit_code == 2


def _on_a_terminal(args: list[str], cwd: Path, **env: str) -> str:
    """What ``newsletter ARGS`` prints on a real pseudo-terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(cwd)
        environment = child_env(**env)
        for variable in ("CI", "GITHUB_ACTIONS"):
            environment.pop(variable, None)
        os.execve(sys.executable, newsletter_argv(*args), environment)
    chunks = []
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_on_a_terminal_frames_are_the_default_in_colour(broken: Path) -> None:
    shown = _on_a_terminal(["check", "weekly"], broken.parent)
    assert "\x1b[" in shown and "error[wrong-type]" in ANSI.sub("", shown)


def test_no_color_is_honoured_on_a_terminal(broken: Path) -> None:
    shown = _on_a_terminal(["check", "weekly"], broken.parent, NO_COLOR="1")
    assert "error[wrong-type]" in shown and "\x1b[" not in shown


def test_in_ci_a_terminal_still_gets_one_line_each(broken: Path) -> None:
    done = subprocess.run(newsletter_argv("check", "weekly"), cwd=broken.parent,
                          env=child_env(CI="true"), capture_output=True, text=True)
    assert PROBLEM.match(done.stdout.splitlines()[0])


def test_a_control_character_in_the_source_line_is_shown_escaped(run: Run,
                                                                 broken: Path) -> None:
    paper = sorted((broken / "papers").glob("*.toml"))[1]
    paper.write_text(paper.read_text() + 'sumary = "x" # \x1b]0;owned\x07\n')
    result = run("check", "weekly", "--format", "full", "--color", "never")
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b]0;owned\\x07" in result.stdout


@pytest.mark.parametrize(("line", "column", "width"), [
    ('score = "8.2"', 9, 5), ('title = "a \\" b" # c', 9, 8), ("n = 12, m", 5, 2),
    ("k = [1, 2]", 5, 6), ('b = """x"""', 5, 7), ("x", 9, 1)])
def test_span_at(line: str, column: int, width: int) -> None:
    assert span_at(line, column) == width


def test_styles_is_a_table_on_a_terminal(tmp_path: Path) -> None:
    shown = ANSI.sub("", _on_a_terminal(["styles"], tmp_path))
    assert "each paper needs" in shown and "┃" in shown
    for style in STYLES:
        assert f"│ {style}" in shown


def test_a_long_check_shows_a_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    generate = Path(__file__).resolve().parents[1] / "benchmarks" / "generate.py"
    subprocess.run([sys.executable, str(generate), "--issues", "60", "--papers-per-issue",
                    "1", "--style", "weekly", str(tmp_path / "pub")], check=True,
                   capture_output=True)
    shown = ANSI.sub("", _on_a_terminal(["check", "pub", "--no-cache"], tmp_path))
    assert "checking issues" in shown and "All good" in shown
    piped = subprocess.run(newsletter_argv("check", "pub", "--no-cache"), cwd=tmp_path,
                           env=child_env(), capture_output=True, text=True)
    assert "checking issues" not in piped.stderr + piped.stdout
