"""The command line as a whole: help on every command, version, start-up imports."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from newsletter import cli
from newsletter.commands.add_paper import DRAFT_FIELDS, LIST_FLAGS, OTHER_FLAGS, TEXT_FLAGS
from tests.support.cli import Run, modules_after
from tests.support.paths import STYLES

# Every command, read from the app's own table: a new command is covered without editing this.
COMMANDS = sorted(cli.COMMANDS)
LISTED = sorted(name for name in COMMANDS if not cli.command(name).hidden)


def test_the_app_has_commands() -> None:
    """The list the tests below run over was read, not left empty (which passes them all)."""
    assert {"new-issue", "add-paper", "check", "render", "styles"} <= set(COMMANDS)


def examples_in(help_text: str) -> list[str]:
    """The commands of the help's ``Example: ...`` or ``Examples: a  |  b`` paragraph."""
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", help_text)]
    found = [p for p in paragraphs if re.match(r"Examples?: ", p)]
    assert len(found) == 1, f"no single 'Example:' paragraph in:\n{help_text}"
    return [e.strip() for e in found[0].split(":", 1)[1].split(" | ")]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(run: Run, command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0, result.output
    assert result.lines[0].startswith(f"Usage: newsletter {command} "), result.stdout
    assert "Example" in result.stdout
    examples = examples_in(result.stdout)
    assert examples, result.stdout
    for example in examples:  # what the help promises is this command, spelled out
        assert example.startswith(f"newsletter {command}"), (example, result.stdout)


def test_help_lists_every_command(run: Run) -> None:
    result = run("--help")
    assert result.exit_code == 0, result.output
    for command in COMMANDS:
        assert command in result.stdout
    section = result.stdout.split("\nCommands:\n", 1)[1]
    listed = [line.split()[0] for line in section.splitlines() if line.startswith("  ")]
    assert sorted(listed) == LISTED, section


@pytest.mark.parametrize("command", COMMANDS)
def test_the_listed_summary_is_the_command_s_own(command: str) -> None:
    """`newsletter --help` lists each command from cli.COMMANDS, without building it: the
    summary there must be the first paragraph of the help the command itself shows."""
    built = cli.command(command)
    assert built.help is not None
    assert " ".join(built.help.split("\n\n")[0].split()) == cli.COMMANDS[command]


def test_the_top_level_help_builds_no_command() -> None:
    """The point of the lazy table: --help imports no command module (a fifth of start-up)."""
    loaded = modules_after(["--help"])
    assert sorted(m for m in loaded if m.startswith("newsletter.commands.")) == [
        "newsletter.commands.common"]


def test_version(run: Run) -> None:
    from newsletter import __version__

    result = run("--version")
    assert result.stdout.strip() == f"newsletter {__version__}"


def test_styles_lists_each_style_and_its_requirements(run: Run) -> None:
    result = run("styles")
    assert result.exit_code == 0
    for style in STYLES:
        assert f"\n{style}\n" in f"\n{result.stdout}"
    assert "paper requires: title, url, score, summary, key_findings, applications" \
        in result.stdout


def test_every_paper_field_has_an_add_paper_flag() -> None:
    from newsletter.entries.models import Paper

    flagged = {*TEXT_FLAGS, *LIST_FLAGS, *OTHER_FLAGS}
    assert flagged | DRAFT_FIELDS == set(Paper.model_fields)
    assert not flagged & DRAFT_FIELDS
    assert "add-paper" in COMMANDS
    help_text = subprocess.run(
        [sys.executable, "-m", "newsletter", "add-paper", "--help"],
        capture_output=True, text=True, check=True).stdout
    for flag in {**TEXT_FLAGS, **LIST_FLAGS, **OTHER_FLAGS}.values():
        assert flag in help_text, flag


HEAVY = ["pydantic", "jinja2", "markdown_it", "tree_sitter", "tomli_w", "slugify", "rich",
         "toml_rs", "tomli", "nh3", "css_inline", "markupsafe"]


# Typer itself imports pydantic to parse any subcommand's parameters, so only the top-level
# help and version can stay free of it. A clean check needs no template engine, Markdown
# parser (links that are plainly https are not parsed), syntax tree (positions are only
# looked up for problems) or the slow TOML parser (only for errors).
@pytest.mark.parametrize(("argv", "allowed"), [
    (["--help"], set()), (["--version"], set()), (["check", "--help"], {"pydantic"}),
    (["styles"], {"pydantic", "toml_rs"}),
    (["check", "--no-cache", "examples/weekly"], {"pydantic", "toml_rs"}),
])
def test_help_does_not_import_heavy_libraries(argv: list[str], allowed: set[str]) -> None:
    """Start-up cost is decided by imports; keep them inside the commands that need them."""
    loaded = {name.split(".")[0] for name in modules_after(argv)}
    assert not loaded & (set(HEAVY) - allowed), sorted(loaded & set(HEAVY))


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "newsletter", "--version"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("newsletter ")


def test_internal_error_is_one_line_with_exit_70(run: Run, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path) -> None:  # type: ignore[no-untyped-def]
    import newsletter.check.run

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(newsletter.check.run, "find_issue_dirs", explode)
    result = run("check", ".")
    assert result.exit_code == 70
    assert result.stderr.count("\n") == 1
    assert "internal error (RuntimeError: boom)" in result.stderr and "--debug" in result.stderr


@pytest.mark.parametrize(("raised", "printed"), [("KeyboardInterrupt", False),
                                                 ("ValueError", True)])
def test_a_ctrl_c_in_a_weakref_callback_prints_no_traceback(raised: str, printed: bool) -> None:
    """Ctrl-C can land while Python runs a weakref callback (check --jobs's pool shutting
    down), where it cannot propagate: Python would print it as 'Exception ignored in ...'
    with a traceback. The command's hook drops that one kind and keeps every other."""
    probe = ("import sys, weakref\n"
             "from newsletter.__main__ import _unraisable\n"
             "sys.unraisablehook = _unraisable\n"
             "class Thing: pass\n"
             "thing = Thing()\n"
             f"def callback(ref): raise {raised}\n"
             "ref = weakref.ref(thing, callback)\n"
             "del thing\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert ("Traceback" in done.stderr) is printed, done.stderr
