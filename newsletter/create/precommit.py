"""The pre-commit configuration ``init`` writes: 'newsletter check' before each commit."""

from __future__ import annotations

import posixpath
import re

PRE_COMMIT = ".pre-commit-config.yaml"

# What a commit can break a publication with: its newsletter.toml, an entry of an issue,
# or one of its own templates. Paths are relative to the repository's root.
_FILES = r"(newsletter\.toml|issues/.*\.toml|templates/.*)$"

# pass_filenames: check only the issues a commit touches (and the whole publication when
# newsletter.toml or a template changed). require_serial: one run for all of them; batches
# in parallel would each check the publication again and print its problems each time.
_TEXT = """\
# Runs 'newsletter check' on what a commit touches (pre-commit install to enable).
repos:
  - repo: local
    hooks:
      - id: newsletter-check
        name: newsletter check
        entry: newsletter check
        args: ["--"]  # what follows are file names, even one that starts with '-'
        language: system
        files: {files}
        pass_filenames: true
        require_serial: true
"""


def files_pattern(folder: str = "") -> str:
    """The hook's ``files`` regex for a publication at ``folder`` (a POSIX path relative to
    the repository's root; "" for the root itself), which may hold any character."""
    folder = posixpath.normpath(folder.strip("/")) if folder.strip("/") else ""
    if folder in ("", "."):
        return "^" + _FILES
    # A name git could not print in UTF-8 has surrogates, which YAML cannot carry; pre-commit
    # fails on such names before any hook, so any character may stand for them.
    escaped = re.sub("[\ud800-\udfff]", ".", re.escape(folder))
    return f"^{escaped}/{_FILES}"


def yaml_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar in plain ASCII: quotes, backslashes and every
    character outside printable ASCII escaped, so no name ends the string or the line."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def pre_commit_yaml(folder: str = "") -> str:
    """The repository's ``.pre-commit-config.yaml`` for a publication at ``folder``."""
    return _TEXT.format(files=yaml_quoted(files_pattern(folder)))
