"""Run the CLI fast and in-process, or as a real process, and check what it printed.

``Cli`` builds the click command once: ``typer.testing.CliRunner.invoke`` rebuilds it from
the Typer app on every call, which costs ~20 ms, ten times a ``check`` of a small issue.
Output is judged by the same rules everywhere: a known exit status, no traceback, and every
problem line in the ``path:line:col: severity: message [rule]`` form (``PROBLEM``, the one
pattern every test matches problem lines with) with a line that exists.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import typer.main
from typer.testing import CliRunner

from newsletter.cli import app
from tests.support.paths import REPO

# One problem line of ``check`` (and of a refused ``render``).
PROBLEM = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<severity>error|warning): "
    r"(?P<message>.+) \[(?P<rule>[a-z-]+)\]$")
SUMMARY = re.compile(r"^(All good: \d+ files? checked, no problems\."
                     r"|Found (\d+ errors?( and \d+ warnings?)?|\d+ warnings?) in \d+ files?\.)$")
CANNOT_RENDER = re.compile(r"^newsletter: error: .+: cannot render.*: fix the problems above "
                           r"first$")
ONE_LINE_ERROR = re.compile(r"^newsletter: error: \S.*$")


@dataclass(frozen=True)
class Result:
    """What a command did: its exit status and what it printed on each stream."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


# The ``run`` fixture (tests/conftest.py): ``run("check", ".")`` in the test's scratch folder.
Run = Callable[..., Result]


@dataclass(frozen=True)
class Reported:
    """One problem line, parsed."""

    path: str
    line: int
    column: int
    severity: str
    message: str
    rule: str


class CommandTimeout(BaseException):
    """Raised by the alarm in ``Cli``: a BaseException so that no ``except Exception``
    in the code under test can swallow it and turn a hang into an exit status."""


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise CommandTimeout(f"the command did not finish within {seconds} s (a hang)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Cli:
    """``newsletter ARGS`` in this process, in the current directory, with a time limit."""

    def __init__(self) -> None:
        self._command = typer.main.get_command(app)
        self._runner = CliRunner()

    def __call__(self, *args: str | Path, input: str | None = None,
                 timeout: float = 30.0) -> Result:
        code = 0
        with self._runner.isolation(input=input) as (out, err, _), _alarm(timeout):
            try:
                self._command.main(args=[str(a) for a in args], prog_name="newsletter",
                                   standalone_mode=True)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            # Output must be UTF-8 whatever the input was: decoding strictly checks that.
            return Result(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"))


@cache
def offered_formats() -> dict[str, tuple[str, ...]]:
    """Style → the formats ``newsletter styles`` says it offers (its ``formats:`` line)."""
    result = Cli()("styles")
    assert result.exit_code == 0, result.output
    found: dict[str, tuple[str, ...]] = {}
    style = None
    for line in output_lines(result.stdout):
        if line and not line[0].isspace():
            style = line.strip()
        elif line.strip().startswith("formats: "):
            assert style is not None and style not in found, result.stdout
            found[style] = tuple(f.strip() for f in line.split(":", 1)[1].split(","))
    return found


def modules_after(argv: Sequence[str]) -> set[str]:
    """The modules a fresh interpreter has imported once ``newsletter ARGV`` has run: what
    start-up pays for is decided by imports."""
    import json

    probe = (
        "import sys, json\n"
        f"sys.argv = ['newsletter', *{list(argv)!r}]\n"
        "from newsletter.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def newsletter_argv(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "newsletter", *(str(a) for a in args)]


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a ``python -m newsletter`` child: the checkout importable, no
    bytecode written (a child under a file-size limit or as another user must not need to)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_process(args: Sequence[str | Path], *, cwd: Path, timeout: float = 60.0,
                prefix: Sequence[str] = (), **popen: Any) -> Result:
    """``python -m newsletter ARGS`` as a real process (optionally behind ``prefix``, e.g.
    setpriv); a hang fails the test instead of stalling it."""
    completed = subprocess.run([*prefix, *newsletter_argv(*args)], cwd=cwd,
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=timeout, env=popen.pop("env", child_env()), **popen)
    return Result(completed.returncode, completed.stdout.decode("utf-8"),
                  completed.stderr.decode("utf-8"))


def assert_no_crash(result: Result) -> None:
    """No traceback, no internal error (exit 70), and an exit status we document."""
    assert "Traceback" not in result.output, result.output
    assert result.exit_code != 70 and "internal error" not in result.output, result.output
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)


def file_lines(path: Path) -> list[bytes] | None:
    """The lines of a regular file as TOML counts them (a bare CR does not end a line), or
    None for something that is not a regular file."""
    if path.is_symlink() or not path.is_file():
        return None
    raw = path.read_bytes()
    return raw.removesuffix(b"\n").split(b"\n") if raw else []


@cache
def backslash_at_end_is_past_the_line() -> bool:
    """Whether the known bug is still there: a file that ends right after a backslash in a
    string (``title = "A \\``, 12 characters, no newline) is reported at column 14, two
    past the last character, not 13 (tomli's column, passed on). While it is, the bounds
    check below accepts exactly that; the xfail test in test_fuzz.py reproduces it."""
    from newsletter.entries.tomlfile import parse

    _, problem = parse(Path("x.toml"), 'title = "A \\')
    return problem is not None and problem.column > 13


KNOWN_BUG_LINES: list[str] = []  # problem lines the tolerance above accepted


def output_lines(text: str) -> list[str]:
    """Lines as a log reader splits them (on newlines only)."""
    return text.removesuffix("\n").split("\n") if text else []


def parse_problem_lines(lines: list[str], root: Path) -> list[Reported]:
    """Every line must be a well-formed problem whose line (and column) exist in its file:
    1 <= line <= lines + 1 and 1 <= column <= that line's length + 1."""
    found = []
    for text in lines:
        match = PROBLEM.match(text)
        assert match, f"not 'path:line:col: severity: message [rule]': {text!r}"
        reported = Reported(match["path"], int(match["line"]), int(match["col"]),
                            match["severity"], match["message"], match["rule"])
        content = file_lines(root / reported.path)
        if content is None:  # a directory, a broken link: nothing to point into
            assert (reported.line, reported.column) == (1, 1), text
        else:
            assert 1 <= reported.line <= len(content) + 1, (
                f"line {reported.line} of a {len(content)}-line file: {text!r}")
            row = content[reported.line - 1] if reported.line <= len(content) else b""
            width = len(row.decode("utf-8", errors="replace"))
            if (reported.column == width + 2 and reported.line == len(content)
                    and "unescaped '\\'" in reported.message
                    and backslash_at_end_is_past_the_line()):
                KNOWN_BUG_LINES.append(text)
                width += 1
            assert 1 <= reported.column <= width + 1, (
                f"column {reported.column} of a {width}-character line: {text!r}")
        found.append(reported)
    return found


def check_output(result: Result, root: Path) -> list[Reported]:
    """``check``'s output: problem lines then a summary; exit 1 exactly when errors."""
    assert_no_crash(result)
    assert result.stderr == "", result.stderr
    lines = output_lines(result.stdout)
    assert lines and SUMMARY.match(lines[-1]), f"no summary line: {result.stdout!r}"
    found = parse_problem_lines(lines[:-1], root)
    errors = any(p.severity == "error" for p in found)
    assert result.exit_code == (1 if errors else 0), result.output
    return found


def render_output(result: Result, root: Path) -> list[Reported]:
    """``render``'s output: the document (exit 0), or the problems and one 'cannot render'
    line on stderr with nothing on stdout (exit 1)."""
    assert_no_crash(result)
    if result.exit_code == 0:
        assert result.stdout.strip(), "rendered an empty document"
        return []
    assert result.exit_code == 1, result.output
    assert result.stdout == "", "a refused render printed a document"
    lines = output_lines(result.stderr)
    assert lines and CANNOT_RENDER.match(lines[-1]), result.stderr
    return parse_problem_lines(lines[:-1], root)


def one_line_error(result: Result) -> str:
    """The single ``newsletter: error: ...`` line a failed command prints, and nothing else."""
    assert_no_crash(result)
    lines = output_lines(result.stderr)
    assert len(lines) == 1 and ONE_LINE_ERROR.match(lines[0]), result.stderr
    return lines[0]
