"""Peer tools on the same content: towncrier news fragments and Pelican Markdown articles.

The peers live in their own virtual environment, ``benchmarks/.venv-peers``, made on demand
and never a dependency of the project. Their inputs are written from the synthetic papers:
each fragment or article carries the paper's summary (or problem, overview, blurb) text.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

PEERS_VENV = Path(__file__).resolve().parent / ".venv-peers"
PACKAGES = ("towncrier", "pelican", "markdown")
TEXT_FIELDS = ("summary", "problem", "overview", "blurb")
FRAGMENT_TYPES = ("feature", "bugfix", "doc", "removal")
INSTALL_TIMEOUT = 600

TOWNCRIER_CONFIG = """\
[tool.towncrier]
name = "Synthetic AI Research Bench"
version = "1.0.0"
directory = "newsfragments"
filename = "NEWS.md"
"""

# Pelican's defaults, minus the feeds (which need SITEURL) and with every cache off, so each
# run builds the whole site from scratch like a cold `newsletter check`.
PELICAN_CONFIG = """\
AUTHOR = "Bench"
SITENAME = "Synthetic AI Research Bench"
SITEURL = ""
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
DEFAULT_PAGINATION = False
RELATIVE_URLS = True
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""


@dataclass(frozen=True)
class Entry:
    """What a peer needs of one synthetic paper."""

    title: str
    date: str
    text: str


@dataclass(frozen=True)
class PeerTools:
    """Paths of the peer commands, or why they are unavailable."""

    towncrier: Path | None
    pelican: Path | None
    note: str = ""

    def version(self, tool: Path | None) -> str:
        if tool is None:
            return "unavailable"
        done = subprocess.run([str(tool), "--version"], capture_output=True, text=True,
                              check=False)
        return done.stdout.strip().split(",")[-1].strip() or "unknown"


def _bin(name: str) -> Path:
    return PEERS_VENV / "bin" / name


def _installed() -> PeerTools:
    found = {name: _bin(name) if _bin(name).is_file() else None
             for name in ("towncrier", "pelican")}
    return PeerTools(found["towncrier"], found["pelican"])


def ensure_peers(log: Path) -> PeerTools:
    """The peers' commands, creating ``.venv-peers`` and installing them when needed.

    Never raises: a failed venv or pip install leaves the peer unavailable, with a note.
    """
    tools = _installed()
    if tools.towncrier and tools.pelican:
        return tools
    print(f"installing {', '.join(PACKAGES)} into {PEERS_VENV} (log: {log})", file=sys.stderr)
    try:
        with log.open("w", encoding="utf-8") as out:
            if not _bin("python").exists():
                subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], stdout=out,
                               stderr=subprocess.STDOUT, check=True, timeout=INSTALL_TIMEOUT)
            subprocess.run([str(_bin("python")), "-m", "pip", "install", *PACKAGES],
                           stdout=out, stderr=subprocess.STDOUT, check=True,
                           timeout=INSTALL_TIMEOUT)
    except (OSError, subprocess.SubprocessError) as exc:
        tools = _installed()
        return PeerTools(tools.towncrier, tools.pelican, note=f"install failed: {exc}")
    return _installed()


def _paper_text(data: dict[str, object]) -> str:
    for name in TEXT_FIELDS:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return str(data.get("title", ""))


def read_entries(issue_dirs: list[Path]) -> list[Entry]:
    """Every paper of the issues, in order."""
    entries: list[Entry] = []
    for issue_dir in issue_dirs:
        date = str(tomllib.loads((issue_dir / "issue.toml").read_text("utf-8"))["date"])
        for path in sorted((issue_dir / "papers").glob("*.toml")):
            data = tomllib.loads(path.read_text("utf-8"))
            entries.append(Entry(str(data["title"]), date, _paper_text(data)))
    return entries


def write_towncrier(site: Path, entries: list[Entry]) -> Path:
    """A towncrier project with one news fragment per entry; returns the project folder."""
    fragments = site / "newsfragments"
    fragments.mkdir(parents=True)
    (site / "towncrier.toml").write_text(TOWNCRIER_CONFIG, encoding="utf-8")
    for number, entry in enumerate(entries, start=1):
        kind = FRAGMENT_TYPES[number % len(FRAGMENT_TYPES)]
        (fragments / f"{number}.{kind}.md").write_text(entry.text + "\n", encoding="utf-8")
    return site


def write_pelican(site: Path, entries: list[Entry]) -> Path:
    """A Pelican site with one Markdown article per entry; returns the site folder."""
    content = site / "content"
    content.mkdir(parents=True)
    (site / "pelicanconf.py").write_text(PELICAN_CONFIG, encoding="utf-8")
    for number, entry in enumerate(entries, start=1):
        header = (f"Title: {entry.title}\nDate: {entry.date} 09:00\n"
                  f"Category: Issue {entry.date}\nSlug: paper-{number}\n\n")
        (content / f"paper-{number:05d}.md").write_text(header + entry.text + "\n",
                                                        encoding="utf-8")
    return site


def towncrier_argv(tool: Path) -> list[str]:
    return [str(tool), "build", "--draft", "--config", "towncrier.toml", "--dir", "."]


def pelican_argv(tool: Path) -> list[str]:
    return [str(tool), "content", "-o", "output", "-s", "pelicanconf.py", "-q"]


def clear_output(site: Path) -> None:
    """Before each Pelican run (outside the timer): build into an empty folder."""
    shutil.rmtree(site / "output", ignore_errors=True)

