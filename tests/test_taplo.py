"""Taplo, the engine of Even Better TOML (and of Zed's, Helix's and Neovim's TOML support),
over what ``init``, ``new-issue`` and ``add-paper`` write: the real ``taplo`` of PyPI's
wheel (``pip install '.[test]'``), run from the publication's folder as a user runs it.

Taplo never reaches the network here: the schema catalogs stay off (no
``--default-schema-catalogs``), every schema is a local file, and the proxy variables
point at a closed port, so a fetch it tried would fail the test instead of going out.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from newsletter.check.rules import RULES
from tests.support.cli import Run
from tests.support.paths import EXAMPLES, STYLES, TEMPLATES
from tests.support.tools import need

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, a connection fails
OFFLINE = {**{key: value for key, value in os.environ.items()
              if not key.upper().startswith(("TAPLO_", "HTTP_PROXY", "HTTPS_PROXY",
                                             "ALL_PROXY", "NO_PROXY"))},
           "HTTP_PROXY": CLOSED, "HTTPS_PROXY": CLOSED, "ALL_PROXY": CLOSED,
           "http_proxy": CLOSED, "https_proxy": CLOSED, "all_proxy": CLOSED}
# "error: MESSAGE", then the box that starts with "┌─ PATH:LINE:COLUMN".
DIAGNOSTIC = re.compile(r"^error: (?P<message>.+)\n\s*┌─ (?P<path>.+):(?P<line>\d+):(?P<col>\d+)$",
                        re.MULTILINE)


@cache
def taplo_path() -> str | None:
    """This environment's taplo (the wheel's script), else one on PATH."""
    scripts = sysconfig.get_path("scripts")
    return shutil.which("taplo", path=os.pathsep.join([scripts, os.environ.get("PATH", "")]))


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Taplo:
    code: int
    output: str
    diagnostics: tuple[Diagnostic, ...]

    def at(self, path: str, line: int) -> list[str]:
        return [d.message for d in self.diagnostics if d.path == path and d.line == line]


def taplo(pub: Path, *args: str) -> Taplo:
    executable = taplo_path()
    need(executable is not None, "taplo is not installed: pip install '.[test]'")
    assert executable is not None
    done = subprocess.run([executable, *args, "--colors", "never"], cwd=pub, env=OFFLINE,
                          capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert "127.0.0.1:9" not in output, f"taplo tried the network:\n{output}"
    found = tuple(
        Diagnostic(Path(m["path"]).resolve().relative_to(pub.resolve()).as_posix(),
                   int(m["line"]), int(m["col"]), m["message"])
        for m in DIAGNOSTIC.finditer(output))
    return Taplo(done.returncode, output, found)


def line_of(path: Path, start: str) -> int:
    """The 1-based number of the first line of ``path`` that starts with ``start``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(number for number, text in enumerate(lines, 1) if text.startswith(start))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


PAPER = "issues/001/papers/01-sparse-attention-at-scale.toml"


@pytest.fixture
def pub(run: Run, tmp_path: Path) -> Path:
    """A fresh publication with one weekly issue and one paper, made by the commands."""
    for args in (("init", "pub", "--name", "AI Research Weekly", "--style", "weekly"),
                 ("new-issue", "pub/issues/001", "--number", "1", "--date", "2026-04-19"),
                 ("add-paper", "pub/issues/001", "--title", "Sparse Attention at Scale",
                  "--url", "https://arxiv.org/abs/2604.01234", "--score", "8.2",
                  "--summary", "Cheaper attention.", "--finding", "a", "--finding", "b",
                  "--application", "x")):
        result = run(*args)
        assert result.exit_code == 0, result.output
    assert (tmp_path / "pub" / PAPER).is_file()
    return tmp_path / "pub"


# ---------------------------------------------------------------------------- clean files


def test_taplo_runs(pub: Path) -> None:
    version = taplo(pub, "--version")
    assert version.code == 0 and re.match(r"taplo \d+\.\d+", version.output), version.output


def test_fresh_files_pass_lint_with_the_publication_s_config(pub: Path) -> None:
    result = taplo(pub, "lint")  # every TOML file of the folder, as a user runs it
    assert result.code == 0, result.output
    assert result.diagnostics == ()
    assert re.search(r"found configuration file .*\.taplo\.toml", result.output), result.output
    # The three entries, and .taplo.toml itself, which Taplo checks against its own schema.
    assert re.search(r"found files total=4\b", result.output), result.output


def test_fresh_files_pass_fmt_check(pub: Path) -> None:
    assert taplo(pub, "fmt", "--check").code == 0
    # ... because of the config: Taplo's own defaults (two-space indents, arrays that fit
    # on a line collapsed) would rewrite the paper add-paper wrote.
    default = taplo(pub, "fmt", "--check", "--no-auto-config")
    assert default.code != 0 and "01-sparse-attention-at-scale.toml" in default.output


# ---------------------------------------------------------------------------- errors at lines


def test_a_wrong_type_and_an_unknown_key_are_reported_at_their_lines(pub: Path) -> None:
    paper = pub / PAPER
    edit(paper, "score = 8.2\n", 'score = "8.2"\nsumary = "A typo."\n')
    result = taplo(pub, "lint")
    assert result.code != 0
    score = line_of(paper, "score =")
    assert Diagnostic(PAPER, score, len('score = ') + 1, '"8.2" is not of type "number"'
                      ) in result.diagnostics, result.output
    assert any("'sumary' was unexpected" in message
               for message in result.at(PAPER, line_of(paper, "sumary ="))), result.output
    assert {d.path for d in result.diagnostics} == {PAPER}


@pytest.mark.parametrize(("file", "start"), [
    ("issues/001/issue.toml", 'style = "weekly"'), ("newsletter.toml", 'style = "weekly"')])
def test_a_style_the_publication_lacks_is_reported(pub: Path, file: str, start: str) -> None:
    edit(pub / file, start, 'style = "weekley"')
    result = taplo(pub, "lint")
    assert result.code != 0
    assert any(message.startswith('"weekley" is not one of')
               for message in result.at(file, line_of(pub / file, "style ="))), result.output


def test_a_style_of_the_publication_s_own_is_known_once_schemas_are_regenerated(
        run: Run, pub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (pub / "templates/house").mkdir(parents=True)
    shutil.copy(TEMPLATES / "weekly/style.toml", pub / "templates/house/style.toml")
    edit(pub / "issues/001/issue.toml", 'style = "weekly"', 'style = "house"')
    assert taplo(pub, "lint").code != 0  # the schema init wrote knows the built-in styles
    monkeypatch.chdir(pub)  # as the README says: newsletter schema issue > schemas/...
    result = run("schema", "issue")
    assert result.exit_code == 0, result.output
    (pub / "schemas/issue.schema.json").write_text(result.stdout, encoding="utf-8")
    assert taplo(pub, "lint").code == 0


def test_a_misspelt_rule_is_reported(pub: Path) -> None:
    publication = pub / "newsletter.toml"
    edit(publication, '# covered-before = "error"', 'covered-before = "error"')
    assert taplo(pub, "lint").code == 0
    edit(publication, 'covered-before = "error"', 'covered-befor = "error"')
    result = taplo(pub, "lint")
    assert result.code != 0
    assert any("'covered-befor' was unexpected" in message
               for message in result.at("newsletter.toml", line_of(publication, "covered-befor"))
               ), result.output


@pytest.mark.parametrize("rule_id", sorted(r.id for r in RULES.values() if r.configurable))
def test_every_configurable_rule_may_be_set(pub: Path, rule_id: str) -> None:
    edit(pub / "newsletter.toml", '# covered-before = "error"', f'{rule_id} = "off"')
    assert taplo(pub, "lint").code == 0


@pytest.mark.parametrize("issue", ["issues/001", "issues/2026/q2/014"])
def test_a_paper_without_its_schema_line_is_still_checked(pub: Path, issue: str) -> None:
    lines = (pub / PAPER).read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0].startswith("#:schema ")
    copy = pub / issue / "papers/02-copied-by-hand.toml"
    copy.parent.mkdir(parents=True, exist_ok=True)
    if issue != "issues/001":
        shutil.copy(pub / "issues/001/issue.toml", pub / issue / "issue.toml")
    copy.write_text("".join(lines[1:]).replace("score = 8.2", 'score = "8.2"'),
                    encoding="utf-8")
    name = copy.relative_to(pub).as_posix()
    result = taplo(pub, "lint", name)
    assert result.at(name, line_of(copy, "score =")) == ['"8.2" is not of type "number"'], (
        result.output)
    # The path rule in .taplo.toml did it: without the config, nothing checks the file.
    assert taplo(pub, "lint", "--no-auto-config", name).code == 0


def test_an_issue_and_the_publication_without_schema_lines_are_still_checked(
        pub: Path) -> None:
    for file, wrong in (("issues/001/issue.toml", ("number = 1", 'number = "1"')),
                        ("newsletter.toml", ('style = "weekly"', "style = 3"))):
        path = pub / file
        path.write_text(path.read_text(encoding="utf-8").split("\n", 1)[1], encoding="utf-8")
        edit(path, *wrong)
        result = taplo(pub, "lint", file)
        assert result.at(file, line_of(path, wrong[1].split(" ")[0] + " =")), result.output


# ---------------------------------------------------------------------------- fmt leaves them


def mixed_list(data: dict[str, Any]) -> bool:
    """A list of plain bullets and nested ones ({ text, points }), which tomli-w writes as
    inline tables whose inner arrays it indents one level short."""
    return any(isinstance(value, list) and any(isinstance(i, dict) for i in value)
               and any(isinstance(i, str) for i in value) for value in data.values())


def example_papers(nested: bool) -> list[Path]:
    return [path for style in STYLES for path in sorted((EXAMPLES / style / "papers").glob(
        "*.toml")) if mixed_list(tomllib.loads(path.read_text(encoding="utf-8"))) is nested]


def add_from(run: Run, pub: Path, papers: list[Path]) -> None:
    """Every style's issue.toml and, through --from, the given example papers."""
    for style in STYLES:
        result = run("new-issue", f"pub/issues/{style}", "--style", style,
                     "--date", "2026-04-19")
        assert result.exit_code == 0, result.output
    for paper in papers:
        style = paper.parent.parent.name
        result = run("add-paper", f"pub/issues/{style}", "--from", str(paper))
        assert result.exit_code == 0, result.output


def test_fmt_leaves_every_style_s_issue_and_papers_alone(run: Run, pub: Path) -> None:
    papers = example_papers(nested=False)
    assert len(papers) > 20
    add_from(run, pub, papers)
    result = taplo(pub, "fmt", "--check")
    assert result.code == 0, result.output


def test_fmt_leaves_papers_with_nested_bullets_alone(run: Run, pub: Path) -> None:
    papers = example_papers(nested=True)
    assert papers
    add_from(run, pub, papers)
    result = taplo(pub, "fmt", "--check")
    assert result.code == 0, result.output
