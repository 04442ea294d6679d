"""The ``.taplo.toml`` that ``init`` writes: schemas by path, and the writer's formatting.

Taplo is the engine of Even Better TOML (VS Code), and the TOML language server of Zed,
Helix and Neovim; ``taplo lint`` and ``taplo fmt`` read the same file. The ``#:schema``
line of a file written by ``new-issue`` or ``add-paper`` is lost when an editor writes a
file by hand or copies one; the rules here give every entry its schema by its path.
"""

from __future__ import annotations

from newsletter.entries.loading import ISSUE_FILE, PAPERS_DIR, PUBLICATION_FILE
from newsletter.entries.schema import SCHEMA_DIR

TAPLO_CONFIG = ".taplo.toml"

# Where init puts issues (any depth: issues/2026/q2/014) and what lies in each.
ISSUES_DIR = "issues"
_ENTRIES = (
    ("paper", f"{ISSUES_DIR}/**/{PAPERS_DIR}/*.toml"),
    ("issue", f"{ISSUES_DIR}/**/{ISSUE_FILE}"),
    ("publication", PUBLICATION_FILE),
)


def taplo_toml() -> str:
    """The config text; it is itself formatted as ``taplo fmt`` would leave it."""
    rules = "".join(f"""
[[rule]]
include = ["{pattern}"]
schema = {{ path = "{SCHEMA_DIR}/{kind}.schema.json" }}
""" for kind, pattern in _ENTRIES)
    return f"""\
# Taplo (Even Better TOML in VS Code; Zed, Helix, Neovim with taplo-lsp; `taplo lint`,
# `taplo fmt`): each entry file's schema by its path, so a file without its `#:schema`
# line is checked too, and the layout newsletter writes entries in.

# As add-paper, new-issue and init write TOML (tomli-w): arrays one item a line, indented
# four spaces, with a trailing comma; `taplo fmt` leaves their files as they are.
[formatting]
indent_string = "    "
array_auto_collapse = false
{rules}"""
