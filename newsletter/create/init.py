"""``newsletter init``: a publication repository that checks itself from the first commit."""

from __future__ import annotations

import os
from pathlib import Path

from newsletter.create.precommit import PRE_COMMIT, pre_commit_yaml
from newsletter.create.taplo import TAPLO_CONFIG, taplo_toml
from newsletter.create.workflow import PAGES_WORKFLOW, WORKFLOW, pages_yaml, workflow_yaml
from newsletter.entries.schema import KINDS, SCHEMA_DIR, schema_json
from newsletter.entries.styles import styles_of
from newsletter.errors import NewsletterError
from newsletter.write.atomic import create_new, write_atomic


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
# How readers leave the list (List-Unsubscribe, and a line at the foot of the email): an
# https URL that unsubscribes on a POST (Gmail's and Yahoo's one-click button), a mailto:
# address, or both as a list. And the list's List-Id: a label and a domain you control.
# unsubscribe_url = ["https://example.com/unsubscribe", "mailto:leave@example.com"]
# list_id = "Newsletter <newsletter.example.com>"

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
                     install_spec: str | None = None, code_scanning: bool = False,
                     pages: bool = False) -> tuple[list[Path], list[Path]]:
    """Create the publication's files: the paths written, and those kept as they were.

    Without ``force`` a file that exists is kept, never replaced, and the others are made:
    an init interrupted halfway (a SIGKILL, a full disk) completes when run again. In a
    sub-folder of a git repository the workflow and the pre-commit configuration go at the
    repository's root, the only place GitHub and pre-commit read them; there, one that
    exists is kept even with ``force``. ``install_spec`` is
    what the workflows pip-install (by default the newsletter running now); ``pages`` adds
    the workflow that publishes the site with GitHub Pages."""
    from newsletter.create.install import running_install
    from newsletter.create.workflow import placement

    place = placement(directory)
    spec = install_spec or running_install().spec
    files = {
        Path("newsletter.toml"): publication_toml(name, style),
        Path(WORKFLOW): workflow_yaml(spec, place.folder, code_scanning=code_scanning),
        **({Path(PAGES_WORKFLOW): pages_yaml(spec, place.folder)} if pages else {}),
        Path(PRE_COMMIT): pre_commit_yaml(place.folder),
        Path("issues/.gitkeep"): "",
        Path(TAPLO_CONFIG): taplo_toml(),
        **{Path(SCHEMA_DIR) / f"{kind}.schema.json": schema_json(
            kind, styles_of(directory / "newsletter.toml")) for kind in KINDS},
    }
    for relative in files:
        _refuse_links(place.target(directory, relative), len(relative.parts), force=force)
    written, kept = [], []
    for relative, text in files.items():
        target = place.target(directory, relative)
        # --force replaces the publication's own files, never the repository's (its other
        # hooks, another publication's workflow): those are kept, to merge by hand.
        if (not force or place.shared(relative)) and os.path.lexists(target):
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


def _refuse_links(target: Path, depth: int, *, force: bool) -> None:
    """Refuse, before anything is written, a file of the publication reached through a
    symbolic link: a pull request can commit ``schemas -> ../../elsewhere``, and init would
    create (with --force, replace) files wherever it leads. A link in place of the file
    itself is kept like any file that exists, unless --force would write through it."""
    from newsletter.entries.problems import display_path

    parts = [target, *list(target.parents)[:depth - 1]]
    for part in parts:
        if os.path.islink(part) and (part != target or force):
            raise NewsletterError(f"{display_path(part)}: is a symbolic link; init writes "
                                  "only files of the publication's own folders")
