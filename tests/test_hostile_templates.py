"""A publication's own templates/ come with pull requests: from the contributor's side,
templates that try to run code, read files or exhaust the machine must fail ``check``
(rule template-error) and ``render`` with one line at the template's line, and do nothing.

Each attack is written into a copy of an example, as a contributor would: a line added to
an override copied from the built-in template.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import PROBLEM, Run
from tests.support.paths import EXAMPLES, TEMPLATES, example_names, example_style

# What each attack would do if it ran: make this file in the working directory.
PWNED = "PWNED"

# Attribute walks to os, builtins or files, each refused by the sandbox.
ESCAPES = {
    "cycler-globals": "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "format-object": "{{ f.__init__.__globals__['os'].system('touch PWNED') }}",
    "format-method": "{{ f.bold.__func__.__globals__ }}",
    "model-class": "{{ issue.__class__.__init__.__globals__ }}",
    "model-config": "{{ papers[0].model_config }}",
    "model-parse-file": "{{ issue.parse_file('/etc/passwd') }}",
    "model-rebuild": "{{ issue.model_rebuild(force=True) }}",
    "template-context": "{{ self._TemplateReference__context }}",
    "str-format": "{{ '{0.__class__.__init__.__globals__}'.format(issue) }}",
    "attr-filter": "{{ issue | attr('__class__') }}",
    "map-attribute": "{{ papers | map(attribute='__class__') | list }}",
    "path-write": "{{ style.folder.joinpath('PWNED').write_text('x') }}",
    "path-read": "{{ style.folder.parent.parent.joinpath('newsletter.toml').read_text() }}",
    "function-globals": "{{ ranked.__globals__ }}",
    "namespace-init": "{{ namespace.__init__.__globals__ }}",
}

# Work and memory: each must stop with its error, quickly.
EXHAUSTION = {
    "huge-range": ("{% for i in range(10**9) %}{% endfor %}", "Range too big"),
    "repeat-string": ("{{ 'x' * 10**10 }}", "a * repetition would be longer"),
    "repeat-list": ("{{ ([1] * 100000) * 100000 }}", "a * repetition would be longer"),
    "power": ("{{ 2 ** (10 ** 7) }}", "a number over"),
    "self-recursive-macro": ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
                             "macros nested more than"),
    "doubling-macro": ("{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}"
                       "{% endmacro %}{{ m(60) }}", "CPU time"),
    # Few steps, each slow: markdown at a few µs a character (this ran 199 s at 5M steps).
    "markdown-loop": ("{% for i in range(3000) %}{% for j in range(3000) %}"
                      "{% set x = f.prose('a **b** [c](https://e.com) d') %}"
                      "{% endfor %}{% endfor %}", "CPU time"),
    "date-loop": ("{% for i in range(3000) %}{% for j in range(3000) %}"
                  "{% set x = f.date(issue.date) %}{% endfor %}{% endfor %}", "CPU time"),
    "long-markdown": ("{{ f.prose('a **b** [c](https://e.com) ' * 60000) }}",
                      "prose() is given more than"),
    "long-markdown-many-times": ("{% set s = 'a **b** [c](https://e.com) ' * 30000 %}"
                                 "{% for i in range(1000) %}{{ f.prose(s) | length }}"
                                 "{% endfor %}", "CPU time"),
    "long-sort": ("{{ ('x' * 2000000) | sort | length }}", "|sort is given more than"),
    "filter-per-item": ("{% for i in range(3000) %}{% for j in range(3000) %}"
                        "{% set x = 'a b c' | urlize %}{% endfor %}{% endfor %}", "steps"),
    "nested-loops": ("{% for i in range(100000) %}{% for j in range(100000) %}x"
                     "{% endfor %}{% endfor %}", "steps"),
    "concat-doubling": ("{% set ns = namespace(s='x') %}{% for i in range(64) %}"
                        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "would be longer"),
    "set-doubling": ("{% set x = 'x' %}" + "{% set x = x ~ x %}" * 64, "would be longer"),
    "shared-lists": ("{% set x = [1] %}" + "{% set x = [x, x] %}" * 64 + "{{ x }}",
                     "nested more than"),
    "appends": ("{% set l = [] %}{% for i in range(100000) %}"
                "{% set _ = l.append('y' * 100000) %}{% endfor %}{{ l | join }}",
                "would be longer"),
    "center": ("{{ 'x' | center(10**10) }}", "would be longer"),
    "format-width": ("{{ '{:>10000000000}'.format(1) }}", "would be longer"),
    "printf-star": ("{{ '%*d' % (10**9, 1) }}", "'*' width"),
    "replace": ("{{ ('a' * 1000000).replace('a', 'b' * 1000) }}", "would be longer"),
    "batch-fill": ("{{ [1] | batch(10**9, 'x') | list }}", "would be longer"),
    "self-include": ("{% include 'issue.j2' %}", "nested too deeply"),
    # Compiling is metered too: Jinja folds constant expressions then, calling the filters.
    "folded-at-compile": ('{{ "a" | center(499999) | replace(" ", "a ") | urlize | length }}'
                          * 10, "CPU time"),
    # Jinja's parser recurses once a bracket.
    "deep-parentheses": ("{{ " + "(" * 100 + "1" + ")" * 100 + " }}",
                         "nested too deeply to compile"),
    "lipsum": ("{{ lipsum(100000, min=100000, max=100000) }}", "'lipsum' is undefined"),
}

ISSUE_TEMPLATE = "templates/weekly/issue.j2"


def _override(publication: Path, relative: str, payload: str, *, at: int | None = None
              ) -> int:
    """Copy the built-in template to the publication's templates/ with ``payload`` as line
    ``at`` (by default a last line of its own); returns that line number."""
    target = publication / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.parent.name != "_base":  # a style folder is one with a style.toml
        shutil.copy(TEMPLATES / target.parent.name / "style.toml", target.parent)
    lines = (TEMPLATES / relative.removeprefix("templates/")).read_text().splitlines(True)
    if at is None:
        lines[-1] = lines[-1].rstrip("\n") + "\n"
        at = len(lines) + 1
    lines.insert(at - 1, payload + "\n")
    target.write_text("".join(lines))
    return at


def _error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def _template_problems(stdout: str) -> list[re.Match[str]]:
    found = [PROBLEM.match(line) for line in stdout.splitlines()]
    return [match for match in found if match and match["rule"] == "template-error"]


def _copies(weekly: Path, publication: Path, numbers: list[int], names: list[str] | None = None
            ) -> list[str]:
    """The weekly example's issue copied into ``publication``/issues/ once a number (named
    as ``names`` says, else by it); returns each folder as a check path."""
    made = []
    for number, name in zip(numbers, names or [str(n) for n in numbers], strict=True):
        issue = publication / "issues" / name
        shutil.copytree(weekly / "papers", issue / "papers")
        (issue / "issue.toml").write_text(re.sub(
            r"(?m)^number = \d+", f"number = {number}", (weekly / "issue.toml").read_text()))
        made.append(f"{publication.name}/issues/{name}")
    return made


@pytest.fixture
def weekly(example: Callable[[str], Path]) -> Path:
    return example("weekly")


@pytest.mark.parametrize("payload", ESCAPES.values(), ids=ESCAPES.keys())
def test_an_escape_fails_check_and_render_and_does_nothing(
        run: Run, weekly: Path, payload: str) -> None:
    line = _override(weekly, ISSUE_TEMPLATE, payload)
    where = f"weekly/{ISSUE_TEMPLATE}:{line}"

    checked = run("check", "weekly")
    assert checked.exit_code == 1, checked.output
    problems = _template_problems(checked.stdout)
    assert problems, checked.stdout
    # One per distinct message: f is a MarkdownFormat in md, a TextFormat in text.
    assert {(p["path"], int(p["line"]), p["severity"]) for p in problems} == {
        (f"weekly/{ISSUE_TEMPLATE}", line, "error")}, checked.stdout
    assert all("unsafe" in p["message"] for p in problems)

    rendered = run("render", "weekly", "--format", "md")
    assert rendered.exit_code == 1
    assert rendered.stdout == ""
    error = _error_line(rendered.stderr)
    assert error.startswith(f"newsletter: error: {where}: template error: access to attribute")
    assert error.endswith("is unsafe")
    assert not (Path.cwd() / PWNED).exists() and not (weekly / PWNED).exists()


def test_the_cycler_escape_is_reported_as_the_brief_shows(run: Run, weekly: Path) -> None:
    line = _override(weekly, ISSUE_TEMPLATE,
                     "{{ cycler.__init__.__globals__.os.popen('id').read() }}")
    os.chdir(weekly)
    rendered = run("render", ".")
    assert rendered.exit_code == 1
    assert _error_line(rendered.stderr) == (
        f"newsletter: error: templates/weekly/issue.j2:{line}: template error: access to "
        "attribute '__init__' of 'type' object is unsafe")


@pytest.mark.parametrize(("payload", "says"), EXHAUSTION.values(), ids=EXHAUSTION.keys())
def test_a_template_cannot_exhaust_time_or_memory(
        run: Run, weekly: Path, payload: str, says: str) -> None:
    line = _override(weekly, ISSUE_TEMPLATE, payload, at=1)  # before any output
    started = time.monotonic()
    rendered = run("render", "weekly", "--format", "text")
    assert time.monotonic() - started < 60
    assert rendered.exit_code == 1, rendered.output
    error = _error_line(rendered.stderr)
    assert error.startswith(f"newsletter: error: weekly/{ISSUE_TEMPLATE}:{line}: template "
                            "error: "), error
    assert says in error


def test_templates_that_slow_every_issue_down_are_stopped_within_the_run(
        run: Run, weekly: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each render within its limit, but far slower than an issue needs: past what the
    run allows, the rest are not rendered (the allowance made small, to be quick)."""
    from newsletter.check import templates

    monkeypatch.setattr(templates, "_SLACK", 0.3)
    monkeypatch.setattr(templates, "_EARNED_A_RENDER", 0.0)
    monkeypatch.setattr(templates, "_EARNED_A_PAPER", 0.0)
    _override(weekly, ISSUE_TEMPLATE,
              '{% for i in range(100000) %}{% set x = i ~ "" %}{% endfor %}', at=1)
    names = _copies(weekly, weekly, list(range(10, 16)))
    checked = run("check", *names)
    assert checked.exit_code == 1, checked.output
    found = _template_problems(checked.stdout)
    assert found, checked.stdout
    assert names[0] + "/issue.toml" not in {p["path"] for p in found}  # rendered, and fine
    for problem in found:
        assert problem["path"].endswith("/issue.toml"), problem.string
        assert re.fullmatch(r"template error: not rendered, as the publication's templates "
                            r"took \d+\.\d s of CPU time in \d+ renderings, far more than "
                            r"issues this size need; a template slows them all\?",
                            problem["message"]), problem["message"]
    # Not rendered is no verdict: the next run renders them (and stops again).
    assert _template_problems(run("check", *names).stdout)


def test_tidying_a_huge_page_counts_against_the_time_limit(
        run: Run, weekly: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One step makes 18 million characters, which take a second to tidy once rendered.
    from newsletter.render import sandbox

    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)
    line = _override(weekly, ISSUE_TEMPLATE, '{{ "a \\n" * 6000000 }}', at=1)
    checked = run("check", "weekly")
    assert checked.exit_code == 1, checked.output
    problems = _template_problems(checked.stdout)
    assert [(p["path"], int(p["line"])) for p in problems] == [(f"weekly/{ISSUE_TEMPLATE}",
                                                                line)]
    assert "0.2 s of CPU time" in problems[0]["message"]


def test_site_with_jobs_reports_a_template_error_as_one_line(
        run: Run, weekly: Path, tmp_path: Path) -> None:
    # The error comes back from a worker process, which must be able to send it.
    publication = tmp_path / "pub"
    line = _override(publication, "templates/weekly/issue.html.j2", "{{ 1 / 0 }}", at=1)
    shutil.copy(weekly / "newsletter.toml", publication)
    _copies(weekly, publication, list(range(10, 14)))
    built = run("site", "pub", "--output", "public", "--base-url", "https://e.com/",
                "--jobs", "2")
    assert built.exit_code == 1, built.output
    assert _error_line(built.stderr) == (
        f"newsletter: error: pub/templates/weekly/issue.html.j2:{line}: template error: "
        "ZeroDivisionError: division by zero")


def test_check_reports_an_exhausting_template_too(run: Run, weekly: Path) -> None:
    line = _override(weekly, ISSUE_TEMPLATE, EXHAUSTION["self-recursive-macro"][0])
    checked = run("check", "weekly")
    assert checked.exit_code == 1
    problems = _template_problems(checked.stdout)
    assert [int(p["line"]) for p in problems] == [line]
    assert "macros nested more than" in problems[0]["message"]


def test_once_the_templates_ran_out_check_renders_no_other_issue_with_them(
        run: Run, weekly: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each issue would take the whole time limit again, in every format: a pull request's
    templates could hold CI for hours over a large publication. Within a run, the first
    to run out stands for the rest; a later run, or one after the mend, renders again."""
    from newsletter.render import sandbox

    monkeypatch.setattr(sandbox, "MAX_SECONDS", 0.2)  # the payload would take minutes
    line = _override(weekly, ISSUE_TEMPLATE, EXHAUSTION["markdown-loop"][0])
    names = _copies(weekly, weekly, [10, 11, 12], ["a", "b", "c"])

    def check() -> tuple[list[str], list[str]]:
        checked = run("check", *names)
        assert checked.exit_code == 1, checked.output
        found = _template_problems(checked.stdout)
        ran_out = [p["path"] for p in found if "CPU time" in p["message"]]
        skipped = [p["path"] for p in found if "not rendered" in p["message"]]
        assert len(found) == len(ran_out) + len(skipped), checked.stdout
        for problem in found:
            if "not rendered" in problem["message"]:
                assert problem["message"] == (
                    f"template error: not rendered, as weekly/{ISSUE_TEMPLATE}:{line} ran "
                    "out of time or steps on another issue; fix that first")
        return ran_out, skipped

    template = f"weekly/{ISSUE_TEMPLATE}"
    assert check() == ([template], [f"{name}/issue.toml" for name in names[1:]])
    # The issue that ran out is cached as it failed; those not rendered are not cached,
    # so the next run renders the next of them, which runs out in its turn (at the same
    # template line, reported once).
    assert check() == ([template], [f"{names[2]}/issue.toml"])
    (weekly / ISSUE_TEMPLATE).write_text((TEMPLATES / "weekly" / "issue.j2").read_text())
    assert run("check", *names).exit_code == 0


def test_a_base_piece_override_is_checked_with_the_built_in_style_that_includes_it(
        run: Run, example: Callable[[str], Path]) -> None:
    """briefing's issue.j2 includes masthead.j2: an override of the piece alone is enough
    to be rendered, in the sandbox, by check and render."""
    briefing = example("briefing")
    line = _override(briefing, "templates/_base/masthead.j2", ESCAPES["cycler-globals"])
    checked = run("check", "briefing")
    assert checked.exit_code == 1
    problems = _template_problems(checked.stdout)
    assert [(p["path"], int(p["line"])) for p in problems] == [
        ("briefing/templates/_base/masthead.j2", line)]
    assert problems[0]["message"].startswith("template error (md, text")

    rendered = run("render", "briefing", "--format", "email", "--from", "ed@example.com")
    assert rendered.exit_code == 1
    assert _error_line(rendered.stderr).startswith(
        f"newsletter: error: briefing/templates/_base/masthead.j2:{line}: template error: ")
    assert not (Path.cwd() / PWNED).exists()


def test_an_html_override_is_checked_in_the_web_and_the_email_layouts(
        run: Run, weekly: Path) -> None:
    _override(weekly, ISSUE_TEMPLATE, "{# the text part of the email #}")
    html = (TEMPLATES / "weekly" / "issue.html.j2").read_text().splitlines()
    inside = next(n for n, text in enumerate(html, 1) if "{% block content %}" in text) + 1
    line = _override(weekly, "templates/weekly/issue.html.j2",
                     "{% if for_email %}{{ 1 / 0 }}{% endif %}", at=inside)
    checked = run("check", "weekly")
    problems = _template_problems(checked.stdout)
    assert [(int(p["line"]), p["message"]) for p in problems] == [
        (line, "template error (email html): ZeroDivisionError: division by zero")]



def test_a_text_override_that_fails_only_in_the_mail_is_checked(run: Run, weekly: Path) -> None:
    """The email's text part is rendered for mail (it ends with the unsubscribe line):
    check's trial render does the same, so an override that fails only there is caught
    at check time, not at send time."""
    line = _override(weekly, "templates/_base/unsubscribe.j2",
                     "{% if for_email %}{{ 1 / 0 }}{% endif %}")
    problems = _template_problems(run("check", "weekly").stdout)
    assert [(p["path"], int(p["line"]), p["message"]) for p in problems] == [
        ("weekly/templates/_base/unsubscribe.j2", line,
         "template error (email text): ZeroDivisionError: division by zero")]

# --- files a template may reach -------------------------------------------------------


def _include(weekly: Path, name: str) -> int:
    return _override(weekly, ISSUE_TEMPLATE, f"{{% include '{name}' %}}")


@pytest.mark.parametrize("name", ["/etc/passwd", "../../../../etc/passwd",
                                  "../../newsletter.toml"])
def test_an_include_cannot_leave_the_search_path(run: Run, weekly: Path, name: str) -> None:
    line = _include(weekly, name)
    rendered = run("render", "weekly")
    assert rendered.exit_code == 1
    assert _error_line(rendered.stderr) == (
        f"newsletter: error: weekly/{ISSUE_TEMPLATE}:{line}: template error: "
        f"template '{name}' not found")


@pytest.mark.skipif(os.name != "posix", reason="symbolic links to system files")
@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero", "../../newsletter.toml",
                                    "../../papers"])
def test_a_link_out_of_templates_is_refused(run: Run, weekly: Path, target: str) -> None:
    line = _include(weekly, "linked.j2")
    os.symlink(target, weekly / "templates" / "weekly" / "linked.j2")
    for command in (("render", "weekly"), ("check", "weekly")):
        result = run(*command)
        assert result.exit_code == 1
        assert "weekly/templates/weekly/linked.j2 leads outside the publication's " \
               "templates/ folder" in result.output
        assert f"weekly/{ISSUE_TEMPLATE}:{line}" in result.output
    assert "root:" not in result.output


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_templates_itself_may_not_be_a_link_elsewhere(
        run: Run, weekly: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    _override(elsewhere, ISSUE_TEMPLATE, "anything")
    os.symlink(elsewhere / "templates", weekly / "templates")
    rendered = run("render", "weekly")
    assert rendered.exit_code == 1
    assert "leads outside the publication's templates/ folder" in rendered.stderr


def test_a_link_inside_templates_is_followed(run: Run, weekly: Path) -> None:
    _override(weekly, ISSUE_TEMPLATE, "{% include 'piece.j2' %}")
    (weekly / "templates" / "weekly" / "real.j2").write_text("a piece of our own\n")
    os.symlink("real.j2", weekly / "templates" / "weekly" / "piece.j2")
    rendered = run("render", "weekly")
    assert rendered.exit_code == 0, rendered.stderr
    assert "a piece of our own" in rendered.stdout


@pytest.mark.parametrize(("content", "says"), [
    (b"{# " + b"x" * (1 << 20) + b" #}", "is over 1 MB"),
    (b"\xff\xfe not text", "is not UTF-8 text"),
])
def test_an_import_of_a_huge_or_binary_file_is_refused(
        run: Run, weekly: Path, content: bytes, says: str) -> None:
    line = _override(weekly, ISSUE_TEMPLATE, "{% import 'big.j2' as big %}")
    (weekly / "templates" / "weekly" / "big.j2").write_bytes(content)
    rendered = run("render", "weekly")
    assert _error_line(rendered.stderr) == (
        f"newsletter: error: weekly/{ISSUE_TEMPLATE}:{line}: template error: "
        f"weekly/templates/weekly/big.j2 {says}")


# --- what is not refused ----------------------------------------------------------------


@pytest.mark.parametrize("name", example_names())
def test_every_built_in_template_renders_the_same_in_the_sandbox(
        run: Run, example: Callable[[str], Path], name: str) -> None:
    """A publication that copies the built-in templates (so all of them render in the
    sandbox) gets the built-in output byte for byte: f's methods, HtmlFormat's Markup,
    macros with caller(), namespace() and list.append keep working."""
    plain = example(name)
    expected = {fmt: run("render", name, "--format", fmt) for fmt in ("md", "text", "html")}
    style = example_style(name)
    shutil.copytree(TEMPLATES / style, plain / "templates" / style)
    shutil.copytree(TEMPLATES / "_base", plain / "templates" / "_base")
    for fmt, before in expected.items():
        after = run("render", name, "--format", fmt)
        assert before.exit_code == after.exit_code == 0, after.stderr
        assert after.stdout == before.stdout
    checked = run("check", name)
    assert _template_problems(checked.stdout) == []


def test_an_issue_with_only_built_in_templates_is_not_rendered_by_check(
        run: Run, weekly: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object) -> list[object]:
        raise AssertionError("rendered")

    monkeypatch.setattr("newsletter.check.templates.template_problems", never)
    (weekly / "templates" / "other").mkdir(parents=True)  # a templates/ without overrides
    assert run("check", "weekly").exit_code == 0


def test_editing_an_override_checks_the_issue_again(run: Run, weekly: Path) -> None:
    """The override is part of the cache's key; and a check in a process that has checked
    before (preview, a library user) judges the templates as they are now."""

    def check() -> int:
        return run("check", "weekly").exit_code

    good = weekly / ISSUE_TEMPLATE
    _override(weekly, ISSUE_TEMPLATE, "{# fine #}")
    assert check() == 0
    assert check() == 0  # from the cache
    _override(weekly, ISSUE_TEMPLATE, "{{ 1 / 0 }}")
    assert check() == 1
    assert check() == 1  # the cached result is the failure
    good.write_text((TEMPLATES / "weekly" / "issue.j2").read_text())
    assert check() == 0


def test_a_template_saved_during_a_check_does_not_lend_its_verdict_to_the_other_version(
        run: Run, weekly: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is keyed by the templates as they were when the check began; one saved
    while it renders (the preview checks on every save) is judged as it is then. Filed
    under the first version's key, that verdict would come back with an undo."""
    from newsletter.check import templates

    bad = weekly / ISSUE_TEMPLATE
    _override(weekly, ISSUE_TEMPLATE, "{{ 1 / 0 }}")
    broken = bad.read_text()
    render = templates.template_problems

    def fixed_meanwhile(*args: Any) -> Any:
        bad.write_text((TEMPLATES / "weekly" / "issue.j2").read_text())
        return render(*args)

    monkeypatch.setattr(templates, "template_problems", fixed_meanwhile)
    saved = run("check", "weekly")
    assert saved.exit_code == 0, saved.stdout
    assert "changed during the check; its results are not cached" in saved.stderr
    monkeypatch.setattr(templates, "template_problems", render)
    bad.write_text(broken)  # the editor's undo
    assert run("check", "weekly").exit_code == 1


def test_styles_says_what_the_publication_overrides(run: Run, weekly: Path) -> None:
    _override(weekly, ISSUE_TEMPLATE, "{# ours #}")
    (weekly / "templates" / "mine").mkdir()
    shutil.copy(TEMPLATES / "weekly" / "style.toml", weekly / "templates" / "mine")
    (weekly / "templates" / "_base").mkdir()
    shutil.copy(TEMPLATES / "_base" / "masthead.html.j2", weekly / "templates" / "_base")
    (weekly / "templates" / "_base" / "extra.j2").write_text("")
    os.chdir(weekly)
    lines = run("styles").stdout.splitlines()
    assert "weekly (overridden by templates/weekly/)" in lines
    assert "mine (from templates/mine/)" in lines
    assert "briefing" in lines
    assert "base pieces overridden: masthead.html.j2" in lines
    assert "base pieces added: extra.j2" in lines


def test_styles_outside_a_publication_lists_only_the_built_in_ones(run: Run) -> None:
    output = run("styles").stdout
    assert "overridden" not in output and "base pieces" not in output
    assert all(f"\n{name}\n" in f"\n{output}" for name in
               {example_style(name) for name in example_names()})
    assert EXAMPLES.is_dir()
