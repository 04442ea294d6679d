"""The GitHub Actions workflows ``init`` writes: 'newsletter check' on every pull request,
and (``init --pages``) the site built and published with GitHub Pages on every push to main.

GitHub reads workflows only from ``.github/workflows`` at the root of the repository, so a
publication in a sub-folder gets its workflows (and its pre-commit configuration) there,
running in the publication's folder. Every value from outside (the install spec, the
folder's name) reaches the file quoted for YAML and, where a shell reads it, for the shell.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from newsletter.create.precommit import PRE_COMMIT, yaml_quoted
from newsletter.errors import NewsletterError

WORKFLOW = ".github/workflows/newsletter.yml"
PAGES_WORKFLOW = ".github/workflows/pages.yml"

# Full commit SHAs, as zizmor asks: a tag can be moved to other code, a commit cannot.
# The comment names the release, for Dependabot and for people.
CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1  # v7.0.1"
SETUP_PYTHON = "actions/setup-python@5fda3b95a4ea91299a34e894583c3862153e4b97  # v7.0.0"
UPLOAD_SARIF = ("github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e"
                "  # v4.36.2")
CONFIGURE_PAGES = "actions/configure-pages@983d7736d9b0ae728b81ab479565c72886d7745b  # v5.0.0"
UPLOAD_PAGES_ARTIFACT = ("actions/upload-pages-artifact@fc324d3547104276b827a68afc52ff2a11cc49c9"
                         "  # v5.0.0")
DEPLOY_PAGES = "actions/deploy-pages@cd2ce8fcbc39b97be8ca5fce6e763baed58fa128  # v5.0.0"
# Where the Pages workflow builds the site, in the publication's folder.
SITE_OUTPUT = "public"

# A folder name that needs no escaping in a paths: filter (whose * ? + [ ] ! are patterns).
_PLAIN_FOLDER = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")


@dataclass(frozen=True)
class Placement:
    """Where the repository-level files go: ``root`` as the user will read it (DIR itself,
    or the git root relative to the working directory, or absolute when DIR was), and the
    publication's folder in the repository (POSIX; "" when it is the root)."""

    root: Path
    folder: str = ""

    def shared(self, relative: Path) -> bool:
        """Whether ``relative`` goes to the repository's root, beside the publication: a
        file the repository (its other code, another publication) has its own say in."""
        return bool(self.folder) and relative.as_posix() in _AT_ROOT

    def target(self, directory: Path, relative: Path) -> Path:
        """Where the file ``relative`` (as ``init`` names it) is written."""
        return self.root / relative if self.shared(relative) else directory / relative


_AT_ROOT = (WORKFLOW, PAGES_WORKFLOW, PRE_COMMIT)


def _git_root(start: Path) -> Path | None:
    for candidate in (start, *start.parents):
        if os.path.lexists(candidate / ".git"):  # a folder, or a file in a worktree
            return candidate
    return None


def placement(directory: Path) -> Placement:
    """Where ``init`` of ``directory`` puts the workflow and the pre-commit configuration;
    refuses a ``.github`` or ``.github/workflows`` that is a link (it would be written
    through to elsewhere, where GitHub never looks)."""
    resolved = directory.resolve()
    root = _git_root(resolved)
    place = Placement(directory)
    if root is not None and root != resolved:
        folder = resolved.relative_to(root).as_posix()
        if "${{" in folder or re.search("[\ud800-\udfff]", folder):
            raise NewsletterError(f"{directory}: its path in the repository ({folder!r}) "
                                  "cannot be named in a workflow")
        shown = root if directory.is_absolute() else Path(os.path.relpath(root, Path.cwd()))
        place = Placement(shown, folder)
    for part in (".github", ".github/workflows"):
        if (place.root / part).is_symlink():
            raise NewsletterError(f"{place.root / part}: is a symbolic link; GitHub reads "
                                  "workflows only from a real .github/workflows folder")
    return place


def _triggers(folder: str) -> str:
    # Pushes to main are checked only when they touch the publication. Pull requests always
    # are: a required check that a paths filter skips stays pending and blocks the merge.
    if not folder or not _PLAIN_FOLDER.fullmatch(folder):
        # (A name with pattern characters is not worth an escaping GitHub documents loosely.)
        return "  pull_request:\n  push:\n    branches: [main]\n"
    paths = f"[{yaml_quoted(folder + '/**')}, {yaml_quoted(WORKFLOW)}]"
    return f"  pull_request:\n  push:\n    branches: [main]\n    paths: {paths}\n"


def _install(install_spec: str) -> str:
    """The step that pip-installs ``install_spec``, quoted for the shell: every workflow's."""
    return f"""\
      - name: Install newsletter
        run: |
          python -m pip install {shlex.quote(install_spec)}
"""


def _checked_spec(install_spec: str) -> str:
    if not install_spec.isprintable() or "${{" in install_spec:
        raise ValueError(f"not a requirement a workflow can carry: {install_spec!r}")
    return install_spec


def _working_directory(folder: str) -> str:
    return (f"    defaults:\n      run:\n        working-directory: "
            f"{yaml_quoted(folder)}\n") if folder else ""


def _setup(install_spec: str) -> str:
    """Checkout, Python with a pip cache, and the install step: the steps both jobs share."""
    return f"""\
      - uses: {CHECKOUT}
        with:
          fetch-depth: 0  # --base needs the history to see edits to published issues
          persist-credentials: false
      - uses: {SETUP_PYTHON}
        with:
          python-version: "3.12"
          cache: pip
          # The cache is keyed on this file, which names what is installed: a publication
          # has no requirements.txt for setup-python to find.
          cache-dependency-path: {WORKFLOW}
{_install(install_spec)}"""


_BASE = """\
        env:
          BASE: ${{ github.base_ref }}  # set on pull requests only
"""


def _code_scanning(install_spec: str, folder: str) -> str:
    # Run from the repository's root, so that the SARIF paths are relative to it as code
    # scanning reads them. Exit 1 means problems, which are in the file (and fail the check
    # job); anything else is a failure of its own.
    return f"""\
  code-scanning:
    name: Code scanning
    runs-on: ubuntu-latest
    timeout-minutes: 15
    permissions:
      contents: read
      security-events: write  # upload-sarif
      actions: read  # upload-sarif, in a private repository
    steps:
{_setup(install_spec)}\
      - name: Check entries (SARIF)
{_BASE}\
          FOLDER: {yaml_quoted(folder or ".")}
        run: |
          status=0
          newsletter check --format sarif ${{BASE:+--base "origin/$BASE"}} -- "$FOLDER" \\
            > newsletter.sarif || status=$?
          test "$status" -le 1
      - uses: {UPLOAD_SARIF}
        with:
          sarif_file: newsletter.sarif
          category: newsletter
"""


def workflow_yaml(install_spec: str, folder: str = "", *, code_scanning: bool = False) -> str:
    """The workflow for a publication at ``folder`` of its repository ("" for the root)
    that pip-installs ``install_spec`` (one requirement; see ``install.check_spec``)."""
    _checked_spec(install_spec)
    defaults = _working_directory(folder)
    text = f"""\
# Checks every entry on each pull request: problems appear on the diff at their line, and
# all of them in the job summary.
name: newsletter
on:
{_triggers(folder)}\
permissions:
  contents: read
concurrency:
  # A new push to a pull request cancels the run for the previous one; main's runs finish.
  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}
jobs:
  check:
    name: Check entries
    runs-on: ubuntu-latest
    timeout-minutes: 15
{defaults}\
    steps:
{_setup(install_spec)}\
      - name: Check entries
{_BASE}\
        run: newsletter check --format github ${{BASE:+--base "origin/$BASE"}}
"""
    return text + (_code_scanning(install_spec, folder) if code_scanning else "")


def pages_yaml(install_spec: str, folder: str = "") -> str:
    """The workflow that builds the site of the publication at ``folder`` of its repository
    ("" for the root) on every push to main and publishes it with GitHub Pages, installing
    ``install_spec`` as the check workflow does.

    Two jobs, each with only what it needs: the build (which runs what pip installs) may
    read the repository and the Pages settings, nothing else; the deploy, which runs
    nothing of ours, may write Pages and ask for the OIDC token deploy-pages proves
    itself with. No pip cache: a cache is shared across workflows, and this one publishes.
    """
    _checked_spec(install_spec)
    where = f"{folder}/{SITE_OUTPUT}/" if folder else f"{SITE_OUTPUT}/"
    return f"""\
# Builds the publication's web archive ('newsletter site') on every push to main and
# publishes it with GitHub Pages. Turn Pages on first: Settings > Pages > Source: GitHub
# Actions.
name: pages
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions: {{}}
concurrency:
  # One deployment at a time, and none cut off halfway: a newer push waits its turn.
  group: pages
  cancel-in-progress: false
jobs:
  build:
    name: Build the site
    runs-on: ubuntu-latest
    timeout-minutes: 15
    permissions:
      contents: read  # actions/checkout
      pages: read  # configure-pages: the address the site is served from
{_working_directory(folder)}\
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - uses: {SETUP_PYTHON}
        with:
          python-version: "3.12"
{_install(install_spec)}\
      - id: pages
        uses: {CONFIGURE_PAGES}
      - name: Build the site
        env:
          # Links and feeds point where Pages serves the site (a custom domain too); feed
          # ids keep coming from url in newsletter.toml, when it is set.
          BASE_URL: ${{{{ steps.pages.outputs.base_url }}}}
        run: newsletter site --base-url "$BASE_URL" --output {SITE_OUTPUT}/
      - uses: {UPLOAD_PAGES_ARTIFACT}
        with:
          path: {yaml_quoted(where)}
  deploy:
    name: Deploy to GitHub Pages
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      pages: write  # deploy-pages: publish the artifact
      id-token: write  # deploy-pages: prove the deployment comes from this workflow
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: {DEPLOY_PAGES}
"""
