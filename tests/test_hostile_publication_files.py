"""Files and names of a publication that a pull request controls, where init, styles and
check's plain output meet them: links out of the publication, escapes, workflow commands."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
import tomli_w

from tests.support.cli import Run, one_line_error
from tests.support.paths import EXAMPLES, TEMPLATES


def test_init_refuses_a_folder_of_the_publication_that_is_a_link(run: Run,
                                                                 tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    pub = tmp_path / "pub"
    pub.mkdir()
    (pub / "schemas").symlink_to(outside)
    result = run("init", str(pub), "--name", "X")
    assert result.exit_code == 1
    assert "schemas: is a symbolic link" in one_line_error(result)
    assert list(outside.iterdir()) == []
    assert not (pub / "newsletter.toml").exists()  # refused before anything is written


def test_init_force_does_not_replace_a_file_a_link_leads_to(run: Run, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    pub = tmp_path / "pub"
    pub.mkdir()
    (pub / ".taplo.toml").symlink_to(victim)
    kept = run("init", str(pub), "--name", "X")  # without --force a link is kept as it is
    assert kept.exit_code == 0, kept.output
    assert ".taplo.toml (it exists" in kept.stdout
    forced = run("init", str(pub), "--name", "X", "--force")
    assert forced.exit_code == 1
    assert ".taplo.toml: is a symbolic link" in one_line_error(forced)
    assert victim.read_text() == "precious\n"


def test_init_shows_a_hostile_folder_name_escaped(run: Run, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("init", "x\x1b]0;HACKED\x07y", "--name", "X")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "created x\\x1b]0;HACKED\\x07y/newsletter.toml" in result.stdout


def _with_description(spec: str, description: str) -> str:
    data = tomllib.loads(spec)
    data["description"] = description
    return tomli_w.dumps(data)


def _own_style(publication: Path, name: str) -> Path:
    folder = publication / "templates" / name
    shutil.copytree(TEMPLATES / "weekly", folder)
    return folder


def test_styles_piped_shows_a_style_s_escapes_escaped(run: Run, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    publication = tmp_path / "pub"
    shutil.copytree(EXAMPLES / "weekly", publication)
    folder = _own_style(publication, "red\x1b[31m")
    spec = folder / "style.toml"
    spec.write_text(_with_description(spec.read_text(), "\x1b]0;HACKED\x07 evil"))
    monkeypatch.chdir(publication)
    result = run("styles")
    assert result.exit_code == 0, result.output
    assert "red\\x1b[31m (from templates/red\\x1b[31m/)" in result.stdout
    assert "\\x1b]0;HACKED\\x07 evil" in result.stdout
    assert "\x1b" not in result.output and "\x07" not in result.output, result.output


def test_a_style_spec_linked_from_outside_is_refused(run: Run, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret.toml"
    secret.write_text(_with_description((TEMPLATES / "weekly" / "style.toml").read_text(),
                                        "SECRET_TOKEN=abc123"))
    publication = tmp_path / "pub"
    shutil.copytree(EXAMPLES / "weekly", publication)
    folder = _own_style(publication, "evil")
    (folder / "style.toml").unlink()
    (folder / "style.toml").symlink_to(secret)
    monkeypatch.chdir(publication)
    result = run("styles")
    assert "SECRET_TOKEN" not in result.output
    assert result.exit_code != 0
    assert "style.toml: is a link that leads outside" in one_line_error(result)


def test_a_templates_folder_linked_from_outside_is_refused(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    _own_style(elsewhere.parent / "holder", "evil")
    (tmp_path / "holder" / "templates").rename(elsewhere)
    spec = elsewhere / "evil" / "style.toml"
    spec.write_text(_with_description(spec.read_text(), "SECRET_TOKEN=from-elsewhere"))
    publication = tmp_path / "pub"
    shutil.copytree(EXAMPLES / "weekly", publication)
    (publication / "templates").symlink_to(elsewhere)
    monkeypatch.chdir(publication)
    result = run("styles")
    assert "SECRET_TOKEN" not in result.output


def test_a_path_that_starts_like_a_workflow_command_is_not_one(
        run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain `check` in an Actions log: a line starting '::error ...::' would be a command."""
    issue = tmp_path / "::error title=forged::x"
    shutil.copytree(EXAMPLES / "weekly", issue)
    paper = next((issue / "papers").glob("*.toml"))
    paper.write_text(paper.read_text().replace("score = ", "score = 99 #", 1))
    monkeypatch.chdir(tmp_path)
    result = run("check", "--format", "concise", "::error title=forged::x")
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if line]
    assert lines and all(not line.startswith("::") for line in lines), lines
    assert any(line.startswith("./::error title=forged::x/papers/") for line in lines), lines
