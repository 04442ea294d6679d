"""The ``template-error`` rule: an issue whose style, or whose ``_base`` pieces, come from
the publication's own ``templates/`` folder is rendered by ``check`` in every template
format its style has, in the sandbox, so that a broken or hostile override fails CI on the
pull request rather than the editor's ``render``.

Issues that use only the built-in templates are not rendered: those templates are tested
with newsletter itself, and rendering costs far more than checking.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.entries.loading import LoadedIssue
from newsletter.entries.problems import Problem
from newsletter.entries.styles import Style

RULE = "template-error"
# What an issue gets when it is not rendered: the start of its message (see ``unverified``).
_NOT_RENDERED = "template error: not rendered"
# What a render may cost is bounded (newsletter.render.sandbox), but not how many there are:
# five an issue, and hundreds of issues. A pull request's templates that take most of the
# limit each time, or that run out of it each time, could hold CI for hours. So, within a
# run, each publication's templates:
# - once one of its styles ran out of time or steps, that style is not rendered again;
# - may take, all renders together, the CPU time their renders earn (a tenth of a second
#   each, and 5 ms a paper: over ten times what the built-in styles take here)
#   and half a minute more. Past that, the rest are not rendered.
# Issues not rendered say so, and are left out of the cache. Emptied as a run starts
# (``new_run``): a process may check again after the templates were mended.
_SLACK = 30.0
_EARNED_A_RENDER = 0.1
_EARNED_A_PAPER = 0.005


@dataclass
class _Spending:
    """What one publication's templates have cost this run."""

    cpu: float = 0.0
    earned: float = 0.0
    renders: int = 0
    ran_out: dict[Path, tuple[Path, int]] = field(default_factory=dict)  # by style folder

    def over(self) -> bool:
        return self.cpu > self.earned + _SLACK


_SPENDING: dict[tuple[Path, ...], _Spending] = {}


def new_run() -> None:
    """A new ``check`` begins: forget what the templates cost, and the templates compiled
    by an earlier run in this process (``check`` keys its cache by the files as they are
    now, and a template mended, or broken, since must be judged as it is now)."""
    import sys

    _SPENDING.clear()
    if "newsletter.render.document" in sys.modules:  # else nothing was compiled
        sys.modules["newsletter.render.document"].forget_templates()


# As the sandbox's loader (newsletter.render.sandbox), which refuses larger files: not
# imported from there, as the cache is keyed by these files before anything is rendered.
_MAX_BYTES = 1 << 20


def uses_own_templates(loaded: LoadedIssue, style: Style) -> bool:
    """Whether rendering the issue would read a file of the publication's templates/."""
    own = loaded.template_dirs
    return any(style.folder.is_relative_to(folder) or (folder / "_base").is_dir()
               for folder in own)


def _renderings(style: Style) -> list[tuple[str, bool]]:
    """(template format, for_email) for every rendering the style's formats make: an email
    is its text and its HTML, both rendered for mail (the text part gains the unsubscribe
    line, the HTML the mail layout), so a template fails here where it fails in the mail."""
    from newsletter.render.registry import FORMATS

    found: list[tuple[str, bool]] = []
    for name in style.formats:
        fmt = FORMATS[name]
        parts = [(name, False)] if fmt.templates else [
            (part, True) for part in fmt.parts]
        found += [part for part in parts if part not in found]
    return found


def template_problems(loaded: LoadedIssue, style: Style) -> list[Problem]:
    """One problem per failing template line, naming the renderings it failed in; or, once
    the style's templates have run out of time or steps, or the publication's have taken
    far more time than their issues need (see ``_SPENDING``), one saying the issue was not
    rendered."""
    from newsletter.entries.problems import display_path
    from newsletter.render.document import render_text
    from newsletter.render.sandbox import TemplateRenderError

    spending = _SPENDING.setdefault(tuple(loaded.template_dirs), _Spending())
    failed: dict[tuple[Path, int, str], list[str]] = {}
    for fmt, for_email in _renderings(style):
        ran_out = spending.ran_out.get(style.folder)
        if failed and (ran_out or spending.over()):
            break  # this issue's own failures say enough
        if ran_out:
            where = f"{display_path(ran_out[0])}:{ran_out[1]}"
            return [_not_rendered(loaded, f"as {where} ran out of time or steps on another "
                                  "issue; fix that first")]
        if spending.over():
            return [_not_rendered(loaded, f"as the publication's templates took "
                                  f"{spending.cpu:.1f} s of CPU time in {spending.renders} "
                                  "renderings, far more than issues this size need; a "
                                  "template slows them all?")]
        spending.earned += _EARNED_A_RENDER + _EARNED_A_PAPER * len(loaded.papers)
        spending.renders += 1
        started = time.thread_time()
        try:
            render_text(loaded, style, fmt, for_email=for_email)
        except TemplateRenderError as exc:
            label = f"email {fmt}" if for_email else fmt
            failed.setdefault((exc.path, exc.line, exc.detail), []).append(label)
            if exc.ran_out:
                spending.ran_out[style.folder] = (exc.path, exc.line)
        finally:
            spending.cpu += time.thread_time() - started
    return [Problem(path, line, 1, f"template error ({', '.join(labels)}): {detail}", RULE)
            for (path, line, detail), labels in failed.items()]


def _not_rendered(loaded: LoadedIssue, why: str) -> Problem:
    return Problem(loaded.issue_path, 1, 1, f"{_NOT_RENDERED}, {why}", RULE)


def unverified(problems: list[Problem]) -> bool:
    """Whether an issue's problems say it was not rendered (so are no verdict to cache)."""
    return any(problem.rule == RULE and problem.message.startswith(_NOT_RENDERED)
               for problem in problems)


def template_files(templates_dir: Path) -> list[Path]:
    """A publication's own template files (``check``'s cache is keyed by them): regular
    files really inside the folder, as the loader accepts them, each at most the size it
    reads."""
    root = os.path.realpath(templates_dir)
    if not os.path.isdir(root) or os.path.realpath(templates_dir) != os.path.join(
            os.path.realpath(templates_dir.parent), templates_dir.name):
        return []
    found = []
    for folder, dirs, files in os.walk(templates_dir):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            real = os.path.realpath(path)
            if (real.startswith(root + os.sep) and os.path.isfile(real)
                    and os.path.getsize(real) <= _MAX_BYTES):
                found.append(Path(path))
    return found
