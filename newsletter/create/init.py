"""``newsletter init``: a publication repository that checks itself from the first commit."""

from __future__ import annotations

import os
from pathlib import Path

from newsletter.entries.schema import KINDS, SCHEMA_DIR, schema_json
from newsletter.errors import NewsletterError
from newsletter.write.atomic import create_new, write_atomic

WORKFLOW = ".github/workflows/newsletter.yml"
PRE_COMMIT = ".pre-commit-config.yaml"

_WORKFLOW_TEXT = """\
# Checks every entry on each pull request; problems appear on the diff at their line.
name: newsletter
on:
  pull_request:
  push:
    branches: [main]
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # --base needs the history to see edits to published issues
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install newsletter
        run: python -m pip install {install_spec}
      - name: Check entries
        env:
          BASE: ${{{{ github.base_ref }}}}  # set on pull requests only
        run: newsletter check --format github ${{BASE:+--base "origin/$BASE"}}
"""

_PRE_COMMIT_TEXT = """\
# Runs 'newsletter check' on the entries a commit touches (pre-commit install to enable).
repos:
  - repo: local
    hooks:
      - id: newsletter-check
        name: newsletter check
        entry: newsletter check
        language: system
        files: ^issues/.*\\.toml$
"""


def publication_toml(name: str, style: str) -> str:
    import tomli_w

    def line(key: str, value: object) -> str:
        return tomli_w.dumps({key: value}).rstrip("\n")

    return f"""\
#:schema {SCHEMA_DIR}/publication.schema.json
# The publication: defaults for every issue below this folder.

# Publication name, shown in mastheads.
{line("name", name)}

# Default house style of new issues ('newsletter styles' lists them).
{line("style", style)}

# One-line tagline and category line (the pulse masthead shows them).
# tagline = ""
# category = ""

# Home page and archive (the weekly masthead links 'Back to archive').
# url = "https://example.com"
# archive_url = "https://example.com/archive"

# Email headers for 'newsletter render --format email'.
# email_from = "Editors <editors@example.com>"
# email_to = "readers@example.com"

# The publisher's standing closing block, shown after each issue's own closing.
# closing_title = "How We Can Help"
# closing = \"\"\"\"\"\"

# Editorial lint: each rule is "error", "warning" or "off" ('newsletter check --list-rules').
[check.rules]
# covered-before = "error"
# placeholder-text = "error"

# Length budgets and item counts, overriding the style's.
[check.budgets]
# summary_words = 150

[check.counts]
# key_findings = [4, 5]
"""


def init_publication(directory: Path, *, name: str, style: str, force: bool,
                     install_spec: str = "newsletter") -> tuple[list[Path], list[Path]]:
    """Create the publication's files: the paths written, and those kept as they were.

    Without ``force`` a file that exists is kept, never replaced, and the others are made:
    an init interrupted halfway (a SIGKILL, a full disk) completes when run again."""
    files = {
        Path("newsletter.toml"): publication_toml(name, style),
        Path(WORKFLOW): _WORKFLOW_TEXT.format(install_spec=install_spec),
        Path(PRE_COMMIT): _PRE_COMMIT_TEXT,
        Path("issues/.gitkeep"): "",
        **{Path(SCHEMA_DIR) / f"{kind}.schema.json": schema_json(kind) for kind in KINDS},
    }
    written, kept = [], []
    for relative, text in files.items():
        target = directory / relative
        if not force and os.path.lexists(target):
            kept.append(target)
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NewsletterError(f"{target.parent}: cannot create it: "
                                  f"{exc.strerror or exc}") from exc
        if force:
            write_atomic(target, text)
        else:
            try:
                create_new(target, text)
            except FileExistsError:  # made by someone else since we looked: theirs stays
                kept.append(target)
                continue
        written.append(target)
    return written, kept
