"""Shell completion, driven as the shell drives it: the installed ``newsletter`` command run
with ``_NEWSLETTER_COMPLETE`` set, and, for bash, the real bash sourcing the script that
``--show-completion`` prints or ``--install-completion`` installs, then calling it on a
command line.

Every test runs with HOME in its own scratch folder: nothing here reads or writes the real
one. What is offered is compared with where the CLI takes its values from (the app's
commands, the format registry, the style folders), and each offered value must be one the
command accepts.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsletter.cli import COMMANDS
from newsletter.render.registry import issue_formats
from tests.support.cli import Cli, Result, assert_no_crash
from tests.support.paths import EXAMPLES, STYLES, TEMPLATES
from tests.support.tools import need

COMMAND = Path(sys.executable).with_name("newsletter")
REPORT_FORMATS = ("full", "concise", "json", "github", "sarif")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def child_env(home: Path, **extra: str) -> dict[str, str]:
    """The user's environment, with a scratch HOME and the installed command on PATH."""
    need(COMMAND.is_file(), f"the installed command {COMMAND} (pip install the project)")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("_NEWSLETTER", "COMP_", "_TYPER"))}
    env.update(HOME=str(home), PATH=os.pathsep.join([str(COMMAND.parent), env["PATH"]]))
    env.update(extra)
    return env


def finished(completed: subprocess.CompletedProcess[bytes]) -> Result:
    return Result(completed.returncode, completed.stdout.decode("utf-8"),
                  completed.stderr.decode("utf-8"))


def complete(line: str, *, cwd: Path, home: Path, shell: str = "bash") -> Result:
    """What the shell's completion function asks the command for ``line`` (the cursor at
    its end): bash passes the words and the index of the one being completed, zsh the
    line itself."""
    if shell == "bash":
        words = shlex.split(line)
        extra = {"COMP_WORDS": line, "COMP_CWORD": str(len(words) - (not line.endswith(" ")))}
    else:
        extra = {"_TYPER_COMPLETE_ARGS": line}
    env = child_env(home, _NEWSLETTER_COMPLETE=f"complete_{shell}", **extra)
    return finished(subprocess.run([str(COMMAND)], cwd=cwd, env=env, capture_output=True,
                                   stdin=subprocess.DEVNULL, timeout=60))


def offered(line: str, *, cwd: Path, home: Path) -> list[str]:
    result = complete(line, cwd=cwd, home=home)
    assert_no_crash(result)
    assert result.exit_code == 0 and result.stderr == "", result.output
    return result.stdout.split()


def in_bash(script: str, *, cwd: Path, home: Path) -> Result:
    """``script`` run by a real bash, which is then the parent shell typer detects."""
    bash = shutil.which("bash")
    need(bash is not None, "bash")
    assert bash is not None
    # Not the script's last command: bash would exec it, and then not be its parent.
    return finished(subprocess.run([bash, "--norc", "--noprofile", "-c", f"{script}\nexit $?"],
                                   cwd=cwd, env=child_env(home), capture_output=True,
                                   stdin=subprocess.DEVNULL, timeout=60))


def own_publication(root: Path, newsletter_toml: str = 'name = "Ours"\n') -> Path:
    """A publication with a style of its own ('house'), and style folders whose names a
    shell would read as code or as two words."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "newsletter.toml").write_text(newsletter_toml, encoding="utf-8")
    for name in ("house", "$(touch pwned)", "a;b", "two\nlines", "-rf"):
        shutil.copytree(TEMPLATES / "weekly", root / "templates" / name)
    (root / "issues" / "001").mkdir(parents=True)
    return root


# ------------------------------------------------------------------ what is offered

def test_commands(tmp_path: Path, home: Path) -> None:
    commands = set(COMMANDS)
    assert {"render", "check", "init"} <= commands
    assert set(offered("newsletter ", cwd=tmp_path, home=home)) == commands
    assert offered("newsletter ren", cwd=tmp_path, home=home) == ["render"]
    assert offered("newsletter new", cwd=tmp_path, home=home) == ["new-issue"]


def test_render_formats_come_from_the_registry(tmp_path: Path, home: Path) -> None:
    assert offered("newsletter render --format ", cwd=tmp_path, home=home) == list(
        issue_formats())
    assert offered("newsletter render -f ", cwd=tmp_path, home=home) == list(issue_formats())
    assert offered("newsletter render examples/weekly --format h", cwd=tmp_path,
                   home=home) == [name for name in issue_formats() if name.startswith("h")]


def test_check_formats_are_the_ones_check_accepts(tmp_path: Path, home: Path) -> None:
    formats = offered("newsletter check --format ", cwd=tmp_path, home=home)
    assert formats == list(REPORT_FORMATS)  # 'text', concise's old name, is not offered
    cli = Cli()
    for name in formats:
        result = cli("check", "--format", name, str(EXAMPLES / "weekly"))
        assert result.exit_code == 0, (name, result.output)
    assert cli("check", "--format", "nonsense", str(EXAMPLES / "weekly")).exit_code == 2
    assert offered("newsletter check --color a", cwd=tmp_path, home=home) == ["auto",
                                                                               "always"]


def test_styles_built_in_and_the_publications_own(tmp_path: Path, home: Path) -> None:
    pub = own_publication(tmp_path / "pub")
    ours = sorted([*STYLES, "house"])
    # From inside the publication, and from outside with the issue on the line.
    assert offered("newsletter render --style ", cwd=pub, home=home) == ours
    assert offered("newsletter new-issue issues/002 --style ", cwd=pub / "issues",
                   home=home) == ours
    assert offered("newsletter render pub/issues/001 --style ", cwd=tmp_path,
                   home=home) == ours
    assert offered("newsletter check pub --style h", cwd=tmp_path, home=home) == ["house"]
    # Outside any publication, only the built-in styles; init accepts only those.
    assert offered("newsletter render --style ", cwd=tmp_path, home=home) == list(STYLES)
    assert offered("newsletter init --style ", cwd=pub, home=home) == list(STYLES)


def test_every_offered_style_renders(tmp_path: Path, home: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pub = own_publication(tmp_path / "pub")
    issue = pub / "issues" / "001"
    shutil.rmtree(issue)
    shutil.copytree(EXAMPLES / "weekly", issue)
    (issue / "newsletter.toml").unlink()
    cli = Cli()
    monkeypatch.chdir(pub)
    styles = offered("newsletter render issues/001 --style ", cwd=pub, home=home)
    assert "house" in styles
    for style in styles:
        result = cli("render", "issues/001", "--style", style, "--format", "md")
        assert result.exit_code in (0, 1), (style, result.output)
        assert "unknown style" not in result.output, style


def test_zsh_gets_the_same_values(tmp_path: Path, home: Path) -> None:
    result = complete("newsletter render --format ", cwd=tmp_path, home=home, shell="zsh")
    assert_no_crash(result)
    assert result.stdout.startswith("_arguments '*: :((")
    assert re.findall(r'"([^"]+)"', result.stdout) == list(issue_formats())


# ------------------------------------------------------------------ never in the way

def test_broken_publication_file_completes_silently(tmp_path: Path, home: Path) -> None:
    """Only where newsletter.toml is counts, not what it says."""
    pub = own_publication(tmp_path / "pub", 'name = "unterminated\n[[[\n\x00')
    assert offered("newsletter render --style ", cwd=pub, home=home) == sorted(
        [*STYLES, "house"])


@pytest.mark.parametrize("line", ["newsletter render --style ", "newsletter check --format ",
                                  "newsletter "])
def test_a_vanished_working_directory(tmp_path: Path, home: Path, line: str) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    words = shlex.split(line)
    result = in_bash(
        f"cd {shlex.quote(str(gone))} && rmdir \"$PWD\" && "
        f"_NEWSLETTER_COMPLETE=complete_bash COMP_WORDS={shlex.quote(line)} "
        f"COMP_CWORD={len(words)} newsletter", cwd=tmp_path, home=home)
    assert_no_crash(result)
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize("env", [{}, {"COMP_CWORD": "x", "COMP_WORDS": "newsletter "},
                                 {"COMP_CWORD": "99", "COMP_WORDS": "newsletter \x1b[ '"}])
def test_a_malformed_request_prints_nothing(tmp_path: Path, home: Path,
                                            env: dict[str, str]) -> None:
    """What no shell sends (its completion script always sets both): still no traceback
    or message on the user's prompt, at most suggestions."""
    completed = subprocess.run(
        [str(COMMAND)], cwd=tmp_path, capture_output=True, stdin=subprocess.DEVNULL,
        env=child_env(home, _NEWSLETTER_COMPLETE="complete_bash", **env), timeout=60)
    result = finished(completed)
    assert result.stderr == "" and result.exit_code in (0, 1), result.output
    if "COMP_WORDS" not in env:
        assert result.stdout == ""


def test_version_is_no_suggestion(tmp_path: Path, home: Path) -> None:
    assert "0." not in " ".join(offered("newsletter --version ", cwd=tmp_path, home=home))


# ------------------------------------------------------------------ the scripts

def completion_function(script: str) -> str:
    found = re.search(r"^complete -o default -F (\S+) newsletter$", script, re.M)
    assert found, script
    return found.group(1)


def bash_completes(sourced: Path, line: str, *, cwd: Path, home: Path,
                   script: Path | None = None) -> list[str]:
    """``line`` completed by a real bash that sourced ``sourced`` (the completion
    ``script``, or a .bashrc that sources it): what COMPREPLY holds, as bash shows it."""
    function = completion_function((script or sourced).read_text(encoding="utf-8"))
    words = shlex.split(line) + ([""] if line.endswith(" ") else [])
    array = " ".join(shlex.quote(word) for word in words)
    result = in_bash(
        f"source {shlex.quote(str(sourced))}\n"
        f"COMP_WORDS=({array}); COMP_CWORD={len(words) - 1}\n"
        f"{function} newsletter\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"", cwd=cwd, home=home)
    assert_no_crash(result)
    assert result.exit_code == 0 and result.stderr == "", result.output
    return result.stdout.split()


def test_show_completion_prints_a_bash_script(tmp_path: Path, home: Path) -> None:
    result = in_bash("newsletter --show-completion bash", cwd=tmp_path, home=home)
    assert result.exit_code == 0, result.output
    assert "_NEWSLETTER_COMPLETE=complete_bash" in result.stdout
    script = tmp_path / "newsletter.bash"
    script.write_text(result.stdout, encoding="utf-8")
    assert bash_completes(script, "newsletter render --format ", cwd=tmp_path,
                          home=home) == list(issue_formats())
    assert bash_completes(script, "newsletter che", cwd=tmp_path, home=home) == ["check"]
    assert not any(home.iterdir())  # showing installs nothing


def test_install_completion_writes_into_home(tmp_path: Path, home: Path) -> None:
    for _ in range(2):  # a second install changes nothing
        result = in_bash("newsletter --install-completion", cwd=tmp_path, home=home)
        assert result.exit_code == 0, result.output
        assert f"bash completion installed in {home}" in result.stdout
    rc = (home / ".bashrc").read_text(encoding="utf-8")
    sourced = re.findall(r"^source '([^']+)'$", rc, re.M)
    assert len(sourced) == 1 and Path(sourced[0]).parent.parent == home, rc
    pub = own_publication(tmp_path / "pub")
    assert bash_completes(home / ".bashrc", "newsletter render --style ", cwd=pub,
                          home=home, script=Path(sourced[0])) == sorted([*STYLES, "house"])
    # A real bash read what was offered: the folder named '$(touch pwned)' ran nothing.
    assert not list(tmp_path.rglob("pwned"))


def test_install_that_cannot_write_is_one_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "home-file"
    not_a_folder.write_text("", encoding="utf-8")
    result = in_bash("newsletter --install-completion", cwd=tmp_path, home=not_a_folder)
    assert_no_crash(result)
    assert result.exit_code == 2
    assert re.fullmatch(r"newsletter: error: cannot set up shell completion: .*\n",
                        result.stderr), result.stderr


def test_help_lists_the_options() -> None:
    result = Cli()("--help")
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout
