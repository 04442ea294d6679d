"""``newsletter site``: a publication as a static web archive with full-content feeds.

The site is plain files any host serves (GitHub Pages, Netlify, S3)::

    index.html                 the archive: every issue, newest first
    issues/<number>/index.html each issue's web page, in its own house style
    papers/index.html          every paper covered, with the issue it appeared in
    feed.xml rss.xml feed.json Atom, RSS 2.0 and JSON Feed, each issue's whole HTML
    sitemap.xml

Only published issues are in it (``drafts`` adds the drafts). Each is checked as
``render`` checks it, and one that does not check stops the build with its problems.
Issues are found as ``check`` finds them, under the publication's folder and under the
folders its ``[site] include`` names; each renders with its own (nearest) newsletter.toml,
while the site takes its name, language and ``url`` from the publication's.

A build is deterministic (no clock is read) and incremental: an issue whose files, and
everything else its page is made from, are byte-for-byte those of the last build into the
same folder, on this machine, is neither loaded nor rendered again; its summary comes from
a cache in the user's cache folder (never from the output folder, which anyone may have
written to). See ``output`` for what is written and removed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from newsletter import __version__
from newsletter.entries.loading import (
    ISSUE_FILE,
    LoadedIssue,
    Publications,
    find_issue_dirs,
    find_publication_file,
    load_issue,
    outside,
    outside_check,
    paper_files,
    root_of,
    templates_of,
)
from newsletter.entries.problems import Problem, display_path
from newsletter.errors import NewsletterError, UsageError
from newsletter.publish.feeds import FEEDS

if TYPE_CHECKING:
    from newsletter.entries.models import Publication
    from newsletter.entries.styles import Style
    from newsletter.publish.output import OutputDir

# Feeds carry this many of the newest issues by default: each entry is a whole issue
# (tens of KB), and readers fetch the feed often; the archive holds them all.
FEED_ITEMS = 20
# The archive shows the start of each lede, cut at a word near this many characters.
LEDE_CHARS = 240
_CACHE_KIND = "newsletter-site-cache"
_CACHE_FORMAT = 2
# A file changed this recently may change again within the same tick of the file system's
# clock, leaving its times as they were: its issue is not stamped (see _issue_stamp).
_SETTLE_NS = 3_000_000_000
_CACHE_MAX = 64 << 20


class SiteProblems(NewsletterError):
    """Issues that do not check: the build stops, and these are what to fix."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("cannot build the site: fix the problems above first")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class IssueSummary:
    """What the archive, the papers page, the feeds and the sitemap need of one issue;
    small enough to cache for every issue of a large publication."""

    number: int
    date: dt.date
    updated: dt.date | None
    headline: str
    style: str
    draft: bool
    lede: str | None
    publication: str | None
    # The issue's own publication's url, which its feed id is made from.
    identity: str | None
    # Per paper: its title, its link, its anchor on the issue's page.
    papers: tuple[tuple[str, str | None, str], ...]
    page_digest: str

    @property
    def page(self) -> str:
        return f"issues/{self.number}/index.html"

    @property
    def url(self) -> str:
        """The page's address relative to the site's root."""
        return f"issues/{self.number}/"

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "date": self.date.isoformat(),
                "updated": self.updated.isoformat() if self.updated else None,
                "headline": self.headline, "style": self.style, "draft": self.draft,
                "lede": self.lede, "publication": self.publication,
                "identity": self.identity, "papers": [list(p) for p in self.papers],
                "page_digest": self.page_digest}

    @classmethod
    def from_json(cls, data: Any) -> IssueSummary | None:
        """The summary a cache entry holds, or None for anything not exactly one."""
        try:
            def text(value: Any, optional: bool = False) -> Any:
                if value is None and optional:
                    return None
                if not isinstance(value, str):
                    raise TypeError(value)
                return value

            number = data["number"]
            if type(number) is not int or number < 1 or type(data["draft"]) is not bool:
                return None
            papers = tuple((text(p[0]), text(p[1], True), text(p[2]))
                           for p in data["papers"] if isinstance(p, list) and len(p) == 3)
            if len(papers) != len(data["papers"]):
                return None
            updated = text(data["updated"], True)
            return cls(number=number, date=dt.date.fromisoformat(text(data["date"])),
                       updated=dt.date.fromisoformat(updated) if updated else None,
                       headline=text(data["headline"]), style=text(data["style"]),
                       draft=data["draft"], lede=text(data["lede"], True),
                       publication=text(data["publication"], True),
                       identity=text(data["identity"], True), papers=papers,
                       page_digest=text(data["page_digest"]))
        except (KeyError, TypeError, ValueError, IndexError):
            return None


@dataclass
class SiteResult:
    """What a build did: file names relative to the output folder."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    issues: int = 0
    rendered: int = 0
    # What a draft still lacks (with --drafts), as check words it.
    warnings: list[Problem] = field(default_factory=list)


# ----------------------------------------------------------------------------- the site


@dataclass(frozen=True, slots=True)
class _Site:
    publication_file: Path
    publication: Publication
    base_url: str
    identity: str
    name: str

    @property
    def language(self) -> str:
        return self.publication.language or "en"


def check_base_url(value: str, where: str) -> str:
    """An absolute http(s) URL a site is served from, ending with '/' (a folder)."""
    from newsletter.entries.models import LINE_FORBIDDEN

    parts = urlsplit(value)
    problem = None
    if LINE_FORBIDDEN.search(value) or any(char.isspace() for char in value):
        problem = "has a space or a control character"
    elif parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        problem = "is not an http:// or https:// URL with a host"
    elif parts.username is not None or parts.password is not None:
        problem = "carries a user name or password, which would be published in every link"
    elif parts.query or parts.fragment or value.endswith(("?", "#")):
        problem = "has a query or fragment; the site's address is a folder"
    if problem is not None:
        raise UsageError(f"{where} {problem}: give the address the site is served from, "
                         "e.g. https://example.com/newsletter/")
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        raise UsageError(f"{where} has a port that is not a number") from None
    return value if value.endswith("/") else value + "/"


def _site(root: Path, base_url: str | None, publications: Publications) -> _Site:
    from newsletter.entries.problems import has_errors

    found = find_publication_file(root)
    if found is None:
        raise UsageError(f"{display_path(root)}: no newsletter.toml here or above; the site "
                         "takes its name and url from the publication's")
    holder = LoadedIssue(directory=found.parent)
    publications.load_into(found, holder)
    if has_errors(holder.problems) or holder.publication is None:
        raise SiteProblems(holder.problems)
    publication = holder.publication
    shown = display_path(found)
    if not publication.name:
        raise UsageError(f"{shown}: has no name, which titles the site's pages and feeds; "
                         "add name = \"...\"")
    if base_url is not None:
        base = check_base_url(base_url, f"--base-url '{base_url}'")
    elif publication.url:
        base = check_base_url(publication.url, f"{shown}: url '{publication.url}'")
    else:
        raise UsageError(f"{shown}: has no url, which the feeds and the sitemap need for "
                         "absolute links; add url = \"https://...\" or pass --base-url")
    return _Site(found, publication, base, publication.url or base, publication.name)


def repository_root(folder: Path) -> str | None:
    """The real path of the git repository ``folder`` is in (the nearest folder at or
    above it with a ``.git``), or None. Git refuses to track a ``.git`` of its own, so no
    pull request can move this boundary."""
    current = os.path.realpath(folder)
    while True:
        if os.path.lexists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _includes(site: _Site) -> list[Path]:
    """The folders of issues the site holds besides its own folder (``[site] include``):
    each inside the repository (or, outside one, inside the publication's folder), where
    a pull request cannot reach past what the repository holds."""
    folders = site.publication.site.include
    if not folders:
        return []
    base = site.publication_file.parent
    limit = repository_root(base) or root_of(base)
    shown = display_path(site.publication_file)
    found = []
    for name in folders:
        folder = base / name
        if outside(folder, limit):
            raise UsageError(f"{shown}: [site] include '{name}' leads outside the "
                             "repository; not read")
        if not folder.is_dir():
            raise UsageError(f"{shown}: [site] include '{name}' is not a folder")
        found.append(folder)
    return found


# ----------------------------------------------------------------------------- inputs


def _hash_files(hasher: Any, paths: Iterable[Path], root: str,
                read: dict[str, bytes] | None = None) -> bool:
    """Feed each file's name and bytes to ``hasher`` (and, with ``read``, keep the bytes
    there by ``str(path)``); False when one cannot be read as an entry is (then nothing is
    cached: loading reports the file), or leads out of ``root``."""
    from newsletter.entries.tomlfile import read_bytes

    leads_out = outside_check(root)
    for path in paths:
        if leads_out(path):
            return False
        raw, _ = read_bytes(path)
        if raw is None:
            return False
        hasher.update(os.fsencode(path.name) + b"\0" + len(raw).to_bytes(8, "big") + raw)
        if read is not None:
            read[str(path)] = raw
    return True


@cache
def _builtin_fingerprint() -> str:
    """The bundled templates' bytes: a page changes with them, not only with the version."""
    from newsletter.entries.styles import builtin_templates_dir

    hasher = hashlib.sha256(f"{_CACHE_FORMAT}:{__version__}".encode())
    top = builtin_templates_dir()
    for path in sorted(top.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            hasher.update(os.fsencode(path.relative_to(top)) + b"\0" + path.read_bytes())
    return hasher.hexdigest()


def _templates_fingerprint(publication_file: Path | None) -> str | None:
    """A publication's own templates/ folder's files, names and bytes (None: unreadable)."""
    hasher = hashlib.sha256()
    for own in templates_of(publication_file):
        root = root_of(own)
        files = sorted(path for path in own.rglob("*") if path.is_file())
        hasher.update(os.fsencode(own))
        for path in files:
            if outside(path, root):
                return None
            try:
                hasher.update(os.fsencode(path.relative_to(own)) + b"\0" + path.read_bytes())
            except OSError:
                return None
    return hasher.hexdigest()


def _issue_key(issue_dir: Path, site_key: str, publications: Publications,
               templates: dict[Path | None, str | None],
               read: dict[str, bytes] | None = None,
               papers: list[Path] | None = None) -> str | None:
    """The hash of everything the issue's page is made from, or None when some file
    cannot be read (the issue is then loaded, and its problem reported). ``read`` is
    given the bytes hashed, by ``str(path)``, for loading the issue from; ``papers`` are
    the issue's paper files, when they are already listed."""
    publication = publications.find(issue_dir)
    own = _own_templates(publication, templates)
    if own is None:
        return None
    hasher = hashlib.sha256(f"{site_key}\0{own}\0".encode())
    root = root_of(publication.parent if publication is not None else issue_dir)
    files = _issue_files(issue_dir, publication,
                         paper_files(issue_dir) if papers is None else papers)
    return hasher.hexdigest() if _hash_files(hasher, files, root, read) else None


def _issue_files(issue_dir: Path, publication: Path | None, papers: list[Path]) -> list[Path]:
    """Every file an issue's page is made from but the templates: newsletter.toml,
    issue.toml, the papers, in that order."""
    return [*([publication] if publication is not None else []), issue_dir / ISSUE_FILE,
            *papers]


def _own_templates(publication: Path | None,
                   templates: dict[Path | None, str | None]) -> str | None:
    """The fingerprint of ``publication``'s own templates, made once a run."""
    if publication not in templates:
        templates[publication] = _templates_fingerprint(publication)
    return templates[publication]


def _issue_stamp(issue_dir: Path, publications: Publications,
                 templates: dict[Path | None, str | None], papers: list[Path]) -> str | None:
    """What the file system says of every file the issue's page is made from (names, and
    of each its device, inode, size, mode and times), or None when that cannot be
    trusted: a file that is a link (its target may change while it does not), that cannot
    be looked at, or that changed less than _SETTLE_NS ago. A rebuild whose stamp is the
    last build's takes its key without reading a file, as git's index and make do; any
    write to a file gives it a new ctime, which no one can set."""
    publication = publications.find(issue_dir)
    own = _own_templates(publication, templates)  # its templates are read each build
    if own is None:
        return None
    settled = time.time_ns() - _SETTLE_NS
    parts = [own]
    for path in map(os.fspath, _issue_files(issue_dir, publication, papers)):
        try:
            status = os.lstat(path)
        except OSError:
            return None
        if (stat.S_ISLNK(status.st_mode)
                or max(status.st_mtime_ns, status.st_ctime_ns) > settled):
            return None
        parts.append(f"{path}\0{status.st_dev}:{status.st_ino}:{status.st_size}:"
                     f"{status.st_mode}:{status.st_mtime_ns}:{status.st_ctime_ns}\0")
    # One hash of one string: it runs for every file of every issue on each rebuild.
    return hashlib.sha256("".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


# ----------------------------------------------------------------------------- the cache


def _cache_path(output_real: str) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    name = hashlib.sha256(os.fsencode(output_real)).hexdigest()[:32]
    return Path(base) / "newsletter" / "site" / f"{name}.json"


def _read_cache(path: Path, site_key: str
                ) -> dict[str, tuple[str, IssueSummary, str | None]]:
    """issue folder → (its key, its summary, its stamp) from the last build into this
    output."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(_CACHE_MAX + 1)
        data = json.loads(raw) if len(raw) <= _CACHE_MAX else None
    except (OSError, ValueError, RecursionError):
        return {}
    if (not isinstance(data, dict) or data.get("kind") != _CACHE_KIND
            or data.get("site") != site_key or not isinstance(data.get("issues"), dict)):
        return {}
    found = {}
    for folder, entry in data["issues"].items():
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            summary = IssueSummary.from_json(entry.get("summary"))
            stamp = entry.get("stamp")
            if summary is not None:
                found[folder] = (entry["key"], summary,
                                 stamp if isinstance(stamp, str) else None)
    return found


def _write_cache(path: Path, site_key: str,
                 entries: dict[str, tuple[str, IssueSummary, str | None]]) -> None:
    from newsletter.errors import WriteError
    from newsletter.write.atomic import write_atomic

    body = {"kind": _CACHE_KIND, "format": _CACHE_FORMAT, "site": site_key,
            "issues": {folder: {"key": key, "stamp": stamp, "summary": summary.to_json()}
                       for folder, (key, summary, stamp) in sorted(entries.items())}}
    # A cache that cannot be kept only makes the next build slower.
    with contextlib.suppress(WriteError):
        write_atomic(path, json.dumps(body, ensure_ascii=False), make_parents=True)


# ----------------------------------------------------------------------------- issues


def _excerpt(text: str | None) -> str | None:
    """The start of a lede as plain text: its first paragraph, cut near LEDE_CHARS."""
    if not text:
        return None
    from newsletter.render.markup import one_line, to_plain

    first = text.strip().split("\n\n", 1)[0]
    plain = " ".join(to_plain(one_line(first)).split())
    if len(plain) <= LEDE_CHARS:
        return plain
    cut = plain[:LEDE_CHARS].rsplit(" ", 1)[0].rstrip(",;:.–—-")
    return cut + "…"


def _summary(loaded: LoadedIssue, style: Style, page: bytes) -> IssueSummary:
    from newsletter.publish.output import sha256
    from newsletter.render.document import document_title, paper_anchors

    issue = loaded.issue
    assert issue is not None
    publication = loaded.publication
    return IssueSummary(
        number=issue.number, date=issue.date, updated=issue.updated,
        headline=issue.title or document_title(loaded), style=style.name,
        draft=loaded.is_draft, lede=_excerpt(issue.lede),
        publication=publication.name if publication else None,
        identity=publication.url if publication else None,
        papers=tuple((item.paper.title, item.paper.url, anchor) for item, anchor in
                     zip(loaded.papers, paper_anchors(loaded), strict=True)
                     if item.paper is not None),
        page_digest=sha256(page))


def _site_page(site: _Site, depth: int) -> Any:
    from newsletter.render.document import SitePage

    up = "../" * depth
    return SitePage(archive_url=up or "./", feeds=tuple(
        (media_type, f"{site.name} ({label})", up + name) for name, media_type, label in FEEDS))


def _status(loaded_source: Any) -> bool:
    data = loaded_source.data if loaded_source is not None else {}
    return data.get("status", "draft") == "published"


def _duplicate_numbers(numbers: dict[int, list[Path]]) -> list[Problem]:
    from newsletter.entries.positions import span
    from newsletter.entries.tomlfile import read_text

    problems = []
    for number, folders in numbers.items():
        for later in folders[1:]:
            path = later / ISSUE_FILE
            text, _ = read_text(path)
            line, column = span(text, ("number",))[:2] if text is not None else (1, 1)
            problems.append(Problem(
                path, line, column, f"issue {number} is numbered like "
                f"{display_path(folders[0])}; each issue of a site needs its own number "
                f"(its page is issues/{number}/)", "duplicate-number"))
    return problems


# ----------------------------------------------------------------------------- the build


@dataclass(frozen=True)
class _Task:
    """One issue for a worker to load, check and render (everything pickles). With
    ``site_key``, the worker also makes the issue's cache key (see ``_issue_key``): it
    reads the files anyway, and the main process need not read them first."""

    issue_dir: Path
    drafts: bool
    page: Any
    site_key: str | None = None


@dataclass(frozen=True, slots=True)
class _Rendered:
    """What a worker found: the issue's problems (the errors that keep it out, or the
    warnings it is built with), its page and summary when it is built, and the key the
    task asked for."""

    problems: list[Problem]
    page: bytes | None = None
    summary: IssueSummary | None = None
    key: str | None = None
    stamp: str | None = None


def _render_issue(task: _Task, publications: Publications | None = None,
                  templates: dict[Path | None, str | None] | None = None) -> _Rendered:
    """Load, check and render one issue."""
    from newsletter.check.issue import check_with_style
    from newsletter.entries.problems import has_errors
    from newsletter.render.document import render_document

    publications = publications or _worker_publications()
    key = None
    # The files hashed for the key are loaded from the same bytes: read once, and the
    # page is made from what the key says it is.
    read: dict[str, bytes] = {}
    papers = paper_files(task.issue_dir)
    stamp = None
    if task.site_key is not None:
        # Stamped before the files are read: a change in between leaves a stamp the next
        # build does not find again, so it reads the files.
        templates = _worker_templates() if templates is None else templates
        stamp = _issue_stamp(task.issue_dir, publications, templates, papers)
        key = _issue_key(task.issue_dir, task.site_key, publications, templates, read, papers)
    loaded = load_issue(task.issue_dir, publications=publications, papers=papers,
                        contents=read if key is not None else None)
    if loaded.issue_source is None or (loaded.is_draft and not task.drafts):
        return _Rendered(loaded.problems if loaded.issue_source is None else [])
    found, style = check_with_style(loaded)
    if has_errors(found) or style is None or loaded.issue is None:
        return _Rendered(found)
    if "html" not in style.formats:
        return _Rendered([Problem(loaded.issue_path, 1, 1, f"style '{style.name}' has no web "
                                  "page (issue.html.j2), which the site needs",
                                  "unknown-style")])
    page = render_document(loaded, style, "html", site=task.page)
    return _Rendered([p for p in found if p.rule == "incomplete"], page,
                     _summary(loaded, style, page), key, stamp)


@cache
def _worker_publications() -> Publications:
    """In a worker process of ``--jobs``: one reading of each newsletter.toml."""
    return Publications()


@cache
def _worker_templates() -> dict[Path | None, str | None]:
    """In a worker process: each publication's templates fingerprinted once."""
    return {}


def build_site(root: Path, output: Path, *, drafts: bool = False, base_url: str | None = None,
               feed_items: int = FEED_ITEMS, jobs: int = 1,
               progress: Callable[[int, int], None] | None = None) -> SiteResult:
    """Build (or bring up to date) the site of the publication at ``root`` in ``output``.

    Raises SiteProblems when an issue does not check (its problems are what to print),
    UsageError for a wrong argument, WriteError when the output cannot be written.
    ``progress`` is told (issues done, issues in all) as the issues are read and rendered;
    ``jobs`` processes render the issues the cache cannot answer, when there are enough.
    One build at a time writes into one output folder (see ``output.build_lock``).
    """
    from newsletter.publish.output import OutputDir

    publications = Publications()
    site = _site(root, base_url, publications)
    issue_dirs = find_issue_dirs([root, *_includes(site)])
    protected = [*issue_dirs, *templates_of(site.publication_file)]
    protected += [own for folder in issue_dirs
                  for own in templates_of(publications.find(folder))]
    out = OutputDir(output, sources=[site.publication_file.parent, root], protected=protected)
    with out.locked():
        return _build_into(out, site, issue_dirs, publications, drafts=drafts,
                           feed_items=feed_items, jobs=jobs, progress=progress)


def _build_into(out: OutputDir, site: _Site, issue_dirs: list[Path],
                publications: Publications, *, drafts: bool, feed_items: int, jobs: int,
                progress: Callable[[int, int], None] | None) -> SiteResult:
    from newsletter.entries.problems import has_errors, sort_problems
    from newsletter.entries.tomlfile import read_toml
    from newsletter.processes import spread

    site_key = hashlib.sha256("\0".join(
        [_builtin_fingerprint(), site.base_url, site.name, site.language]).encode()).hexdigest()
    cache_file = _cache_path(out.real)
    cached = _read_cache(cache_file, site_key)
    templates: dict[Path | None, str | None] = {}
    result = SiteResult()
    problems: list[Problem] = []
    summaries: list[IssueSummary] = []
    pages: dict[str, bytes] = {}
    kept: dict[str, str] = {}
    keep_cache: dict[str, tuple[str, IssueSummary, str | None]] = {}
    numbers: dict[int, list[Path]] = {}
    issue_page = _site_page(site, 2)

    # First what the cache answers (cheap, in order), then the rest, loaded, checked and
    # rendered, over ``jobs`` processes when there are enough of them. An issue the cache
    # does not hold at all (every issue of a first build) has its key made by the worker.
    misses: list[tuple[Path, str | None, str | None]] = []
    for issue_dir in issue_dirs:
        folder = os.path.abspath(issue_dir)
        hit = cached.get(folder)
        key = stamp = None
        if hit is not None:
            papers = paper_files(issue_dir)
            stamp = _issue_stamp(issue_dir, publications, templates, papers)
            # Files stamped as when the key was made are the same files: not read again.
            key = hit[0] if stamp is not None and stamp == hit[2] else _issue_key(
                issue_dir, site_key, publications, templates, papers=papers)
        if key is not None and hit is not None and hit[0] == key:
            summary = hit[1]
            if (not summary.draft or drafts) and out.unchanged(summary.page,
                                                               summary.page_digest):
                summaries.append(summary)
                kept[summary.page] = summary.page_digest
                keep_cache[folder] = (key, summary, stamp)
                numbers.setdefault(summary.number, []).append(issue_dir)
                continue
        if not drafts:
            # A draft is not the site's business: not loaded, and its problems not ours.
            source, _ = read_toml(issue_dir / ISSUE_FILE)
            if source is not None and not _status(source):
                continue
        misses.append((issue_dir, key, stamp))

    def advance(done: int, total: int) -> None:
        if progress is not None:
            progress(len(issue_dirs) - total + done, len(issue_dirs))

    tasks = [_Task(issue_dir, drafts, issue_page,
                   site_key if cached.get(os.path.abspath(issue_dir)) is None else None)
             for issue_dir, _, _ in misses]
    rendered = spread(_render_issue, tasks, jobs, progress=advance,
                      serial=lambda task: _render_issue(task, publications, templates))
    for (issue_dir, known_key, known_stamp), done in zip(misses, rendered, strict=True):
        summary, page, key = done.summary, done.page, done.key or known_key
        if summary is None or page is None:
            problems.extend(done.problems)
            continue
        result.warnings.extend(done.problems)
        pages[summary.page] = page
        summaries.append(summary)
        numbers.setdefault(summary.number, []).append(issue_dir)
        result.rendered += 1
        if key is not None:
            keep_cache[os.path.abspath(issue_dir)] = (key, summary, done.stamp or known_stamp)
    if progress is not None:
        progress(len(issue_dirs), len(issue_dirs))
    problems.extend(_duplicate_numbers(numbers))
    if has_errors(problems):
        raise SiteProblems(sort_problems(problems))

    summaries.sort(key=lambda s: (s.date, s.number), reverse=True)
    files = dict(pages)
    files.update(_site_files(site, summaries, pages, out, feed_items))
    # The cache is written with the site, Ctrl-C held off for both: an interrupted build
    # that did write the site in full also knows it the next time.
    result.written, result.unchanged, result.removed = out.write_all(
        files, kept, then=lambda: _write_cache(cache_file, site_key, keep_cache))
    result.issues = len(summaries)
    return result


# ----------------------------------------------------------------------------- site pages


@cache
def _site_environment() -> Any:
    import jinja2

    from newsletter.entries.styles import builtin_templates_dir
    from newsletter.render.compiled import bytecode_cache, cache_options

    top = builtin_templates_dir()
    options: dict[str, Any] = dict(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False)
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([top / "_site", top / "_base"]),
        bytecode_cache=bytecode_cache(cache_options(**options)), **options)


def _render_site_page(template: str, site: _Site, depth: int, date: Callable[[dt.date], str],
                      **context: Any) -> bytes:
    page = _site_page(site, depth)
    text = _site_environment().get_template(template).render(
        site=page, name=site.name, tagline=site.publication.tagline,
        language=site.language, root="../" * depth or "./", date=date,
        # Only in an issue's page: the site's pages have no style, no draft, no email.
        for_email=False, draft=False, **context)
    return text.encode("utf-8")


def _site_files(site: _Site, summaries: list[IssueSummary], pages: dict[str, bytes],
                out: OutputDir, feed_items: int) -> dict[str, bytes]:
    from newsletter.publish.feeds import (
        FeedEntry,
        FeedInfo,
        atom_feed,
        feed_html,
        json_feed,
        rss_feed,
        tag_uri,
    )
    from newsletter.render.dates import format_date

    # Each issue's date as read, formatted once for the archive and the papers page both
    # (CLDR formatting is slow, and every issue has a date of its own).
    dates: dict[dt.date, str] = {}

    def date(value: dt.date) -> str:
        if value not in dates:
            dates[value] = format_date(value, "long", site.language)
        return dates[value]

    files: dict[str, bytes] = {}
    files["index.html"] = _render_site_page("archive.html.j2", site, 0, date,
                                            issues=summaries)
    # Each paper with its issue's date, as the datetime attribute and as read, written
    # once an issue: the page has a row for every paper of every issue.
    papers = sorted(((title, url, anchor, summary, *when) for summary in summaries
                     for when in [(summary.date.isoformat(), date(summary.date))]
                     for title, url, anchor in summary.papers),
                    key=lambda p: (p[0].casefold(), p[0], -p[3].date.toordinal(),
                                   -p[3].number))
    files["papers/index.html"] = _render_site_page("papers.html.j2", site, 1, date,
                                                   papers=papers)

    entries = []
    for summary in summaries[:feed_items] if feed_items > 0 else summaries:
        page = pages.get(summary.page) or out.read(summary.page) or b""
        url = site.base_url + summary.url
        entries.append(FeedEntry(
            id=tag_uri(summary.identity or site.identity, summary.date.year, summary.number),
            title=summary.headline, url=url, published=summary.date,
            updated=max(summary.updated or summary.date, summary.date),
            summary=summary.lede,
            content_html=feed_html(page.decode("utf-8", errors="replace"), url)))
    info = FeedInfo(title=site.name, subtitle=site.publication.tagline,
                    home_url=site.base_url,
                    feed_urls={name: site.base_url + name for name, _, _ in FEEDS},
                    language=site.language, id=site.identity, author=site.name)
    files["feed.xml"] = atom_feed(info, entries)
    files["rss.xml"] = rss_feed(info, entries)
    files["feed.json"] = json_feed(info, entries)
    files["sitemap.xml"] = _sitemap(site, summaries)
    return files


def _sitemap(site: _Site, summaries: list[IssueSummary]) -> bytes:
    import xml.etree.ElementTree as ET

    from newsletter.publish.feeds import xml_text

    newest = max((s.updated or s.date for s in summaries), default=None)
    urlset = ET.Element("urlset", {"xmlns": "http://www.sitemaps.org/schemas/sitemap/0.9"})
    rows = [("", newest), ("papers/", newest)]
    rows += [(s.url, max(s.updated or s.date, s.date)) for s in summaries]
    for path, modified in rows:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = xml_text(site.base_url + path)
        if modified is not None:
            ET.SubElement(url, "lastmod").text = modified.isoformat()
    ET.indent(urlset, space="  ")
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            + ET.tostring(urlset, encoding="unicode") + "\n").encode("utf-8")
