"""Where the checkout's examples, templates and golden files are, and which styles it has.

The styles are found as ``newsletter`` finds its built-in ones: a folder under
``templates/`` with a ``style.toml``, whose name does not start with ``_`` (shared
templates) or ``.``. So a new style folder is rendered against goldens, fuzzed and
benchmarked without a change to the tests; its missing golden files fail until someone
runs ``pytest --update-goldens`` and reviews them.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
TEMPLATES = REPO / "templates"
GOLDEN = REPO / "tests" / "golden"
SPEC_FILE = "style.toml"


def style_names(templates: Path = TEMPLATES) -> tuple[str, ...]:
    """The style folders under ``templates``, sorted by name."""
    return tuple(sorted(
        folder.name for folder in templates.iterdir()
        if folder.is_dir() and not folder.name.startswith(("_", "."))
        and (folder / SPEC_FILE).is_file()))


STYLES = style_names()


def example_names() -> tuple[str, ...]:
    """The bundled examples: the issue folders (an ``issue.toml``) under ``examples/``."""
    return tuple(sorted(folder.name for folder in EXAMPLES.iterdir()
                        if (folder / "issue.toml").is_file()))


def example_style(name: str) -> str:
    """The style an example is in: its issue's ``style``, else its publication's."""
    for file in ("issue.toml", "newsletter.toml"):
        path = EXAMPLES / name / file
        if path.is_file():
            style = tomllib.loads(path.read_text(encoding="utf-8")).get("style")
            if style:
                return str(style)
    raise AssertionError(f"examples/{name} names no style")
