"""``import``: many papers into an issue at once, from arXiv ids, DOIs, .bib files and lists.

The order is fixed so that nothing is half-done: every SOURCE is read, every paper's
metadata gathered (``newsletter.intake.gather``: the cache, then one arXiv request and the
DOIs), papers already in the issue or covered in an earlier issue of the publication set
aside with a note naming where, and every new paper validated as a paper file. Only when
all of that succeeded is anything written to the issue, each paper as its own numbered file
(``create.add_paper.save_paper``). A failure anywhere writes no paper; what was fetched is
kept in ``sources/``, so the rerun after the fix is quick and asks no server again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsletter.entries.identity import paper_key
from newsletter.entries.loading import (
    ISSUE_FILE,
    PAPERS_DIR,
    find_issue_dirs,
    find_publication_file,
    has_issue_file,
    outside_check,
    paper_files,
    root_of,
)
from newsletter.entries.problems import display_path, printable
from newsletter.errors import NewsletterError, UsageError

if TYPE_CHECKING:
    from newsletter.entries.loading import LoadedIssue
    from newsletter.intake.arxiv import ArxivClient
    from newsletter.intake.gather import Found
    from newsletter.intake.sources import Metadata, Record


class ImportFailed(NewsletterError):
    """Some papers could not be imported; ``failures`` holds one line for each. Nothing
    was written to the issue."""

    def __init__(self, failures: list[str]) -> None:
        self.failures = failures
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        super().__init__(failures[0] + more)


@dataclass
class ImportReport:
    """What an import did: the papers written, the ones set aside and why, and what the
    issue's style still needs of each new paper."""

    written: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    still_needed: dict[Path, list[str]] = field(default_factory=dict)
    origins: Counter[str] = field(default_factory=Counter)  # cache / fetched / written
    requests: int = 0
    style: str | None = None


def _contact(loaded: LoadedIssue) -> str | None:
    """The publication's contact address: from its model, or, when newsletter.toml has
    another problem (or this one), as written, for the DOI fetch to refuse by name."""
    if loaded.publication is not None:
        return loaded.publication.contact
    source = loaded.publication_source
    written = source.data.get("contact") if source is not None else None
    return written if isinstance(written, str) else None


def publication_root(issue_dir: Path) -> Path:
    """Where ``sources/`` lives: beside the nearest newsletter.toml, else in the issue."""
    publication = find_publication_file(issue_dir)
    return publication.parent if publication is not None else issue_dir


def paper_fields(metadata: Metadata) -> dict[str, Any]:
    """The paper fields a record fills: what the paper says of itself."""
    from newsletter.intake.doi import doi_url

    url = metadata.url
    if url is None and metadata.arxiv_id:
        from newsletter.entries.identity import parse_arxiv

        found = parse_arxiv(metadata.arxiv_id)
        url = found.abs_url if found else None
    if url is None and metadata.doi:
        url = doi_url(metadata.doi)
    fields: dict[str, Any] = {"title": metadata.title, "url": url,
                              "authors": list(metadata.authors), "abstract": metadata.abstract,
                              "published": metadata.published,
                              "arxiv_id": metadata.arxiv_id, "doi": metadata.doi}
    return {name: value for name, value in fields.items() if value not in (None, [])}


def _issue_number(issue_dir: Path) -> int | None:
    from newsletter.entries.tomlfile import read_toml

    source, _ = read_toml(issue_dir / ISSUE_FILE)
    number = source.data.get("number") if source is not None else None
    return number if type(number) is int else None


def known_papers(issue_dir: Path, root: Path) -> dict[str, str]:
    """Each identity key (``identity.paper_key``) of the papers of this issue and of the
    other issues of the publication at ``root``, with where it is, as a note says it."""
    from newsletter.entries.tomlfile import read_toml

    known: dict[str, str] = {}
    here = Path(issue_dir).resolve()
    leads_out = outside_check(root_of(root))
    others = [d for d in find_issue_dirs([root]) if Path(d).resolve() != here]
    for directory in [issue_dir, *others]:
        own = directory is issue_dir
        number = None if own else _issue_number(directory)
        for path in paper_files(directory):
            if leads_out(path):
                continue  # not the publication's: never read
            source, _ = read_toml(path)
            data = source.data if source is not None else {}
            title = data.get("title")
            if not isinstance(title, str):
                continue
            url, arxiv, doi = (value if isinstance(value := data.get(key), str) else None
                               for key in ("url", "arxiv_id", "doi"))
            where = (f"already in this issue ({display_path(path)})" if own else
                     f"covered in issue {number} ({display_path(path)})" if number else
                     f"covered in {display_path(path)}")
            for key in paper_key(url, title, arxiv, doi):
                known.setdefault(key, where)
    return known


def _refused_published(issue_dir: Path, style: str, needed: dict[str, list[str]]) -> str:
    fields = sorted({name for names in needed.values() for name in names})
    return (f"{display_path(issue_dir / ISSUE_FILE)}: the issue is published, and the "
            f"imported papers would lack {', '.join(fields)} (style '{style}' requires "
            "them); set status = \"draft\" to import, then write them")


def import_papers(issue_dir: Path, sources: list[str], *, refresh: bool = False,
                  offline: bool = False, arxiv: ArxivClient | None = None,
                  fetch_doi: Callable[..., Record] | None = None,
                  advance: Callable[[int], None] | None = None,
                  total: Callable[[int], None] | None = None) -> ImportReport:
    """Import the papers ``sources`` name into the issue at ``issue_dir``.

    ``total`` is told how many papers were asked for once the sources are read, and
    ``advance`` how many were settled since, for a progress bar. Raises ImportFailed (a line
    for each paper that failed; nothing written), or another NewsletterError for the issue
    itself."""
    from newsletter.check.issue import resolve_style
    from newsletter.create.add_paper import (
        build_paper,
        missing_for_style,
        papers_folder,
        papers_lock,
        save_paper,
    )
    from newsletter.entries.loading import load_issue
    from newsletter.entries.models import Paper
    from newsletter.entries.validation import validation_messages
    from newsletter.intake.gather import gather
    from newsletter.intake.wanted import SourceError, wanted_from

    if not has_issue_file(issue_dir):
        raise UsageError(f"{display_path(issue_dir)}: not an issue directory (no "
                         f"{ISSUE_FILE}); create one with 'newsletter new-issue'")
    if not sources:
        raise UsageError("name at least one SOURCE: an arXiv id or link, a DOI, a .bib "
                         "file, or a file of ids")
    root = publication_root(issue_dir)
    try:
        wanted = wanted_from(sources, root)
    except SourceError as error:
        raise ImportFailed([str(error)]) from None
    except NewsletterError as error:  # a .bib file's BibError
        raise ImportFailed([str(error)]) from None
    if total is not None:
        total(len(wanted))

    loaded = load_issue(issue_dir)
    contact = _contact(loaded)
    gathered = gather(root, wanted, refresh=refresh, offline=offline, contact=contact,
                      arxiv=arxiv, fetch_doi=fetch_doi, advance=advance)
    report = ImportReport(requests=gathered.requests)
    failures = list(gathered.failures)

    # The issue's papers are locked from the check for those already there to the last
    # paper written (add-paper takes the same lock): two writers at once would both find
    # a paper new, and the second then stop half-way.
    papers_folder(issue_dir)
    with papers_lock(issue_dir):
        known = known_papers(issue_dir, root)
        planned: list[tuple[Found, dict[str, Any]]] = []
        for found in gathered.found:
            fields = paper_fields(found.metadata)
            keys = paper_key(fields.get("url"), fields["title"], fields.get("arxiv_id"),
                             fields.get("doi"))
            where = next((known[key] for key in keys if key in known), None)
            if where is not None:
                report.skipped.append(f"{found.wanted.source}: {where}")
                continue
            messages = validation_messages(fields, Paper)
            if messages:
                failures.append(f"{found.wanted.source}: cannot be a paper: " +
                                "; ".join(messages))
                continue
            for key in keys:
                known[key] = f"named twice in this import (first as {found.wanted.source})"
            planned.append((found, fields))
        if failures:
            raise ImportFailed(failures)

        chosen, _ = resolve_style(loaded) if loaded.issue_source is not None else (None, [])
        report.style = chosen.name if chosen is not None else None
        needed = {found.wanted.source: missing_for_style(fields, chosen)
                  for found, fields in planned} if chosen is not None else {}
        if chosen is not None and not loaded.is_draft and any(needed.values()):
            raise NewsletterError(_refused_published(issue_dir, chosen.name, needed))

        papers = [(found, build_paper(fields)) for found, fields in planned]
        for found, paper in papers:
            path = save_paper(issue_dir, paper, locked=True)
            report.written.append(path)
            report.origins[found.origin] += 1
            if needed.get(found.wanted.source):
                report.still_needed[path] = needed[found.wanted.source]
    return report


def fetched_fields(issue_dir: Path, *, arxiv_source: str | None = None,
                   doi_source: str | None = None, refresh: bool = False,
                   offline: bool = False, arxiv: ArxivClient | None = None,
                   fetch_doi: Callable[..., Record] | None = None) -> dict[str, Any]:
    """The fields of the one paper ``add-paper --arxiv`` or ``--doi`` names, from the
    cache or the network (and kept in the cache); a NewsletterError naming it if none."""
    from newsletter.entries.loading import load_issue
    from newsletter.intake.gather import gather
    from newsletter.intake.wanted import Wanted, name_of

    if arxiv_source is not None and doi_source is not None:
        raise UsageError("give --arxiv or --doi, not both: a paper is fetched from one place")
    text = arxiv_source if arxiv_source is not None else doi_source
    assert text is not None
    found_arxiv, found_doi = name_of(text)
    shown = printable(text[:80])
    if arxiv_source is not None and found_arxiv is None:
        raise UsageError(f"--arxiv {shown}: not an arXiv id or link (2604.01234, "
                         "arXiv:2604.01234v2, https://arxiv.org/abs/...)")
    if doi_source is not None and found_arxiv is None and found_doi is None:
        raise UsageError(f"--doi {shown}: not a DOI (10.NNNN/..., doi:..., "
                         "https://doi.org/...)")
    loaded = load_issue(issue_dir)
    contact = _contact(loaded)
    gathered = gather(publication_root(issue_dir),
                      [Wanted(text.strip(), found_arxiv, found_doi)], refresh=refresh,
                      offline=offline, contact=contact, arxiv=arxiv, fetch_doi=fetch_doi)
    if gathered.failures:
        raise NewsletterError(gathered.failures[0])
    return paper_fields(gathered.found[0].metadata)


def summary(issue_dir: Path, report: ImportReport) -> str:
    """The one line an import ends with."""
    count = len(report.written)
    head = (f"imported {count} paper{'s' if count != 1 else ''} into "
            f"{display_path(issue_dir / PAPERS_DIR)}")
    parts = [f"{report.origins[origin]} {label}" for origin, label in (
        ("cache", f"from {'sources/'}"), ("fetched", "fetched"),
        ("written", "as the .bib wrote them")) if report.origins[origin]]
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    if report.requests:
        parts.append(f"{report.requests} request{'s' if report.requests != 1 else ''}")
    return head + (f" ({', '.join(parts)})" if parts else "")
