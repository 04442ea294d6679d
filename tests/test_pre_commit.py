"""pre-commit as its users meet it: real git, real pre-commit, ``git commit`` with the hook
installed, in temporary repositories.

Three ways in: this repository's own hook (``.pre-commit-hooks.yaml``, ``language: python``:
pre-commit clones a repository built from the working tree and pip-installs it into an
environment of its own), the config ``newsletter init`` writes (``repo: local``,
``language: system``: the ``newsletter`` on PATH), and ``pre_commit_yaml("pub")`` for a
publication in a sub-folder of the repository. In each, a good paper passes; a broken
paper, newsletter.toml or template blocks the commit with its ``path:line:col``; and each
problem is printed once, even for a commit pre-commit would split into parallel batches.

Nothing is fetched: pre-commit's home and virtualenv's data are the tests' own, and the
hook's environment gets its dependencies from this test's own environment (PYTHONPATH)
instead of an index, so pip has no index to reach (PIP_NO_INDEX).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsletter.create.precommit import pre_commit_yaml
from tests.support.cli import PROBLEM, Result, Run
from tests.support.paths import REPO, TEMPLATES
from tests.support.publication import issue, one_issue, paper, write
from tests.support.tools import need

GIT = shutil.which("git")
VENV_BIN = Path(sys.executable).parent
CONFIG = ".pre-commit-config.yaml"
# A paper with a quoted score: paper() writes score on line 3, its value at column 9.
BROKEN_SCORE = '"high"'


def _available() -> None:
    need(GIT is not None, "git is not installed")
    try:
        import pre_commit  # noqa: F401
    except ImportError:
        need(False, "pre-commit is not installed: pip install '.[test]'")


@dataclass(frozen=True)
class Commit:
    """What ``git commit`` did with the hook installed."""

    made: bool
    output: str

    @property
    def problems(self) -> list[str]:
        return [line for line in self.output.splitlines() if PROBLEM.match(line)]


@dataclass
class Repository:
    """A git repository whose commits run pre-commit, with a publication at ``folder``."""

    root: Path
    folder: str
    env: dict[str, str]

    @property
    def publication(self) -> Path:
        return self.root / self.folder if self.folder else self.root

    def shown(self, path: Path) -> str:
        """``path`` as the hook prints it: relative to the repository's root."""
        return path.relative_to(self.root).as_posix()

    def git(self, *args: str) -> str:
        assert GIT is not None
        done = subprocess.run([GIT, *args], cwd=self.root, env=self.env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    def head(self) -> str:
        assert GIT is not None
        return subprocess.run([GIT, "rev-parse", "--verify", "--quiet", "HEAD"], cwd=self.root,
                              env=self.env, capture_output=True, text=True).stdout.strip()

    def commit(self, message: str) -> Commit:
        """Stage everything (``git add --all``) and ``git commit``."""
        assert GIT is not None
        self.git("add", "--all")
        before = self.head()
        done = subprocess.run([GIT, "commit", "--quiet", "--message", message],
                              cwd=self.root, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=300)
        made = self.head() != before
        assert made == (done.returncode == 0), done.stdout
        return Commit(made, done.stdout)


def _clean_env(home: Path) -> dict[str, str]:
    """This environment, with git, pre-commit and virtualenv kept to ``home``: no user or
    system git config (hooksPath, signing), no shared pre-commit cache, no update checks."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("GIT_", "PRE_COMMIT", "VIRTUALENV_"))}
    gitconfig = home / "gitconfig"
    gitconfig.touch()
    env.update(GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1",
               PRE_COMMIT_HOME=str(home / "pre-commit"),
               VIRTUALENV_OVERRIDE_APP_DATA=str(home / "virtualenv"),
               VIRTUALENV_NO_PERIODIC_UPDATE="1", PRE_COMMIT_COLOR="never")
    return env


def _path_without_venv() -> str:
    return os.pathsep.join(folder for folder in os.environ.get("PATH", "").split(os.pathsep)
                           if folder and Path(folder) != VENV_BIN)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One pre-commit home for the module: the hook's environment is installed once."""
    _available()
    return tmp_path_factory.mktemp("home")


def _tree_as_repository(target: Path, env: dict[str, str]) -> str:
    """This checkout's working tree (tracked and new files, as they are now, not as last
    committed) as one commit of a new repository: its revision."""
    assert GIT is not None
    need((REPO / ".git").exists(), f"{REPO} is not a git checkout: the hook's repository is "
         "made of its git ls-files")
    listed = subprocess.run([GIT, "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO, env=env, capture_output=True,
                            check=True).stdout
    for name in filter(None, os.fsdecode(listed).split("\0")):
        source = REPO / name
        if source.is_file() and not source.is_symlink():  # a deleted file is listed too
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    repo = Repository(target, "", env)
    repo.git("init", "--quiet")
    repo.git("config", "user.name", "Hook Author")
    repo.git("config", "user.email", "hooks@example.com")
    repo.git("add", "--all")
    repo.git("commit", "--quiet", "--no-verify", "--message", "the working tree")
    return repo.head()


def _dependencies_only(target: Path) -> Path:
    """A folder with this environment's packages except this project (and pip's own):
    on PYTHONPATH, pip sees the hook's dependencies installed and fetches none, while the
    hook's ``newsletter`` is the one pre-commit installed."""
    target.mkdir()
    site = {Path(sysconfig.get_paths()[kind]) for kind in ("purelib", "platlib")}
    left_out = ("newsletter", "_editable_impl_", "__editable__", "pip", "setuptools",
                "pkg_resources", "_distutils_hack", "distutils-precedence")
    for folder in site:
        for entry in folder.iterdir():
            if entry.suffix != ".pth" and not entry.name.startswith(left_out) and not (
                    target / entry.name).exists():
                (target / entry.name).symlink_to(entry)
    return target


@pytest.fixture(scope="module")
def hook_config(home: Path) -> tuple[str, dict[str, str]]:
    """A config using this repository's hook by revision, and the environment in which
    pre-commit installs it (done here, once: ``pre-commit install-hooks``, timed)."""
    try:
        import hatchling  # noqa: F401
    except ImportError:
        need(False, "hatchling, this project's build backend, is not installed (pre-commit "
                    "builds the hook with it, offline): pip install '.[test]'")
    env = _clean_env(home)
    source = home / "hook-repository"
    revision = _tree_as_repository(source, env)
    env.update(PYTHONPATH=str(_dependencies_only(home / "dependencies")), PIP_NO_INDEX="1",
               # pip reads a "no-" option's variable inverted: "0" turns isolation off, so
               # the build uses hatchling from PYTHONPATH instead of fetching it.
               PIP_NO_BUILD_ISOLATION="0",
               # Only the hook's own environment can answer to 'newsletter'.
               PATH=_path_without_venv())
    config = (f"repos:\n  - repo: {source}\n    rev: {revision}\n"
              "    hooks:\n      - id: newsletter-check\n")
    scratch = home / "install"
    scratch.mkdir()
    Repository(scratch, "", env).git("init", "--quiet")
    (scratch / CONFIG).write_text(config, encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pre_commit", "install-hooks"], cwd=scratch,
                          env=env, capture_output=True, text=True, timeout=600)
    took = time.monotonic() - started
    log = Path(env["PRE_COMMIT_HOME"]) / "pre-commit.log"
    assert done.returncode == 0, (done.stdout + done.stderr + (
        log.read_text(encoding="utf-8")[-4000:] if log.is_file() else ""))
    print(f"pre-commit installed the hook's environment in {took:.1f} s")
    return config, env


def _new_repository(root: Path, folder: str, env: dict[str, str], run: Run,
                    config: str | None) -> Repository:
    """A repository with a fresh ``newsletter init`` publication at ``folder`` and one
    good issue, committed; then the config (``config``, or what init wrote, or
    ``pre_commit_yaml(folder)``) and ``pre-commit install``."""
    root.mkdir()
    repo = Repository(root, folder, env)
    repo.git("init", "--quiet")
    repo.git("config", "user.name", "Editor")
    repo.git("config", "user.email", "editor@example.com")
    result = run("init", str(repo.publication), "--name", "AI Research Weekly",
                 "--style", "weekly")
    assert result.exit_code == 0, result.output
    issue(repo.publication / "issues/001", 1, "2026-04-19",
          papers={"01-paper.toml": paper()})
    if config is None and folder:
        (repo.publication / CONFIG).unlink(missing_ok=True)
        config = pre_commit_yaml(folder)
    if config is not None:
        (root / CONFIG).write_text(config, encoding="utf-8")
    assert (root / CONFIG).is_file()
    repo.git("add", "--all")
    repo.git("commit", "--quiet", "--no-verify", "--message", "a publication")
    done = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return repo


WAYS = {
    "the repository's hook": ("", "hook"),
    "init's config": ("", "init"),
    "init's config in a sub-folder": ("pub", "init"),
}


@pytest.fixture(params=list(WAYS))
def repo(request: pytest.FixtureRequest, home: Path, tmp_path: Path, run: Run) -> Repository:
    folder, kind = WAYS[request.param]
    if kind == "hook":
        config, env = request.getfixturevalue("hook_config")
        return _new_repository(tmp_path / "repo", folder, env, run, config)
    env = _clean_env(home)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])  # 'newsletter'
    return _new_repository(tmp_path / "repo", folder, env, run, None)


def _edit_line(path: Path, starts: str, replacement: str) -> int:
    """Replace the line starting with ``starts``; its 1-based number."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if line.startswith(starts))
    lines[number] = replacement + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return number + 1


def _one_problem(commit: Commit, where: str, rule: str) -> None:
    assert not commit.made, f"the commit went through:\n{commit.output}"
    assert commit.problems == [line for line in commit.problems if line.startswith(where)]
    matching = [line for line in commit.problems if line.startswith(f"{where}: error: ")]
    assert len(matching) == 1 and matching[0].endswith(f"[{rule}]"), (
        f"expected {where}: error: ... [{rule}] once:\n{commit.output}")


def test_a_good_paper_passes_and_a_broken_one_blocks_the_commit(repo: Repository) -> None:
    papers = repo.publication / "issues/001/papers"
    write(papers / "02-paper.toml", paper(title='"Dense Retrieval Revisited"',
                                          url='"https://arxiv.org/abs/2604.05678"'))
    good = repo.commit("a second paper")
    assert good.made, good.output
    assert re.search(r"^newsletter check\.+Passed$", good.output, re.MULTILINE), good.output

    write(papers / "03-paper.toml", paper(title='"Quoted Scores"', score=BROKEN_SCORE,
                                          url='"https://arxiv.org/abs/2604.09999"'))
    broken = repo.commit("a broken paper")
    _one_problem(broken, f"{repo.shown(papers / '03-paper.toml')}:3:9", "wrong-type")
    assert re.search(r"^newsletter check\.+Failed$", broken.output, re.MULTILINE)


def test_a_broken_publication_file_blocks_the_commit(repo: Repository) -> None:
    """newsletter.toml alone is staged: the hook runs, on the whole publication."""
    path = repo.publication / "newsletter.toml"
    line = _edit_line(path, "name = ", "name = 5")
    _one_problem(repo.commit("a broken publication file"), f"{repo.shown(path)}:{line}:8",
                 "wrong-type")


def test_a_broken_template_of_the_publication_blocks_the_commit(repo: Repository) -> None:
    own = repo.publication / "templates/weekly"
    shutil.copytree(TEMPLATES / "weekly", own)
    with (own / "issue.j2").open("a", encoding="utf-8") as template:
        template.write("{% if %}\n")
    line = len((own / "issue.j2").read_text(encoding="utf-8").splitlines())
    _one_problem(repo.commit("a broken template"), f"{repo.shown(own / 'issue.j2')}:{line}:1",
                 "template-error")


def test_each_error_is_printed_once_in_a_large_commit(repo: Repository) -> None:
    """40 papers and a broken newsletter.toml: parallel batches (pre-commit's default for a
    hook without require_serial) would each check the issue and print its problems again."""
    papers = repo.publication / "issues/002/papers"
    issue(papers.parent, 2, "2026-04-26")
    for number in range(1, 41):
        score = BROKEN_SCORE if number == 17 else "8.2"
        write(papers / f"{number:02d}-paper.toml", paper(
            title=f'"Paper Number {number}"', url=f'"https://arxiv.org/abs/2604.{number:05d}"',
            score=score))
    path = repo.publication / "newsletter.toml"
    line = _edit_line(path, "name = ", "name = 5")
    commit = repo.commit("forty papers")
    assert not commit.made, commit.output
    assert sorted(commit.problems) == sorted(set(commit.problems)), commit.output
    for where in (f"{repo.shown(papers / '17-paper.toml')}:3:9", f"{repo.shown(path)}:{line}:8"):
        assert len([p for p in commit.problems if p.startswith(f"{where}: error: ")]) == 1, (
            f"{where} not reported exactly once:\n{commit.output}")


def test_files_of_other_tools_are_left_alone(repo: Repository) -> None:
    """A web app's templates/ and TOML beside the publication are not the hook's."""
    write(repo.root / "site/templates/index.html", "<p>{{ broken\n")
    write(repo.root / "site/pyproject.toml", "[project\n")
    commit = repo.commit("the site")
    assert commit.made, commit.output


@pytest.fixture
def nasty_repo(home: Path, tmp_path: Path, run: Run) -> Iterator[Callable[[str], Repository]]:
    env = _clean_env(home)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    yield lambda folder: _new_repository(tmp_path / "repo", folder, env, run, None)


def test_a_folder_name_full_of_regex_and_yaml_is_matched_literally(
        nasty_repo: Callable[[str], Repository]) -> None:
    """The folder is regex-escaped and YAML-quoted: its own files run the hook, a sibling
    its unescaped pattern would match does not."""
    repo = nasty_repo("it's \"ours\" (v2.0) #1")
    # What the folder's name matches as an unescaped pattern: "(v2.0)" is a group, "." any.
    sibling = repo.root / "it's \"ours\" v2x0 #1"
    write(sibling / "newsletter.toml", "name = 5\n")
    assert repo.commit("a sibling the hook does not check").made
    path = repo.publication / "issues/001/papers/01-paper.toml"
    _edit_line(path, "score = ", f"score = {BROKEN_SCORE}")
    _one_problem(repo.commit("a broken paper"), f"{repo.shown(path)}:3:9", "wrong-type")


# ------------------------------------------------ the config's files pattern, any folder name

FOLDER_NAMES = ["", "pub", "pub/", "a/b/c", "a.b", "my pub (v2.0) $HOME", "it's \"q\"",
                "back\\slash", "new\nline", "tab\t#x: y", "ünï/😀", "[x]{y}*?+|^", "---",
                "&a !t %p @ `c` {x: [y]}", "\x7f\x85\u2028\ufeff"]


@pytest.mark.parametrize("folder", FOLDER_NAMES)
def test_the_config_for_any_folder_is_valid_and_runs_on_that_folder_only(
        folder: str, tmp_path: Path) -> None:
    """pre-commit's own loader accepts the file, and its own filter picks the
    publication's files, nothing beside them."""
    _available()
    from pre_commit.clientlib import load_config
    from pre_commit.commands.run import filter_by_include_exclude

    path = tmp_path / CONFIG
    path.write_text(pre_commit_yaml(folder), encoding="utf-8")
    [hook] = load_config(str(path))["repos"][0]["hooks"]
    assert (hook["pass_filenames"], hook["require_serial"]) == (True, True)
    at = folder.strip("/") + "/" if folder.strip("/") else ""
    own = [at + name for name in ("newsletter.toml", "issues/001/issue.toml",
                                  "issues/001/papers/01-a.toml", "templates/weekly/issue.j2")]
    others = [at + name for name in ("newsletter.toml.bak", "issues/001/notes.md",
                                     "schemas/paper.schema.json", "site/newsletter.toml")]
    others += ["x" + own[0], "x/" + own[0]] + ([own[0][len(at):]] if at else [])
    assert list(filter_by_include_exclude(own + others, hook["files"], "^$")) == own


# ------------------------------------------ check given the file names pre-commit passes


def _problems(result: Result) -> list[str]:
    return [line.split(": error: ")[0] for line in result.stdout.splitlines()
            if PROBLEM.match(line)]


@pytest.fixture
def two_issues(tmp_path: Path) -> Path:
    """A publication with issues 001 (clean) and 002 (score of its 02 paper quoted)."""
    one_issue(tmp_path, paper())
    issue(tmp_path / "issues/002", 2, "2026-04-26", papers={
        "01-paper.toml": paper(title='"Two"', url='"https://arxiv.org/abs/2604.00002"'),
        "02-paper.toml": paper(title='"Three"', url='"https://arxiv.org/abs/2604.00003"',
                               score=BROKEN_SCORE)})
    write(tmp_path / "templates/weekly/issue.md.j2", "{{ issue.title }}\n")
    return tmp_path


BROKEN = "issues/002/papers/02-paper.toml:3:9"


@pytest.mark.parametrize("named", ["newsletter.toml", "templates/weekly/issue.md.j2"])
def test_check_of_the_publication_file_or_a_template_checks_every_issue(
        run: Run, two_issues: Path, named: str) -> None:
    result = run("check", "--format", "concise", named)
    assert (result.exit_code, _problems(result)) == (1, [BROKEN]), result.output
    assert result.stderr == ""


def test_check_of_a_deleted_paper_checks_its_issue(run: Run, two_issues: Path) -> None:
    result = run("check", "--format", "concise", "issues/002/papers/03-gone.toml")
    assert (result.exit_code, _problems(result)) == (1, [BROKEN]), result.output
    assert result.stderr.splitlines() == ["newsletter: note: issues/002/papers/03-gone.toml: "
                                          "no such file (deleted?): checked its issue, "
                                          "issues/002"]


def test_check_of_a_deleted_issue_checks_its_publication(run: Run, two_issues: Path) -> None:
    shutil.rmtree(two_issues / "issues/001")
    result = run("check", "--format", "concise", "issues/001/papers/01-paper.toml",
                 "issues/001/issue.toml")
    assert (result.exit_code, _problems(result)) == (1, [BROKEN]), result.output
    assert [line.rsplit(": ", 1)[1] for line in result.stderr.splitlines()] == [
        "checked its publication, ."] * 2


def test_check_of_a_template_outside_any_publication_checks_nothing(
        run: Run, two_issues: Path) -> None:
    write(two_issues / "site/templates/index.html", "<p>\n")
    result = run("check", "site/templates/index.html")
    assert result.exit_code == 0, result.output
    assert "site/templates/index.html: not in the templates/ of a publication" in result.stderr


def test_check_of_a_mix_checks_each_publication_once(run: Run, tmp_path: Path) -> None:
    """Files of two publications, one with no issue yet: each problem once."""
    one_issue(tmp_path / "a", paper(score=BROKEN_SCORE), paper(
        title='"Two"', url='"https://arxiv.org/abs/2604.00002"'))
    write(tmp_path / "a/templates/weekly/issue.md.j2", "{{ issue.title }}\n")
    write(tmp_path / "b/newsletter.toml", "name = 5\n")
    result = run("check", "--format", "concise", "a/issues/001/papers/02-paper.toml",
                 "a/newsletter.toml", "b/newsletter.toml", "a/issues/001/papers/01-paper.toml",
                 "a/templates/weekly/issue.md.j2", "a/issues/001/papers/09-deleted.toml",
                 "a/issues/001/issue.toml")
    assert _problems(result) == ["a/issues/001/papers/01-paper.toml:3:9",
                                 "b/newsletter.toml:1:8"], result.output
    assert result.stdout.splitlines()[-1] == "Found 2 errors in 5 files."


def test_check_of_a_missing_folder_is_still_a_usage_error(run: Run, two_issues: Path) -> None:
    result = run("check", "issues/404")
    assert (result.exit_code, result.stderr) == (
        2, "newsletter: error: issues/404: no such file or directory\n")


def test_a_hostile_name_is_noted_on_one_line_without_its_escapes(
        run: Run, two_issues: Path) -> None:
    result = run("check", "issues/002/papers/\x1b[2J\n01.toml")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == ["newsletter: note: issues/002/papers/\\x1b[2J\\n01.toml: "
                                          "no such file (deleted?): checked its issue, "
                                          "issues/002"]
