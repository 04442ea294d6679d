"""The pre-commit configuration ``init`` writes: 'newsletter check' before each commit."""

from __future__ import annotations

PRE_COMMIT = ".pre-commit-config.yaml"

_TEXT = """\
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


def pre_commit_yaml() -> str:
    return _TEXT
