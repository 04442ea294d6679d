"""House styles: each is a folder of templates plus a ``style.toml`` spec, found by listing.

Adding a style means adding a folder under ``templates/``; no Python changes. A folder
whose name starts with ``_`` holds shared templates and is not a style. A publication can
add or override styles with a ``templates/`` folder next to its ``newsletter.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from newsletter.errors import NewsletterError, UsageError

SPEC_FILE = "style.toml"


def builtin_templates_dir() -> Path:
    """Where the bundled templates are: inside the installed package, or the repo's top."""
    package_dir = Path(__file__).resolve().parents[1]
    for candidate in (package_dir / "templates", package_dir.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise NewsletterError(f"{package_dir}: the bundled templates are missing; reinstall")


@dataclass(frozen=True)
class Style:
    """A house style: its folder and its validated spec."""

    name: str
    folder: Path
    description: str
    formats: tuple[str, ...]
    requires_publication: tuple[str, ...]
    requires_issue: tuple[str, ...]
    requires_paper: tuple[str, ...]
    requires_paper_not_featured: tuple[str, ...] | None
    offers_issue: tuple[str, ...]
    labels: dict[str, str]
    budgets: dict[str, int]
    counts: dict[str, tuple[int, int]]

    def paper_requires(self, *, featured: bool) -> tuple[str, ...]:
        """The paper fields this style requires; a short item (``featured = false``) may
        need fewer."""
        if not featured and self.requires_paper_not_featured is not None:
            return self.requires_paper_not_featured
        return self.requires_paper


@cache  # one class for all styles: building a pydantic model costs milliseconds
def _spec_model() -> type[Any]:
    from pydantic import BaseModel, ConfigDict, Field

    from newsletter.entries.models import Budget, BudgetKey, CountKey, CountRange

    class Requires(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        publication: list[str] = Field(default_factory=list)
        issue: list[str] = Field(default_factory=list)
        paper: list[str] = Field(default_factory=list)
        paper_not_featured: list[str] | None = None

    class Offers(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        issue: list[str] = Field(default_factory=list)

    class Spec(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        description: str
        requires: Requires = Field(default_factory=Requires)
        offers: Offers = Field(default_factory=Offers)
        budgets: dict[BudgetKey, Budget] = Field(default_factory=dict)
        counts: dict[CountKey, CountRange] = Field(default_factory=dict)
        labels: dict[str, str] = Field(default_factory=dict)

    return Spec


def _load_spec(name: str, folder: Path) -> Style:
    from newsletter.entries.models import Issue, Paper, Publication
    from newsletter.entries.tomlfile import read_toml
    from newsletter.entries.validation import validate
    from newsletter.render.registry import formats_in

    spec_path = folder / SPEC_FILE
    # A publication's templates/ comes with pull requests: a style.toml, a style folder or
    # templates/ itself that is a link to elsewhere would show another file's text as its
    # description. (folder is <publication>/templates/<style>, or the package's own.)
    from newsletter.entries.loading import outside, root_of

    if outside(spec_path, root_of(folder.parent.parent)):
        from newsletter.entries.problems import display_path

        # Worded as the template sandbox words it, which refuses the same at render.
        raise NewsletterError(f"{display_path(spec_path)}: is a link that leads outside "
                              "the publication's templates/ folder; not read")
    source, problem = read_toml(spec_path)
    if source is None:
        assert problem is not None
        raise NewsletterError(problem.where())
    spec, problems = validate(source, _spec_model())
    if spec is None:
        raise NewsletterError(problems[0].where())
    for kind, names, model in (
        ("publication", spec.requires.publication, Publication),
        ("issue", spec.requires.issue + spec.offers.issue, Issue),
        ("paper", spec.requires.paper + (spec.requires.paper_not_featured or []), Paper),
    ):
        unknown = sorted(set(names) - set(model.model_fields))
        if unknown:
            raise NewsletterError(
                f"{spec_path}: requires unknown {kind} field(s): {', '.join(unknown)}")
    return Style(
        name=name,
        folder=folder,
        description=" ".join(spec.description.split()),
        formats=formats_in(folder),
        requires_publication=tuple(spec.requires.publication),
        requires_issue=tuple(spec.requires.issue),
        requires_paper=tuple(spec.requires.paper),
        requires_paper_not_featured=(tuple(spec.requires.paper_not_featured)
                                     if spec.requires.paper_not_featured is not None else None),
        offers_issue=tuple(spec.offers.issue),
        labels=spec.labels,
        budgets=spec.budgets,
        counts={name: (low, high) for name, (low, high) in spec.counts.items()},
    )


@cache  # one listing per run: a publication of 500 issues asks 1,000 times
def style_folders(extra_dirs: tuple[Path, ...] = ()) -> dict[str, Path]:
    """Style name → folder; earlier directories win, so a publication overrides built-ins."""
    found: dict[str, Path] = {}
    for root in (*extra_dirs, builtin_templates_dir()):
        if not root.is_dir():
            continue
        for folder in sorted(root.iterdir()):
            if (folder.is_dir() and not folder.name.startswith(("_", "."))
                    and (folder / SPEC_FILE).is_file()):
                found.setdefault(folder.name, folder)
    return found


def styles_of(publication_file: Path | None) -> tuple[str, ...]:
    """The style names a publication can use: the built-in ones and the folders of its own
    ``templates/`` (``publication_file`` need not exist yet: ``init`` writes it)."""
    from newsletter.entries.loading import templates_of

    return tuple(sorted(style_folders(templates_of(publication_file))))


@cache
def _cached_style(name: str, folder: Path) -> Style:
    return _load_spec(name, folder)


def load_style(name: str, extra_dirs: tuple[Path, ...] = ()) -> Style:
    folders = style_folders(extra_dirs)
    if name not in folders:
        raise UsageError(f"unknown style '{name}'; available: {', '.join(sorted(folders))}")
    return _cached_style(name, folders[name])


def all_styles(extra_dirs: tuple[Path, ...] = ()) -> list[Style]:
    return [_cached_style(name, folder) for name, folder in style_folders(extra_dirs).items()]


def forget_styles() -> None:
    """Read the style folders and specs again on next use: a long-running preview calls
    this after a save, since a publication may have changed its own styles."""
    style_folders.cache_clear()
    _cached_style.cache_clear()
