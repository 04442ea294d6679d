"""`newsletter init`: a publication repository that checks itself, in CI and before each
commit; and the journey from ``init`` to an issue that passes ``check``.

YAML files are read with PyYAML when it is installed (the tests that need it skip otherwise).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest

import newsletter.check.lint
from newsletter import DISTRIBUTION
from newsletter.create.install import running_install
from tests.support.cli import PROBLEM, Result, Run
from tests.support.paths import REPO

NAME = "AI Research Weekly"
WORKFLOW = ".github/workflows/newsletter.yml"
PRE_COMMIT = ".pre-commit-config.yaml"
PAGES = ".github/workflows/pages.yml"
SCHEMAS = ("schemas/paper.schema.json", "schemas/issue.schema.json",
           "schemas/publication.schema.json")
CREATED = ("newsletter.toml", WORKFLOW, PRE_COMMIT, "issues/.gitkeep", ".taplo.toml", *SCHEMAS)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(newsletter.check.lint, "today", lambda: dt.date(2026, 5, 1))


def init(run: Run, *extra: str, directory: str = "pub", style: str = "weekly") -> Result:
    return run("init", directory, "--name", NAME, "--style", style, *extra)


@pytest.fixture
def pub(run: Run, tmp_path: Path) -> Path:
    result = init(run)
    assert result.exit_code == 0, result.stderr
    return tmp_path / "pub"


def load_yaml(path: Path) -> Any:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------------------- files


def test_init_creates_the_publication(run: Run, tmp_path: Path) -> None:
    result = init(run)
    assert result.exit_code == 0, result.stderr
    assert result.lines == [*(f"created pub/{name}" for name in CREATED),
                            "next: newsletter new-issue pub/issues/001 --number 1"]
    assert sorted(snapshot(tmp_path / "pub")) == sorted(CREATED)
    assert (tmp_path / "pub/issues").is_dir()


def test_newsletter_toml_parses_with_name_and_style(pub: Path) -> None:
    text = (pub / "newsletter.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert data["name"] == NAME
    assert data["style"] == "weekly"
    assert data["check"] == {"rules": {}, "budgets": {}, "counts": {}}
    first = text.splitlines()[0]
    assert first == "#:schema schemas/publication.schema.json"
    assert (pub / first.removeprefix("#:schema ")).is_file()


def test_a_name_that_needs_escaping_survives(run: Run, tmp_path: Path) -> None:
    name = 'The "Quoted" Weekly \\ Ünïcode'
    assert run("init", "pub", "--name", name).exit_code == 0
    data = tomllib.loads((tmp_path / "pub/newsletter.toml").read_text(encoding="utf-8"))
    assert (data["name"], data["style"]) == (name, "briefing")  # briefing is the default


@pytest.mark.parametrize("kind", ["paper", "issue", "publication"])
def test_schemas_are_those_of_the_schema_command(run: Run, pub: Path, kind: str) -> None:
    written = (pub / f"schemas/{kind}.schema.json").read_text(encoding="utf-8")
    assert written == run("schema", kind).stdout
    assert json.loads(written)["$id"].endswith(f":{kind}.schema.json")  # absolute: a URN


def test_workflow_runs_check_with_github_annotations(pub: Path) -> None:
    workflow = load_yaml(pub / WORKFLOW)
    # YAML 1.1 reads the bare key 'on' as true.
    triggers = workflow.get("on", workflow.get(True))
    assert "pull_request" in triggers and "push" in triggers
    steps = workflow["jobs"]["check"]["steps"]
    checkout = next(step for step in steps if step.get("uses", "").startswith(
        "actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0  # --base needs the history
    install = next(step for step in steps if "pip install" in step.get("run", ""))
    # This project's distribution (PyPI's 'newsletter' is another project), as installed.
    assert install["run"].split()[-1] == running_install().spec
    assert install["run"].split()[-1].startswith(DISTRIBUTION)
    check = next(step for step in steps if "newsletter check" in step.get("run", ""))
    assert "newsletter check --format github" in check["run"]
    assert "--base" in check["run"]
    assert check["env"]["BASE"] == "${{ github.base_ref }}"


def test_workflow_install_spec(run: Run, tmp_path: Path) -> None:
    assert init(run, "--install", "newsletter-composer==0.1.0").exit_code == 0
    steps = load_yaml(tmp_path / "pub" / WORKFLOW)["jobs"]["check"]["steps"]
    assert any(step.get("run") == "python -m pip install newsletter-composer==0.1.0\n"
               for step in steps)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(("base", "expected"), [
    ("main", ["--format", "github", "--base", "origin/main"]),  # a pull request into main
    ("", ["--format", "github"]),                                # a push: no base_ref
])
def test_workflow_passes_base_on_pull_requests_only(pub: Path, base: str,
                                                    expected: list[str]) -> None:
    """Run the step's shell line with 'newsletter' replaced by printing its arguments."""
    step = next(step for step in load_yaml(pub / WORKFLOW)["jobs"]["check"]["steps"]
                if "newsletter check" in step.get("run", ""))
    script = "newsletter() { printf '%s\\n' \"$@\"; }\n" + step["run"]
    done = subprocess.run(["bash", "-c", script], env={"BASE": base, "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["check", *expected]


def test_pre_commit_config_runs_check_on_issue_files(pub: Path) -> None:
    config = load_yaml(pub / PRE_COMMIT)
    [repo] = config["repos"]
    assert repo["repo"] == "local"
    [hook] = repo["hooks"]
    assert hook["id"] == "newsletter-check"
    assert hook["entry"] == "newsletter check"
    assert hook["language"] == "system"
    assert (hook["pass_filenames"], hook["require_serial"]) == (True, True)
    files = re.compile(hook["files"])
    for path in ("issues/001/issue.toml", "issues/001/papers/01-sparse.toml",
                 "newsletter.toml", "templates/weekly/issue.md.j2"):
        assert files.search(path), path
    for path in ("issues/001/notes.md", "schemas/paper.schema.json", "docs/issues/x.md",
                 "site/newsletter.toml", "site/templates/index.html", "newsletter.toml.bak"):
        assert not files.search(path), path


def test_the_repositorys_own_pre_commit_hook(run: Run) -> None:
    hooks = load_yaml(REPO / ".pre-commit-hooks.yaml")
    assert isinstance(hooks, list)
    [hook] = [hook for hook in hooks if hook["id"] == "newsletter-check"]
    assert hook["entry"] == "newsletter check"
    assert hook["pass_filenames"] is True
    assert hook["language"] == "python"
    assert hook["require_serial"] is True
    files = re.compile(hook["files"])
    for path in ("issues/012/issue.toml", "issues/012/papers/01-a.toml",
                 "site/issues/012/papers/01-a.toml", "newsletter.toml", "site/newsletter.toml",
                 "templates/weekly/issue.md.j2", "site/templates/weekly/style.toml"):
        assert files.search(path), path
    for path in ("issues/012/notes.md", "myissues/012/issue.toml", "mynewsletter.toml",
                 "issues/012/issue.toml.bak", "papers/01-a.toml", "newsletter.toml.bak"):
        assert not files.search(path), path


# ---------------------------------------------------------------------------- refusing


def test_init_twice_keeps_every_file_and_says_so(run: Run, pub: Path) -> None:
    (pub / "newsletter.toml").write_text('name = "Edited"\n', encoding="utf-8")
    before = snapshot(pub)
    result = init(run)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == ("kept pub/newsletter.toml (it exists; --force "
                                             "replaces it)")
    assert sum(line.startswith("kept pub/") for line in result.stdout.splitlines()) == len(
        CREATED)
    assert "created" not in result.stdout
    assert snapshot(pub) == before


def test_init_keeps_what_exists_and_makes_the_rest(run: Run, tmp_path: Path) -> None:
    (tmp_path / "pub/.github/workflows").mkdir(parents=True)
    (tmp_path / "pub" / WORKFLOW).write_text("name: ours\n", encoding="utf-8")
    result = init(run)
    assert result.exit_code == 0, result.stderr
    assert f"kept pub/{WORKFLOW} (it exists; --force replaces it)" in result.stdout
    files = snapshot(tmp_path / "pub")
    assert files[WORKFLOW] == b"name: ours\n"
    assert "newsletter.toml" in files and PRE_COMMIT in files


def test_an_init_killed_halfway_completes_when_run_again(run: Run, tmp_path: Path) -> None:
    """What a SIGKILL after the first file leaves: newsletter.toml, and a temp file."""
    (tmp_path / "pub").mkdir()
    (tmp_path / "pub" / "newsletter.toml").write_text('name = "Half"\n', encoding="utf-8")
    (tmp_path / "pub" / ".newsletter.toml.abc123.tmp").write_text("", encoding="utf-8")
    result = init(run)
    assert result.exit_code == 0, result.stderr
    assert "kept pub/newsletter.toml" in result.stdout
    files = snapshot(tmp_path / "pub")
    assert files["newsletter.toml"] == b'name = "Half"\n'
    assert WORKFLOW in files and PRE_COMMIT in files and "schemas/paper.schema.json" in files
    assert run("check", "pub").exit_code == 0


def test_init_force_replaces(run: Run, pub: Path) -> None:
    fresh = snapshot(pub)
    (pub / "newsletter.toml").write_text('name = "Edited"\n', encoding="utf-8")
    (pub / PRE_COMMIT).write_text("repos: []\n", encoding="utf-8")
    result = init(run, "--force")
    assert result.exit_code == 0, result.stderr
    assert snapshot(pub) == fresh


@pytest.mark.parametrize(("args", "message"), [
    (["--style", "weekly"], "--name is required"),
    (["--name", NAME, "--style", "bogus"], "unknown style 'bogus'"),
    (["--name", "   "], "--name is required"),
])
def test_init_usage_errors_create_nothing(run: Run, tmp_path: Path, args: list[str],
                                          message: str) -> None:
    result = run("init", "pub", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "pub").exists()


def test_run_again_it_needs_no_name_and_suggests_no_issue_that_exists(
        run: Run, pub: Path) -> None:
    (pub / "schemas" / "paper.schema.json").unlink()  # as an interrupted init leaves it
    run("new-issue", "pub/issues/001", "--number", "1")
    again = run("init", "pub", "--style", "weekly")
    assert again.exit_code == 0, again.stderr
    assert "created pub/schemas/paper.schema.json" in again.lines
    assert tomllib.loads((pub / "newsletter.toml").read_text())["name"] == NAME  # kept
    assert not [line for line in again.lines if line.startswith("next:")]
    # --force would write newsletter.toml anew: that needs the name.
    forced = run("init", "pub", "--force")
    assert forced.exit_code == 2 and "--name is required" in forced.stderr


def test_check_passes_in_a_fresh_publication(run: Run, pub: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(pub)
    assert run("check", "--format", "github").exit_code == 0



# ---------------------------------------------------------------------------- --pages


def test_the_pages_workflow_only_when_asked(run: Run, tmp_path: Path) -> None:
    assert init(run).exit_code == 0
    assert not (tmp_path / "pub" / PAGES).exists()
    result = init(run, "--pages", directory="paged")
    assert result.exit_code == 0, result.stderr
    assert result.lines == [*(f"created paged/{name}" for name in CREATED[:2]),
                            f"created paged/{PAGES}",
                            *(f"created paged/{name}" for name in CREATED[2:]),
                            "next: newsletter new-issue paged/issues/001 --number 1"]
    assert "Settings > Pages > Source: GitHub Actions" in result.stderr
    workflow = load_yaml(tmp_path / "paged" / PAGES)
    assert list(workflow["jobs"]) == ["build", "deploy"]
    assert "newsletter site --base-url \"$BASE_URL\" --output public/" in [
        step.get("run") for step in workflow["jobs"]["build"]["steps"]]


def test_pages_added_to_a_publication_made_without_it(run: Run, pub: Path) -> None:
    """What the README tells an existing publication: init --pages again makes only it."""
    (pub / "newsletter.toml").write_text('name = "Edited"\n', encoding="utf-8")
    before = snapshot(pub)
    result = init(run, "--pages")
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.lines if line.startswith("created")] == [
        f"created pub/{PAGES}"]
    after = snapshot(pub)
    assert after.pop(PAGES) and after == before


def test_the_pages_workflow_is_kept_unless_force(run: Run, pub: Path) -> None:
    assert init(run, "--pages").exit_code == 0
    fresh = (pub / PAGES).read_bytes()
    (pub / PAGES).write_text("name: ours\n", encoding="utf-8")
    result = init(run, "--pages")
    assert f"kept pub/{PAGES} (it exists; --force replaces it)" in result.lines
    assert "Settings > Pages" not in result.stderr  # nothing new to turn on
    assert (pub / PAGES).read_text(encoding="utf-8") == "name: ours\n"
    assert init(run, "--pages", "--force").exit_code == 0
    assert (pub / PAGES).read_bytes() == fresh


def test_force_does_not_write_the_pages_workflow_through_a_link(run: Run, pub: Path,
                                                               tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.yml"
    elsewhere.write_text("theirs\n", encoding="utf-8")
    (pub / PAGES).symlink_to(elsewhere)
    result = init(run, "--pages", "--force")
    assert result.exit_code == 1
    assert f"pub/{PAGES}: is a symbolic link" in result.stderr
    assert elsewhere.read_text(encoding="utf-8") == "theirs\n"


def test_the_pages_workflow_installs_what_the_check_workflow_installs(run: Run,
                                                                     tmp_path: Path) -> None:
    spec = f"{DISTRIBUTION}>=0.1,<0.2"
    assert init(run, "--pages", "--install", spec).exit_code == 0

    def install(path: str, job: str) -> Any:
        [step] = [step for step in load_yaml(tmp_path / "pub" / path)["jobs"][job]["steps"]
                  if step.get("name") == "Install newsletter"]
        return step

    assert install(PAGES, "build") == install(WORKFLOW, "check")
    assert install(PAGES, "build")["run"] == f"python -m pip install '{spec}'\n"


# ---------------------------------------------------------------------------- the journey

# Flags for add-paper that give each style every field it requires; {n} tells papers apart.
PAPER_FLAGS = {
    "weekly": ["--score", "8.2", "--summary", "Makes long-context serving cheaper.",
               "--finding", "Cuts attention cost by 75%.", "--finding", "Keeps quality.",
               "--finding", "Needs no retraining.", "--finding", "Works at 30B.",
               "--application", "Serve longer contexts.", "--application", "Cut GPU bills.",
               "--application", "Audit sparse stacks."],
    "briefing": ["--headline", "Sparse attention, much cheaper",
                 "--problem", "The indexer of sparse attention runs at every layer.",
                 "--solution", "It reuses top-k indices across layers.",
                 "--why", "Cost: 1.82x faster prefill on a 30B model."],
}
# What an editor types into issue.toml: the required fields, and the optional lede.
ISSUE_FIELDS = {"lede": '"This week: attention gets cheaper."',
                "takeaways": '["Sparse attention is ready for production."]',
                "closing": '"Reply with the papers you want us to read next."'}


def fill_issue(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        match = re.fullmatch(r"(?:# )?(\w+) = (?:\"\"|\[\])", line)
        if match and match[1] in ISSUE_FIELDS:
            lines[index] = f"{match[1]} = {ISSUE_FIELDS[match[1]]}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def add_paper(run: Run, issue: str, style: str, number: int) -> Path:
    result = run("add-paper", issue, "--title", f"Sparse Attention, Part {number}",
                 "--url", f"https://arxiv.org/abs/2604.0000{number}", *PAPER_FLAGS[style])
    assert result.exit_code == 0, result.stderr
    [line] = result.lines
    return Path(line.removeprefix("added "))


def journey(run: Run, style: str) -> list[Path]:
    """init, two new-issue and three add-paper runs, then the issue fields filled in."""
    assert init(run, style=style).exit_code == 0
    papers = []
    for number, date in ((1, "2026-04-12"), (2, "2026-04-19")):
        issue = f"pub/issues/00{number}"
        result = run("new-issue", issue, "--number", str(number), "--date", date,
                     "--title", f"Issue {number}")
        assert result.exit_code == 0, result.stderr
        fill_issue(Path(issue) / "issue.toml")
        papers.append(add_paper(run, issue, style, 2 * number - 1))
        if number == 1:
            papers.append(add_paper(run, issue, style, 2))
    return papers


@pytest.mark.parametrize("style", list(PAPER_FLAGS))
def test_a_fresh_publication_with_two_issues_passes_check(run: Run, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          style: str) -> None:
    papers = journey(run, style)
    assert [p.as_posix() for p in papers] == [
        "pub/issues/001/papers/01-sparse-attention-part-1.toml",
        "pub/issues/001/papers/02-sparse-attention-part-2.toml",
        "pub/issues/002/papers/01-sparse-attention-part-3.toml"]
    issue = tomllib.loads((tmp_path / "pub/issues/001/issue.toml").read_text("utf-8"))
    assert issue["lede"] == "This week: attention gets cheaper."
    result = run("check", "pub", "--strict")
    assert (result.exit_code, result.lines) == (
        0, ["All good: 6 files checked, no problems."]), result.stdout
    monkeypatch.chdir(tmp_path / "pub")  # as CI and pre-commit run it
    assert run("check", "--strict", "--format", "github").exit_code == 0
    assert run("check", "issues/002/papers/01-sparse-attention-part-3.toml").exit_code == 0


def line_and_column(path: Path, start: str) -> tuple[int, int]:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(start):
            return number, len(start) + 1
    raise AssertionError(f"no line starting with {start!r} in {path}")


@pytest.mark.parametrize("style", list(PAPER_FLAGS))
def test_a_broken_entry_shows_at_its_line_in_every_format(run: Run, tmp_path: Path,
                                                          style: str) -> None:
    papers = journey(run, style)
    broken = tmp_path / papers[2]
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace('url = "https://', 'url = "ftp://'), encoding="utf-8")
    line, column = line_and_column(broken, "url = ")
    assert line > 1  # below the #:schema and comment lines
    path = papers[2].as_posix()
    message = "url must be an http:// or https:// URL"

    text_result = run("check", "pub")
    assert text_result.exit_code == 1
    assert text_result.lines == [f"{path}:{line}:{column}: error: {message} [invalid-value]",
                                 "Found 1 error in 6 files."]
    assert PROBLEM.match(text_result.lines[0])

    json_result = run("check", "pub", "--format", "json")
    assert json_result.exit_code == 1
    assert json.loads(json_result.stdout) == [{
        "path": path, "line": line, "column": column, "severity": "error",
        "rule": "invalid-value", "message": message}]

    github_result = run("check", "pub", "--format", "github")
    assert github_result.exit_code == 1
    assert github_result.lines == [
        f"::error file={path},line={line},col={column},title=invalid-value::{message}"]

    sarif_result = run("check", "pub", "--format", "sarif")
    assert sarif_result.exit_code == 1
    [found] = json.loads(sarif_result.stdout)["runs"][0]["results"]
    assert (found["ruleId"], found["level"], found["message"]["text"]) == (
        "invalid-value", "error", message)
    url_line = broken.read_text(encoding="utf-8").splitlines()[line - 1]
    assert found["locations"][0]["physicalLocation"] == {  # the region: the whole url value
        "artifactLocation": {"uri": path}, "region": {
            "startLine": line, "startColumn": column, "endLine": line,
            "endColumn": len(url_line) + 1}}
