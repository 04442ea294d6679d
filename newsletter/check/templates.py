"""The ``template-error`` rule: an issue whose style, or whose ``_base`` pieces, come from
the publication's own ``templates/`` folder is rendered by ``check`` in every template
format its style has, in the sandbox, so that a broken or hostile override fails CI on the
pull request rather than the editor's ``render``.

Issues that use only the built-in templates are not rendered: those templates are tested
with newsletter itself, and rendering costs far more than checking.
"""

from __future__ import annotations

import os
from pathlib import Path

from newsletter.entries.loading import LoadedIssue
from newsletter.entries.problems import Problem
from newsletter.entries.styles import Style

RULE = "template-error"
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
    """One problem per failing template line, naming the renderings it failed in."""
    from newsletter.render.document import render_text
    from newsletter.render.sandbox import TemplateRenderError

    failed: dict[tuple[Path, int, str], list[str]] = {}
    for fmt, for_email in _renderings(style):
        try:
            render_text(loaded, style, fmt, for_email=for_email)
        except TemplateRenderError as exc:
            label = f"email {fmt}" if for_email else fmt
            failed.setdefault((exc.path, exc.line, exc.detail), []).append(label)
    return [Problem(path, line, 1, f"template error ({', '.join(labels)}): {detail}", RULE)
            for (path, line, detail), labels in failed.items()]


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
