"""The GitHub Actions workflow ``init`` writes: 'newsletter check' on every pull request."""

from __future__ import annotations

WORKFLOW = ".github/workflows/newsletter.yml"

_TEXT = """\
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


def workflow_yaml(install_spec: str) -> str:
    return _TEXT.format(install_spec=install_spec)
