"""`newsletter schema paper|issue|publication`: JSON Schema for editors, generated from the
models; every bundled example validates against it, and files written by ``new-issue`` and
``add-paper`` point at it with a ``#:schema`` line.

Validation tests need the ``jsonschema`` package and skip without it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from newsletter.check.rules import RULES
from newsletter.entries.models import MODELS
from tests.support.cli import Run
from tests.support.paths import EXAMPLES, STYLES, TEMPLATES

KINDS = ("paper", "issue", "publication")


def schema(run: Run, kind: str) -> dict[str, Any]:
    result = run("schema", kind)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("}\n")
    loaded = json.loads(result.stdout)
    assert isinstance(loaded, dict)
    return loaded


def objects(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sub-schema with 'properties', with a JSON pointer to it."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield where, node
        for key, value in node.items():
            yield from objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from objects(value, f"{where}/{index}")


def as_editors_see_it(value: Any) -> Any:
    """TOML data as JSON: dates become ISO strings, as Taplo and other editors do."""
    if isinstance(value, dict):
        return {key: as_editors_see_it(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_editors_see_it(item) for item in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return value


def read(path: Path) -> Any:
    return as_editors_see_it(tomllib.loads(path.read_text(encoding="utf-8")))


def validator(run: Run, kind: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    loaded = schema(run, kind)
    jsonschema.Draft202012Validator.check_schema(loaded)
    return jsonschema.Draft202012Validator(loaded,
                                           format_checker=jsonschema.FormatChecker())


# ---------------------------------------------------------------------------- the schemas


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_json_schema_of_the_model(run: Run, kind: str) -> None:
    loaded = schema(run, kind)
    assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    # Absolute, as Taplo (Even Better TOML) needs: it refuses a relative $id outright.
    parts = urlsplit(loaded["$id"])
    assert parts.scheme and not parts.fragment, loaded["$id"]
    assert loaded["$id"].endswith(f"{kind}.schema.json")
    assert loaded["type"] == "object"
    assert loaded["additionalProperties"] is False  # unknown keys are errors
    assert loaded["description"]
    assert set(loaded["properties"]) == set(MODELS[kind].model_fields)


@pytest.mark.parametrize("kind", KINDS)
def test_every_property_has_a_description(run: Run, kind: str) -> None:
    loaded = schema(run, kind)
    seen = 0
    for where, node in objects(loaded):
        for name, prop in node["properties"].items():
            seen += 1
            assert isinstance(prop.get("description"), str) and prop["description"].strip(), (
                f"{kind}: {where}/properties/{name} has no description")
    assert seen >= len(MODELS[kind].model_fields)


@pytest.mark.parametrize(("kind", "required"), [
    ("paper", {"title"}), ("issue", {"number", "date"}), ("publication", {"name"})])
def test_required_keys(run: Run, kind: str, required: set[str]) -> None:
    assert set(schema(run, kind)["required"]) == required


def test_each_kind_has_its_own_id(run: Run) -> None:
    assert len({schema(run, kind)["$id"] for kind in KINDS}) == len(KINDS)


def test_schema_without_a_kind_is_the_paper_schema(run: Run) -> None:
    assert run("schema").stdout == run("schema", "paper").stdout


def test_an_unknown_kind_is_a_usage_error(run: Run) -> None:
    result = run("schema", "bogus")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("newsletter: error: kind must be one of paper, issue, publication, "
                             "not 'bogus'\n")


# ---------------------------------------------------------------------------- validation


def entry_files(style: str) -> list[tuple[str, Path]]:
    folder = EXAMPLES / style
    return [("publication", folder / "newsletter.toml"), ("issue", folder / "issue.toml"),
            *(("paper", path) for path in sorted((folder / "papers").glob("*.toml")))]


@pytest.mark.parametrize("style", STYLES)
def test_every_example_file_validates(run: Run, style: str) -> None:
    validators = {kind: validator(run, kind) for kind in KINDS}
    files = entry_files(style)
    assert len(files) > 3
    for kind, path in files:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                  for e in validators[kind].iter_errors(read(path))]
        assert errors == [], f"{path.relative_to(EXAMPLES)} against {kind}.schema.json"


def example_paper() -> dict[str, Any]:
    return read(EXAMPLES / "weekly/papers/01-int4-quantization-collapse.toml")


@pytest.mark.parametrize(("change", "where"), [
    ({"score": "8"}, "score"),                  # a quoted number
    ({"score": 11}, "score"),                   # out of range
    ({"score": -0.5}, "score"),
    ({"sumary": "typo"}, ""),                   # unknown key
    ({"key_findings": "one finding"}, "key_findings"),
    ({"hidden_gem": "yes"}, "hidden_gem"),
    ({"why_it_matters": [{"text": "No points"}]}, "why_it_matters/0"),
])
def test_a_broken_paper_is_rejected(run: Run, change: dict[str, Any], where: str) -> None:
    check = validator(run, "paper")
    assert list(check.iter_errors(example_paper())) == []
    errors = list(check.iter_errors({**example_paper(), **change}))
    assert errors, f"{change} was accepted"
    assert {"/".join(map(str, e.absolute_path)) for e in errors} == {where}


@pytest.mark.parametrize("change", [
    {"number": 0}, {"number": "3"}, {"date": "19 April 2026"}, {"status": "sent"},
    {"sections": [{"intro": "No title"}]}, {"colour": "red"}, {"style": "weekley"},
])
def test_a_broken_issue_is_rejected(run: Run, change: dict[str, Any]) -> None:
    issue = read(EXAMPLES / "pulse/issue.toml")
    check = validator(run, "issue")
    assert list(check.iter_errors(issue)) == []
    assert list(check.iter_errors({**issue, **change})), f"{change} was accepted"


@pytest.mark.parametrize("change", [
    {"check": {"rules": {"covered-before": "fatal"}}},
    {"check": {"counts": {"key_findings": [3]}}},
    {"check": {"budgets": {"summary_words": 0}}},
    {"check": {"rules": {"covered-befor": "error"}}},   # a misspelt rule id
    {"check": {"rules": {"toml-syntax": "off"}}},       # a rule that is not configurable
    {"check": {"budgets": {"sumary_words": 100}}},
    {"check": {"counts": {"key_findngs": [4, 5]}}},
    {"name": 3}, {"style": "weekley"},
])
def test_a_broken_publication_is_rejected(run: Run, change: dict[str, Any]) -> None:
    publication = read(EXAMPLES / "weekly/newsletter.toml")
    check = validator(run, "publication")
    assert list(check.iter_errors(publication)) == []
    assert list(check.iter_errors({**publication, **change})), f"{change} was accepted"


@pytest.mark.parametrize("change", [
    {"url": "ftp://example.com/paper.pdf"}, {"title": ""}, {"title": "Two\nlines"}])
def test_the_schema_rejects_what_check_rejects(run: Run, tmp_path: Path,
                                               change: dict[str, Any]) -> None:
    import tomli_w

    paper = {**example_paper(), **change}
    issue = tmp_path / "issue"
    (issue / "papers").mkdir(parents=True)
    (issue / "issue.toml").write_text('style = "weekly"\nnumber = 1\ndate = 2026-04-19\n',
                                      encoding="utf-8")
    (issue / "newsletter.toml").write_text('name = "W"\n', encoding="utf-8")
    (issue / "papers/01-p.toml").write_text(tomli_w.dumps(paper), encoding="utf-8")
    assert run("check", "issue").exit_code == 1  # check rejects it ...
    assert list(validator(run, "paper").iter_errors(paper))  # ... and so should the schema


# ---------------------------------------------------------------------------- styles and rules

CONFIGURABLE = sorted(rule_id for rule_id, rule in RULES.items() if rule.configurable)


def check_settings(loaded: dict[str, Any]) -> dict[str, Any]:
    ref = loaded["properties"]["check"]["$ref"]
    found: dict[str, Any] = loaded["$defs"][ref.removeprefix("#/$defs/")]["properties"]
    return found


@pytest.mark.parametrize("kind", ["issue", "publication"])
def test_style_is_one_of_the_styles(run: Run, kind: str) -> None:
    assert schema(run, kind)["properties"]["style"]["enum"] == list(STYLES)
    assert "style" not in schema(run, "paper")["properties"]


def write_style(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "style.toml").write_text((TEMPLATES / "weekly/style.toml").read_text(
        encoding="utf-8"), encoding="utf-8")


def test_a_publication_s_own_styles_are_offered(run: Run, tmp_path: Path) -> None:
    (tmp_path / "newsletter.toml").write_text('name = "W"\n', encoding="utf-8")
    write_style(tmp_path / "templates/house")
    write_style(tmp_path / "templates/_shared")  # shared templates, not a style
    (tmp_path / "templates/notes").mkdir()       # no style.toml: not a style
    assert schema(run, "issue")["properties"]["style"]["enum"] == sorted([*STYLES, "house"])
    check = validator(run, "issue")
    issue = read(EXAMPLES / "pulse/issue.toml")
    assert list(check.iter_errors({**issue, "style": "house"})) == []
    assert list(check.iter_errors({**issue, "style": "notes"}))


def test_init_lists_the_styles_of_a_templates_folder_already_there(run: Run,
                                                                  tmp_path: Path) -> None:
    write_style(tmp_path / "pub/templates/house")
    assert run("init", "pub", "--name", "W").exit_code == 0
    for kind in ("issue", "publication"):
        written = json.loads((tmp_path / f"pub/schemas/{kind}.schema.json").read_text(
            encoding="utf-8"))
        assert written["properties"]["style"]["enum"] == sorted([*STYLES, "house"])


def test_a_style_no_entry_can_name_is_left_out(run: Run, tmp_path: Path) -> None:
    """Folder names are the publication's: a terminal escape, a bidi control or bytes that
    are not UTF-8 reach neither the terminal nor the schema file."""
    import os

    (tmp_path / "newsletter.toml").write_text('name = "W"\n', encoding="utf-8")
    for name in ("ev\x1b]0;pwned\x07il", "ev\x9bil", "txt\u202eexe"):
        write_style(tmp_path / "templates" / name)
    os.mkdir(os.path.join(os.fsencode(tmp_path / "templates"), b"ev\x9bil-bytes"))
    with open(os.path.join(os.fsencode(tmp_path / "templates"), b"ev\x9bil-bytes",
                           b"style.toml"), "wb") as spec:
        spec.write((TEMPLATES / "weekly/style.toml").read_bytes())
    result = run("schema", "issue")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["properties"]["style"]["enum"] == list(STYLES)
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e\ufffd]", result.stdout)


def test_check_rules_lists_the_configurable_rules(run: Run) -> None:
    rules = check_settings(schema(run, "publication"))["rules"]
    assert sorted(rules["properties"]) == CONFIGURABLE
    assert rules["additionalProperties"] is False  # a misspelt rule id is an error
    for rule_id, prop in rules["properties"].items():
        assert prop["enum"] == ["error", "warning", "off"]
        assert prop["default"] == RULES[rule_id].severity.value
        assert prop["description"].startswith(RULES[rule_id].summary)


@pytest.mark.parametrize(("settings", "accepted"), [
    ({"rules": {rule_id: "error" for rule_id in CONFIGURABLE}}, True),
    ({"rules": {"covered-before": "off", "placeholder-text": "warning"}}, True),
    ({"rules": {"covered-befor": "error"}}, False),
    ({"rules": {"toml-syntax": "off"}}, False),
    ({"rules": {"covered-before": "fatal"}}, False),
    ({"budgets": {"summary_words": 100, "key_findings_sentences": 3}}, True),
    ({"budgets": {"sumary_words": 100}}, False),
    ({"budgets": {"summary_lines": 100}}, False),
    ({"counts": {"key_findings": [4, 5]}}, True),
    ({"counts": {"key_findngs": [4, 5]}}, False),
])
def test_check_settings_schema_and_check_agree(run: Run, example: Any, settings: dict[str, Any],
                                               accepted: bool) -> None:
    import tomli_w

    folder = example("weekly")
    data = tomllib.loads((folder / "newsletter.toml").read_text(encoding="utf-8"))
    data["check"] = settings
    (folder / "newsletter.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    errors = list(validator(run, "publication").iter_errors(as_editors_see_it(data)))
    assert (errors == []) is accepted, errors
    result = run("check", "weekly")
    assert (result.exit_code == 0) is accepted, result.output


# ---------------------------------------------------------------------------- #:schema lines


def schema_line(path: Path) -> Path:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("#:schema "), f"{path}: first line is {first!r}"
    relative = first.removeprefix("#:schema ")
    assert not Path(relative).is_absolute() and "\\" not in relative
    return (path.parent / relative).resolve()


@pytest.fixture
def pub(run: Run, tmp_path: Path) -> Path:
    assert run("init", "pub", "--name", "AI Research Weekly", "--style", "weekly"
               ).exit_code == 0
    return tmp_path / "pub"


@pytest.mark.parametrize("issue", ["issues/001", "issues/2026/q2/014"])
def test_new_files_point_at_their_schema(run: Run, pub: Path, issue: str) -> None:
    assert run("new-issue", f"pub/{issue}", "--number", "1", "--date", "2026-04-19"
               ).exit_code == 0
    result = run("add-paper", f"pub/{issue}", "--title", "Sparse Attention at Scale",
                 "--url", "https://arxiv.org/abs/2604.01234", "--score", "8.2",
                 "--summary", "Cheaper.", "--finding", "a", "--finding", "b",
                 "--finding", "c", "--finding", "d",
                 "--application", "x", "--application", "y", "--application", "z")
    assert result.exit_code == 0, result.stderr
    paper = Path(result.stdout.split()[-1])
    assert schema_line(pub / issue / "issue.toml") == (pub / "schemas/issue.schema.json"
                                                       ).resolve()
    assert schema_line(paper) == (pub / "schemas/paper.schema.json").resolve()
    assert schema_line(pub / "newsletter.toml") == (pub / "schemas/publication.schema.json"
                                                    ).resolve()


def test_the_schema_line_does_not_depend_on_the_working_directory(
        run: Run, pub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (pub / "issues/001").mkdir()
    monkeypatch.chdir(pub / "issues/001")
    assert run("new-issue", "../002", "--number", "2", "--date", "2026-04-19").exit_code == 0
    assert schema_line(pub / "issues/002/issue.toml") == (pub / "schemas/issue.schema.json"
                                                          ).resolve()


def test_no_schema_line_without_schemas(run: Run, tmp_path: Path) -> None:
    (tmp_path / "newsletter.toml").write_text('name = "W"\nstyle = "weekly"\n',
                                              encoding="utf-8")
    assert run("new-issue", "issues/001", "--number", "1", "--date", "2026-04-19"
               ).exit_code == 0
    text = (tmp_path / "issues/001/issue.toml").read_text(encoding="utf-8")
    assert "#:schema" not in text


def test_files_with_a_schema_line_validate(run: Run, pub: Path) -> None:
    assert run("new-issue", "pub/issues/001", "--number", "1", "--date", "2026-04-19"
               ).exit_code == 0
    assert list(validator(run, "issue").iter_errors(read(pub / "issues/001/issue.toml"))) == []
    assert list(validator(run, "publication").iter_errors(read(pub / "newsletter.toml"))) == []
