"""`newsletter check --format sarif`: a SARIF 2.1.0 log that GitHub code scanning can show.

The log is judged by the real tools: the official SARIF 2.1.0 JSON schema and the SARIF
multitool's validator, with its GitHub rules (npm @microsoft/sarif-multitool, installed by
``npm ci --prefix tools``), over a publication with problems of many kinds in files with
hostile names. Spans are checked against the files' own text, and every rule's help link
against the README it points into.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import pytest

from newsletter import HOMEPAGE
from newsletter.check.rules import RULES
from newsletter.check.sarif import sarif_log
from newsletter.entries.problems import Problem
from tests.support.cli import Result, Run
from tests.support.paths import REPO
from tests.support.publication import one_issue, paper, write
from tests.support.tools import need

MULTITOOL_DIR = REPO / "tools" / "node_modules" / "@microsoft" / "sarif-multitool-linux"
MULTITOOL = MULTITOOL_DIR / "Sarif.Multitool"
SCHEMA = MULTITOOL_DIR / "sarif-2.1.0.json"
INSTALL_HINT = "run `npm ci --prefix tools` and `chmod +x` the multitool, as .ci/run does"

# The multitool's own rules (Sarif) and GitHub's (Gh). Two changes to its defaults: the rule
# that fetches every URI in the log is off (no test touches the network), and the one that
# asks each rule for a name and a help URI is raised from a note to a warning, as the SDK's
# own policy for GitHub does, since GitHub shows both.
MULTITOOL_CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" />
  </Properties>
  <Properties Key="SARIF2012.ProvideRuleProperties.Options">
    <Property Key="RuleEnabled" Value="Warning" />
  </Properties>
</Properties>
"""

# Spaces, '%', '#', '?', brackets, an escape sequence, a newline and non-ASCII: a name a pull
# request may bring, which must reach the log as a valid URI of the same bytes.
HOSTILE_NAME = "02-we ird %20 #?[x]\x1b[31m€\nnew.toml"


def check_sarif(run: Run, *args: str) -> tuple[Result, dict[str, Any]]:
    result = run("check", *args, "--format", "sarif")
    assert "Traceback" not in result.output and "internal error" not in result.output
    return result, json.loads(result.stdout)


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A publication (in the scratch folder ``run`` works in) with errors and warnings of
    several rules, in files named as an attacker would name them."""
    issue = one_issue(tmp_path, paper(score='"8 😀"', **{'"gain%"': "12"}),
                      config='[check.rules]\ncovered-befor = "error"\n')
    (issue / "issue.toml").write_text(
        (issue / "issue.toml").read_text(encoding="utf-8").replace("2026-04-19", "2099-01-01"),
        encoding="utf-8")
    papers = issue / "papers"
    write(papers / HOSTILE_NAME, paper(
        title='"Dense Retrieval, Revisited"', url='"http://arxiv.org/abs/2604.09999"',
        summary='"""Überblick 😀 — TODO: write\nthe rest."""'))
    write(papers / "03-broken.toml", 'title = "unclosed\n')
    (papers / "04-folder.toml").mkdir()
    if sys.platform != "darwin":  # APFS refuses names that are not UTF-8
        fd = os.open(os.fsencode(papers) + b"/05-\xff.toml", os.O_WRONLY | os.O_CREAT, 0o644)
        os.write(fd, b'title = "\xff"\n')  # and not UTF-8 inside either
        os.close(fd)
    return tmp_path


def file_of(result: dict[str, Any]) -> Path:
    """The file a result names, from its URI's bytes (relative to the working directory)."""
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    return Path(os.fsdecode(unquote_to_bytes(uri)))


def region_of(result: dict[str, Any]) -> dict[str, int]:
    return result["locations"][0]["physicalLocation"]["region"]


def by_rule(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["ruleId"]: result for result in log["runs"][0]["results"]}


# ---------------------------------------------------------------------------- schema


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    need(SCHEMA.is_file(), f"{SCHEMA.relative_to(REPO)} is missing: {INSTALL_HINT}")
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def validate(log: dict[str, Any], schema: dict[str, Any]) -> None:
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)  # draft 2020-12, per its $schema
    validator.check_schema(schema)
    errors = sorted(validator(schema).iter_errors(log), key=lambda error: error.json_path)
    assert not errors, "\n".join(f"{error.json_path}: {error.message}" for error in errors)


def test_a_log_of_many_problems_passes_the_official_schema(run: Run, hostile: Path,
                                                           schema: dict[str, Any]) -> None:
    result, log = check_sarif(run, ".")
    assert result.exit_code == 1
    assert {"wrong-type", "unknown-key", "toml-syntax", "file-unreadable", "invalid-value",
            "insecure-link", "placeholder-text", "date-order"} <= set(by_rule(log))
    if sys.platform != "darwin":
        assert "encoding" in by_rule(log)
    validate(log, schema)


def test_a_clean_log_passes_the_official_schema(run: Run, example: Callable[[str], Path],
                                                schema: dict[str, Any]) -> None:
    example("weekly")
    result, log = check_sarif(run, "weekly")
    assert result.exit_code == 0
    assert log["runs"][0]["results"] == []
    assert [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]] == sorted(RULES)
    assert result.stderr == "All good: 17 files checked, no problems.\n"
    validate(log, schema)


def test_the_schema_refuses_what_is_not_sarif(schema: dict[str, Any]) -> None:
    """The schema in use is strict enough to catch a broken log (it is not a stub)."""
    log = json.loads(sarif_log([Problem(Path("x.toml"), 1, 1, "m", "wrong-type")]))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"][
        "startLine"] = 0
    with pytest.raises(AssertionError, match="startLine"):
        validate(log, schema)


# ---------------------------------------------------------------------------- multitool


def multitool(log: str, folder: Path) -> dict[str, Any]:
    """Run ``Sarif.Multitool validate`` over the log, with its own and GitHub's rules, and
    return its output log (the validator's findings, as SARIF)."""
    need(MULTITOOL.is_file() and os.access(MULTITOOL, os.X_OK),
         f"{MULTITOOL.relative_to(REPO)} is missing or not executable: {INSTALL_HINT}")
    folder.mkdir(exist_ok=True)
    target, output, config = folder / "check.sarif", folder / "found.sarif", folder / "cfg.xml"
    target.write_text(log, encoding="utf-8")
    config.write_text(MULTITOOL_CONFIG, encoding="utf-8")
    # The binary itself, not npm's bin.js, which splits the arguments again through a shell.
    completed = subprocess.run(
        [str(MULTITOOL), "validate", str(target), "--output", str(output),
         "--rule-kind", "Sarif;Gh", "--level", "Error;Warning;Note", "--config", str(config),
         "--log", "ForceOverwrite"],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        env={**os.environ, "DOTNET_CLI_TELEMETRY_OPTOUT": "1"})
    assert completed.returncode == 0 and output.is_file(), completed.stdout + completed.stderr
    found = json.loads(output.read_text(encoding="utf-8-sig"))
    [invocation] = found["runs"][0]["invocations"]
    assert invocation["executionSuccessful"], invocation
    assert not invocation.get("toolExecutionNotifications"), invocation
    return found


def findings(found: dict[str, Any], *levels: str) -> list[str]:
    return [f"{result.get('level', 'warning')} {result['ruleId']}: "
            f"{result['message'].get('arguments', result['message'])}"
            for result in found["runs"][0]["results"]
            if result.get("level", "warning") in levels]


def test_the_multitool_and_its_github_rules_find_nothing_wrong(run: Run, hostile: Path) -> None:
    result, _ = check_sarif(run, ".")
    found = multitool(result.stdout, hostile / "validated")
    assert findings(found, "error", "warning") == []
    # It did look: only its notes remain, which no tool that writes plain messages and ids
    # chosen for people (covered-before, not NL1020) can avoid.
    assert {result["ruleId"] for result in found["runs"][0]["results"]} <= {
        "SARIF2002", "SARIF2003", "SARIF2009", "SARIF2010", "SARIF2011"}
    assert "SARIF2009" in {result["ruleId"] for result in found["runs"][0]["results"]}


def test_the_multitool_would_flag_rules_without_their_help(run: Run, hostile: Path) -> None:
    """The check above can fail: the log as it was before rules carried help (issue 12)
    gets GitHub's errors and the raised name/help-URI warnings."""
    _, log = check_sarif(run, ".")
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        for key in ("name", "fullDescription", "help", "helpUri"):
            del rule[key]
    said = findings(multitool(json.dumps(log), hostile / "thin"), "error", "warning")
    assert sum(line.startswith("error GH2012") for line in said) == 2 * len(RULES)
    assert any(line.startswith("warning SARIF2012") for line in said)


# ---------------------------------------------------------------------------- rule help


def test_every_rule_carries_its_help(run: Run, example: Callable[[str], Path]) -> None:
    example("weekly")
    _, log = check_sarif(run, "weekly")
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["informationUri"]) == ("newsletter", HOMEPAGE)
    assert driver["semanticVersion"] == driver["version"]
    names = set()
    for descriptor in driver["rules"]:
        rule = RULES[descriptor["id"]]
        name = descriptor["name"]
        assert re.fullmatch(r"[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+)*", name), name
        assert name.lower() != rule.id.lower() and name not in names
        names.add(name)
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["fullDescription"]["text"] == rule.description
        assert descriptor["defaultConfiguration"]["level"] == rule.severity.value
        assert descriptor["helpUri"] == f"{HOMEPAGE}#rule-{rule.id}"
        text, markdown = descriptor["help"]["text"], descriptor["help"]["markdown"]
        assert rule.description in text and rule.fix in text
        assert f"]({descriptor['helpUri']})" in markdown
        assert (f'`{rule.id} = "off"`' in text) == rule.configurable  # how to turn it off
        assert descriptor["properties"]["tags"] == [rule.kind]


def test_the_help_in_markdown_shows_the_text_as_written() -> None:
    """Markdown help is the text with its `code spans`: a '<field>' or a '*' outside them
    is escaped, not taken for an HTML tag or emphasis (GitHub would drop the tag)."""
    from markdown_it import MarkdownIt

    log = json.loads(sarif_log([]))
    for descriptor in log["runs"][0]["tool"]["driver"]["rules"]:
        rule = RULES[descriptor["id"]]
        rendered = MarkdownIt("commonmark").render(descriptor["help"]["markdown"])
        assert "<em>" not in rendered and "<field>" not in rendered, rendered
        shown = html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace("\n", " ")
        assert rule.description.replace("`", "") in shown, rule.id
        assert rule.fix.replace("`", "") in shown, rule.id


def test_every_help_uri_is_an_anchor_in_the_readme() -> None:
    """helpUri is the project page (PyPI, whose description is README.md) at the rule's
    anchor: an explicit <a id> in the README's rules tables, beside the rule's name. An
    explicit id is kept as written by PyPI's sanitizer, and GitHub scrolls to it too."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["readme"] == "README.md"
    assert f"https://pypi.org/project/{project['name']}/" == HOMEPAGE
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    anchors = re.findall(r'<a id="([^"]+)"></a>', readme)
    assert len(anchors) == len(set(anchors)), "an anchor id is used twice"
    log = json.loads(sarif_log([]))
    for descriptor in log["runs"][0]["tool"]["driver"]["rules"]:
        fragment = urlsplit(descriptor["helpUri"]).fragment
        assert fragment in anchors, f"README.md has no <a id=\"{fragment}\">"
        assert f'<a id="{fragment}"></a>`{descriptor["id"]}`' in readme


# ---------------------------------------------------------------------------- spans


def span(path: Path, needle: str) -> dict[str, int]:
    """Where ``needle`` stands in the file, counted in characters as an editor counts them:
    the region a result on it should have."""
    text = path.read_text(encoding="utf-8")
    start = text.index(needle)
    end = start + len(needle)

    def point(offset: int) -> tuple[int, int]:
        return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)

    (line, column), (end_line, end_column) = point(start), point(end)
    return {"startLine": line, "startColumn": column, "endLine": end_line,
            "endColumn": end_column}


def test_results_span_the_offending_key_or_value(run: Run, hostile: Path) -> None:
    _, log = check_sarif(run, ".")
    assert log["runs"][0]["columnKind"] == "unicodeCodePoints"
    found = by_rule(log)
    papers = Path("issues/001/papers")
    expected = {
        # An emoji is one column: one code point, though two UTF-16 units.
        "wrong-type": (papers / "01-paper.toml", '"8 😀"'),
        "unknown-key": (papers / "01-paper.toml", '"gain%"'),
        "insecure-link": (papers / HOSTILE_NAME, '"http://arxiv.org/abs/2604.09999"'),
        "placeholder-text": (papers / HOSTILE_NAME,
                             '"""Überblick 😀 — TODO: write\nthe rest."""'),  # two lines
        "invalid-value": (Path("newsletter.toml"), "covered-befor"),  # the key, not "error"
        "date-order": (Path("issues/001/issue.toml"), "2099-01-01"),
    }
    for rule, (path, needle) in expected.items():
        assert file_of(found[rule]) == path, rule
        assert region_of(found[rule]) == span(hostile / path, needle), rule
    # Where only a point is known, the region is that point.
    assert region_of(found["toml-syntax"]) == {"startLine": 1, "startColumn": 18}
    assert region_of(found["file-unreadable"]) == {"startLine": 1, "startColumn": 1}


def test_a_cached_check_reports_the_same_spans(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path, paper(score='"8"', url='"http://arxiv.org/abs/2604.01234"'))
    first, _ = check_sarif(run, ".")
    assert (tmp_path / ".newsletter-cache" / "results.json").is_file()
    second, log = check_sarif(run, ".")
    assert second.stdout == first.stdout
    for rule, needle in (("wrong-type", '"8"'), ("insecure-link", '"http://arxiv')):
        assert region_of(by_rule(log)[rule])["endColumn"] > len(needle), rule


def test_an_end_before_the_start_is_left_out() -> None:
    """A Problem made by a library caller may carry any end: the log stays valid."""
    problems = [Problem(Path("a.toml"), 3, 5, "m", "wrong-type", end_line=3, end_column=2),
                Problem(Path("b.toml"), 3, 5, "m", "wrong-type", end_line=None, end_column=9),
                Problem(Path("c.toml"), 3, 5, "m", "no-such-rule", end_line=4, end_column=1)]
    results = json.loads(sarif_log(problems))["runs"][0]["results"]
    assert [region_of(result) for result in results] == [
        {"startLine": 3, "startColumn": 5}, {"startLine": 3, "startColumn": 5},
        {"startLine": 3, "startColumn": 5, "endLine": 4, "endColumn": 1}]


# ---------------------------------------------------------------------------- uris


def test_uris_are_percent_encoded_bytes_of_the_real_names(run: Run, hostile: Path) -> None:
    _, log = check_sarif(run, ".")
    results = log["runs"][0]["results"]
    for result in results:
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        # Only what RFC 3986 allows unescaped in a path: no '#', '?', space or control.
        assert re.fullmatch(r"[A-Za-z0-9\-._~%/!$&'()*+,;=:@]+", uri), uri
        assert os.path.lexists(hostile / file_of(result)), uri
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert ("issues/001/papers/02-we%20ird%20%2520%20%23%3F%5Bx%5D%1B%5B31m%E2%82%AC%0Anew.toml"
            in uris)
    if sys.platform != "darwin":
        assert "issues/001/papers/05-%FF.toml" in uris


def test_a_space_in_the_folder_name_is_encoded(run: Run, tmp_path: Path) -> None:
    one_issue(tmp_path / "my issue", paper(score='"8"'))
    _, log = check_sarif(run)
    [result] = log["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "my%20issue/issues/001/papers/01-paper.toml"
    assert file_of(result) == Path("my issue/issues/001/papers/01-paper.toml")
