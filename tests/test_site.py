"""``newsletter site``: the archive, the issue pages, the papers page, the sitemap, and a
build that is deterministic, incremental, confined to its output folder and refuses what
does not check.

The Done-when of issue 14 is the first test: ``newsletter site examples-publication
--output public/`` from a clean tree. The feeds are in test_feeds.py, the pages in a real
browser and the Nu HTML Checker in test_site_pages.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from newsletter.entries.loading import LoadedIssue, load_issue
from tests.support.cli import PROBLEM, Cli, Result, assert_no_crash, one_line_error, output_lines
from tests.support.paths import EXAMPLES, REPO, example_names
from tests.support.publication import issue, paper, publication

EXAMPLES_PUBLICATION = REPO / "examples-publication"
MANIFEST = ".newsletter-site.json"
cli = Cli()


def build(*args: str | Path) -> Result:
    """``newsletter site ARGS``; a crash (traceback, exit 70) fails the test."""
    result = cli("site", *args, timeout=120)
    assert_no_crash(result)
    return result


def built(publication_dir: Path, output: Path, *args: str | Path) -> Path:
    result = build(publication_dir, "--output", output, *args)
    assert result.exit_code == 0, result.output
    return output


def site_files(output: Path) -> dict[str, bytes]:
    """Every file of a built site, by its name relative to the output folder."""
    return {path.relative_to(output).as_posix(): path.read_bytes()
            for path in sorted(output.rglob("*")) if path.is_file()}


def small_site(root: Path, numbers: tuple[int, ...] = (1, 2, 3), *,
               url: str | None = "https://news.example.org/weekly/",
               drafts: tuple[int, ...] = ()) -> Path:
    """A weekly publication of one-paper issues, numbered ``numbers``, a week apart."""
    config = f'url = "{url}"\n' if url else ""
    publication(root, config)
    for number in numbers:
        issue(root / "issues" / f"{number:03d}", number, f"2026-03-{number:02d}",
              status="draft" if number in drafts else "published",
              extra=f'title = "Issue number {number}"\nlede = "The lede of issue {number}."\n',
              papers={"01-sparse.toml": paper(
                  title=f'"Sparse Attention, part {number}"',
                  url=f'"https://arxiv.org/abs/2604.{number:05d}"')})
    return root


# ----------------------------------------------------------------------------- a link check


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag in ("a", "link") and found.get("href"):
            self.links.append(str(found["href"]))


def _parsed(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def broken_links(output: Path) -> list[str]:
    """Every internal link (relative, on a page of the site) that leads to no file of the
    site, or to an id its page does not have: 'page: href' for each."""
    broken = []
    pages = {path: _parsed(path) for path in output.rglob("*.html")}
    for page, parsed in pages.items():
        for href in parsed.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                continue  # the papers themselves, the publication's home
            target = page if not parts.path else (page.parent / unquote(parts.path))
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            target = Path(os.path.normpath(target))
            if not target.is_file() or not target.is_relative_to(output):
                broken.append(f"{page.relative_to(output)}: {href}")
            elif parts.fragment and parts.fragment not in pages[target].ids:
                broken.append(f"{page.relative_to(output)}: {href} (no such id)")
    return broken


# ----------------------------------------------------------------------------- Done when


@pytest.fixture(scope="module")
def examples_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Done-when of issue 14: the bundled examples as a site."""
    return built(EXAMPLES_PUBLICATION, tmp_path_factory.mktemp("examples") / "public")


def test_the_examples_publication_builds_a_site(examples_site: Path) -> None:
    names = set(site_files(examples_site))
    numbers = sorted(load_issue(EXAMPLES / name).issue.number for name in example_names())
    assert len(numbers) == 5
    assert {"index.html", "papers/index.html", "feed.xml", "rss.xml", "feed.json",
            "sitemap.xml", MANIFEST} | {f"issues/{n}/index.html" for n in numbers} == names


def test_the_archive_lists_every_issue_newest_first(examples_site: Path) -> None:
    index = (examples_site / "index.html").read_text(encoding="utf-8")
    loaded = sorted((load_issue(EXAMPLES / name) for name in example_names()),
                    key=lambda item: (item.issue.date, item.issue.number), reverse=True)
    positions = [index.index(f'href="issues/{item.issue.number}/"') for item in loaded]
    assert positions == sorted(positions)
    for item in loaded:
        entry = index[index.index(f'href="issues/{item.issue.number}/"'):]
        entry = entry[:entry.index("</article>")]
        assert f"Issue {item.issue.number} " in entry
        assert f'datetime="{item.issue.date.isoformat()}"' in entry
        assert item.issue.style in entry
        assert item.issue.title.replace("'", "&#39;") in entry
        if item.issue.lede:  # the start of the lede, as text
            first_words = " ".join(item.issue.lede.split()[:6]).replace("'", "&#39;")
            assert first_words in entry, (first_words, entry)


def test_each_issue_page_is_its_render_in_its_own_style(examples_site: Path) -> None:
    for name in example_names():
        loaded = load_issue(EXAMPLES / name)
        page = (examples_site / f"issues/{loaded.issue.number}/index.html").read_text("utf-8")
        assert f'class="issue style-{loaded.issue.style}"' in page
        rendered = cli("render", EXAMPLES / name, "--format", "html").stdout
        # The site's page is the render with the site's links in: the papers are the same.
        assert _body_text(page).count("Back to archive") == 1, name
        for entry in loaded.papers:
            assert 'id="' in page and entry.paper.url.replace("&", "&amp;") in page
        assert len(page) >= len(rendered)


def _body_text(page: str) -> str:
    return re.sub(r"<[^>]+>", "", page.split("<body>", 1)[1])


def test_back_to_archive_leads_to_the_index_on_every_issue_page(examples_site: Path) -> None:
    for page in (examples_site / "issues").glob("*/index.html"):
        html = page.read_text(encoding="utf-8")
        found = re.findall(r'<a href="([^"]*)"[^>]*>(?:<span[^>]*>[^<]*</span>)?Back to archive',
                           html)
        assert found == ["../../"], (page, found)


def test_every_page_announces_the_three_feeds(examples_site: Path) -> None:
    for page in examples_site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        depth = len(page.relative_to(examples_site).parts) - 1
        for media_type, name in (("application/atom+xml", "feed.xml"),
                                 ("application/rss+xml", "rss.xml"),
                                 ("application/feed+json", "feed.json")):
            assert re.search(rf'<link rel="alternate" type="{re.escape(media_type)}" '
                             rf'title="[^"]+" href="{"../" * depth}{name}">', html), (page,
                                                                                     name)


def test_no_internal_link_is_broken(examples_site: Path) -> None:
    assert broken_links(examples_site) == []


def test_the_link_check_finds_a_broken_link(tmp_path: Path) -> None:
    # The check above must be able to fail.
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text('<a href="a/">x</a><a href="b/">y</a>'
                                         '<a href="#nowhere">z</a>', "utf-8")
    (tmp_path / "a" / "index.html").write_text('<p id="here"><a href="../#here">w</a>', "utf-8")
    assert broken_links(tmp_path) == ["index.html: b/", "index.html: #nowhere (no such id)",
                                      "a/index.html: ../#here (no such id)"]


def test_every_paper_is_on_the_papers_page_linked_to_its_anchor(examples_site: Path) -> None:
    papers_page = (examples_site / "papers/index.html").read_text(encoding="utf-8")
    count = 0
    for name in example_names():
        loaded = load_issue(EXAMPLES / name)
        page = (examples_site / f"issues/{loaded.issue.number}/index.html").read_text("utf-8")
        for entry in loaded.papers:
            count += 1
            assert entry.paper.title.replace("'", "&#39;") in papers_page or \
                entry.paper.title.replace("&", "&amp;") in papers_page
        anchors = re.findall(rf'href="\.\./issues/{loaded.issue.number}/#([^"]+)"', papers_page)
        assert len(anchors) == len(loaded.papers)
        for anchor in anchors:
            assert f'id="{anchor}"' in page
    assert f"{count} papers" in papers_page


def test_the_sitemap_lists_every_page_absolutely(examples_site: Path) -> None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring((examples_site / "sitemap.xml").read_bytes())
    space = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    locations = [url.findtext(f"{space}loc") for url in root]
    base = "https://example.com/newsletter-examples/"
    numbers = sorted(int(p.parent.name) for p in (examples_site / "issues").glob("*/index.html"))
    assert set(locations) == {base, base + "papers/", *(f"{base}issues/{n}/" for n in numbers)}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", url.findtext(f"{space}lastmod") or "")
               for url in root)


def test_the_examples_renders_are_unchanged_by_the_site(tmp_path: Path) -> None:
    # The site renders each example with its own newsletter.toml: a plain render of an
    # example knows nothing of examples-publication.
    for name in example_names():
        html = cli("render", EXAMPLES / name, "--format", "html").stdout
        assert "Back to archive" not in html or "archive_url" not in html
        assert 'rel="alternate"' not in html and "site-nav" not in html


# ----------------------------------------------------------------------------- repeatable


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = built(EXAMPLES_PUBLICATION, tmp_path / "one")
    second = built(EXAMPLES_PUBLICATION, tmp_path / "two")
    assert site_files(first) == site_files(second)


def test_a_rebuild_of_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub")
    output = built(pub, tmp_path / "public")
    times = {p: p.stat().st_mtime_ns for p in output.rglob("*")}
    result = build(pub, "--output", output)
    assert result.exit_code == 0, result.output
    assert "0 files written" in result.stderr
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*")} == times


def test_a_changed_issue_rewrites_only_what_changes(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub")
    output = built(pub, tmp_path / "public")
    times = {name: (output / name).stat().st_mtime_ns for name in site_files(output)}
    before = site_files(output)
    issue_file = pub / "issues/002/issue.toml"
    issue_file.write_text(issue_file.read_text("utf-8").replace(
        'title = "Issue number 2"', 'title = "Issue number two, retitled"'), "utf-8")
    built(pub, output)
    after = site_files(output)
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"issues/2/index.html", "index.html", "papers/index.html", "feed.xml",
                       "rss.xml", "feed.json", MANIFEST}
    for name in set(after) - changed - {MANIFEST}:
        assert (output / name).stat().st_mtime_ns == times[name], name
    assert "Issue number two, retitled" in after["feed.xml"].decode()


def test_a_rebuild_is_the_same_as_a_fresh_build(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub")
    output = built(pub, tmp_path / "public")
    shutil.rmtree(pub / "issues/001")
    (pub / "issues/003/issue.toml").write_text(
        (pub / "issues/003/issue.toml").read_text("utf-8").replace("2026-03-03", "2026-03-09"),
        "utf-8")
    built(pub, output)
    fresh = built(pub, tmp_path / "fresh")
    assert site_files(output) == site_files(fresh)


def test_a_removed_issue_s_page_is_removed_and_other_files_kept(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub")
    output = built(pub, tmp_path / "public")
    (output / "CNAME").write_text("news.example.org\n", "utf-8")
    (output / "issues/3/notes.txt").write_text("mine\n", "utf-8")
    (output / "issues/4").mkdir()
    (output / "issues/4/index.html").write_text("<p>my own page</p>\n", "utf-8")
    shutil.rmtree(pub / "issues/001")
    shutil.rmtree(pub / "issues/003")
    result = build(pub, "--output", output)
    assert result.exit_code == 0, result.output
    assert "removed 2" in result.stderr
    assert not (output / "issues/1").exists()
    assert not (output / "issues/3/index.html").exists()
    assert (output / "issues/3/notes.txt").read_text("utf-8") == "mine\n"
    assert (output / "CNAME").is_file() and (output / "issues/4/index.html").is_file()
    assert 'href="issues/1/"' not in (output / "index.html").read_text("utf-8")


def test_a_hostile_manifest_removes_nothing_the_site_did_not_write(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", (1,))
    output = tmp_path / "public"
    output.mkdir()
    keep = {"CNAME": b"x\n", "issues/7/index.html": b"<p>theirs</p>\n", "notes.md": b"n\n"}
    for name, data in keep.items():
        (output / name).parent.mkdir(parents=True, exist_ok=True)
        (output / name).write_bytes(data)
    outside = tmp_path / "outside.html"
    outside.write_bytes(b"precious\n")
    import hashlib

    listed = {name: hashlib.sha256(data).hexdigest() for name, data in keep.items()}
    listed["../outside.html"] = hashlib.sha256(b"precious\n").hexdigest()
    listed[str(outside)] = listed["../outside.html"]
    # issues/7 is a name the site writes, but its bytes are not the ones listed.
    listed["issues/7/index.html"] = "0" * 64
    (output / MANIFEST).write_text(json.dumps({"kind": "newsletter-site", "format": 1,
                                               "files": listed}), "utf-8")
    built(pub, output)
    for name, data in keep.items():
        assert (output / name).read_bytes() == data, name
    assert outside.read_bytes() == b"precious\n"
    for garbage in ("[1, 2]", "{", '{"kind": "newsletter-site", "files": [1]}', "\0" * 10):
        (output / MANIFEST).write_text(garbage, "utf-8")
        built(pub, output)
        assert all((output / name).read_bytes() == data for name, data in keep.items())


# ----------------------------------------------------------------------------- what is in it


def test_drafts_only_with_drafts(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", (1, 2), drafts=(2,))
    # A draft need not check: a paper without what its style needs does not stop the site.
    (pub / "issues/002/papers/02-unfinished.toml").write_text('title = "Half written"\n',
                                                              "utf-8")
    output = built(pub, tmp_path / "public")
    assert not (output / "issues/2").exists()
    assert "Issue number 2" not in (output / "feed.xml").read_text("utf-8")
    result = build(pub, "--output", output, "--drafts")
    assert result.exit_code == 0, result.output
    assert [line for line in output_lines(result.stderr) if PROBLEM.match(line)]  # incomplete
    page = (output / "issues/2/index.html").read_text("utf-8")
    assert "<strong>Draft</strong>" in page
    assert "<strong>Draft</strong>" in (output / "index.html").read_text("utf-8")
    built(pub, output)
    assert not (output / "issues/2").exists()


def test_an_issue_that_does_not_check_stops_the_build(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub")
    (pub / "issues/002/papers/01-sparse.toml").write_text(
        paper(score='"8"'), "utf-8")
    result = build(pub, "--output", tmp_path / "public")
    assert result.exit_code == 1, result.output
    lines = output_lines(result.stderr)
    assert PROBLEM.match(lines[0]) and "issues/002/papers/01-sparse.toml:3:9" in lines[0]
    assert re.match(r"newsletter: error: .*cannot build the site: fix the problems above "
                    r"first$", lines[-1]), lines
    assert not (tmp_path / "public").exists()


def test_two_issues_with_one_number_stop_the_build(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", (1, 2))
    shutil.copytree(pub / "issues/002", pub / "issues/002-again")
    result = build(pub, "--output", tmp_path / "public")
    assert result.exit_code == 1
    assert "each issue of a site needs its own number" in result.stderr
    assert "[duplicate-number]" in result.stderr


def test_an_empty_publication_is_an_empty_archive(tmp_path: Path) -> None:
    publication(tmp_path / "pub", 'url = "https://example.org/"\n')
    output = built(tmp_path / "pub", tmp_path / "public")
    assert "No issues published yet." in (output / "index.html").read_text("utf-8")


# ----------------------------------------------------------------------------- the url


def test_a_missing_url_is_one_line_naming_the_file(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", url=None)
    result = build(pub, "--output", tmp_path / "public")
    assert result.exit_code == 2
    line = one_line_error(result)
    assert "newsletter.toml: has no url" in line and "--base-url" in line
    assert not (tmp_path / "public").exists()
    built(pub, tmp_path / "public", "--base-url", "https://mirror.example.net/w")
    feed = (tmp_path / "public/feed.xml").read_text("utf-8")
    assert 'href="https://mirror.example.net/w/issues/1/"' in feed


@pytest.mark.parametrize("base", [
    "ftp://example.org/", "javascript:alert(1)", "//example.org/", "example.org",
    "https://user:secret@example.org/", "https://example.org/?a=1", "https://example.org/#x",
    "https://exa mple.org/", "https://example.org/\x1b[2J", "https://example.org:port/", ""])
def test_a_base_url_must_be_http_or_https(tmp_path: Path, base: str) -> None:
    pub = small_site(tmp_path / "pub", (1,), url=None)
    result = build(pub, "--output", tmp_path / "public", "--base-url", base)
    assert result.exit_code == 2, result.output
    one_line_error(result)
    assert not (tmp_path / "public").exists()


# ----------------------------------------------------------------------------- the output


@pytest.mark.parametrize("where", [".", "issues", "issues/001", "issues/001/papers", "..",
                                   "issues/001/out"])
def test_an_output_among_the_inputs_is_refused(tmp_path: Path, where: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    pub = small_site(tmp_path / "pub", (1,))
    before, folders = site_files(tmp_path), sorted(tmp_path.rglob("*"))
    made: list[str] = []  # not even for a moment, which a kill would make for ever
    mkdir = os.mkdir

    def watched(folder: Any, *args: Any, **kwargs: Any) -> None:
        if Path(folder).is_relative_to(tmp_path):
            made.append(os.fspath(folder))
        mkdir(folder, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", watched)
    result = build(pub, "--output", pub / where)
    monkeypatch.undo()
    assert made == []
    assert result.exit_code == 2, result.output
    one_line_error(result)
    assert site_files(tmp_path) == before
    assert sorted(tmp_path.rglob("*")) == folders


def test_an_output_inside_the_publication_is_fine(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", (1,))
    built(pub, pub / "public")
    assert (pub / "public/issues/1/index.html").is_file()
    result = cli("check", pub)
    assert result.exit_code == 0, result.output  # the site is not taken for entries


def test_no_write_through_a_link_in_the_output(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", (1,))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    output = tmp_path / "public"
    output.mkdir()
    (output / "issues").symlink_to(elsewhere)
    result = build(pub, "--output", output)
    assert result.exit_code == 2, result.output
    assert "is a link" in one_line_error(result)
    assert list(elsewhere.iterdir()) == []
    (output / "issues").unlink()
    target = tmp_path / "target.html"
    target.write_text("keep\n", "utf-8")
    (output / "index.html").symlink_to(target)
    result = build(pub, "--output", output)
    assert result.exit_code == 2
    assert target.read_text("utf-8") == "keep\n"
    # The issue's page had been staged before index.html was looked at: it is gone.
    assert sorted(p.name for p in output.iterdir()) == ["index.html"]


def test_an_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", (1,))
    (tmp_path / "public").write_text("x", "utf-8")
    result = build(pub, "--output", tmp_path / "public")
    assert result.exit_code == 2
    assert "is not a folder" in one_line_error(result)


def test_an_output_folder_that_is_a_link_is_followed_once(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", (1,))
    (tmp_path / "www").mkdir()
    (tmp_path / "public").symlink_to(tmp_path / "www")
    built(pub, tmp_path / "public")
    assert (tmp_path / "www/index.html").is_file()


# ----------------------------------------------------------------------------- includes


def test_an_include_outside_the_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "repo/.git").mkdir(parents=True)
    small_site(tmp_path / "other", (1,))
    pub = tmp_path / "repo/site"
    publication(pub, 'url = "https://example.org/"\n[site]\ninclude = ["../../other"]\n')
    result = build(pub, "--output", tmp_path / "public")
    assert result.exit_code == 2
    assert "leads outside the repository" in one_line_error(result)
    (pub / "newsletter.toml").write_text(
        'name = "x"\nurl = "https://example.org/"\n[site]\ninclude = ["/etc"]\n', "utf-8")
    result = build(pub, "--output", tmp_path / "public")
    assert result.exit_code == 1
    assert "must be a folder relative to newsletter.toml" in result.stderr
    assert not (tmp_path / "public").exists()


def test_an_include_inside_the_repository_holds_its_issues(tmp_path: Path) -> None:
    (tmp_path / "repo/.git").mkdir(parents=True)
    small_site(tmp_path / "repo/weekly", (4, 5))
    pub = tmp_path / "repo/site"
    publication(pub, 'url = "https://example.org/all/"\n[site]\ninclude = ["../weekly"]\n',
                name="Everything")
    output = built(pub, tmp_path / "public")
    assert {"issues/4/index.html", "issues/5/index.html"} <= set(site_files(output))
    feed = (output / "feed.xml").read_text("utf-8")
    # Ids from each issue's own publication; links from the site's.
    assert "<id>tag:news.example.org,2026:weekly/issue-4</id>" in feed
    assert 'href="https://example.org/all/issues/4/"' in feed


# ----------------------------------------------------------------------------- hostile text


HOSTILE = "</title><script>alert(1)</script><!-- ]]> & \"quoted\" 'single' <b>"


def test_hostile_text_stays_text_everywhere(tmp_path: Path) -> None:
    import feedparser

    pub = tmp_path / "pub"
    toml_text = json.dumps(HOSTILE)  # a TOML basic string is a JSON string here
    publication(pub, f'url = "https://example.org/"\ntagline = {toml_text}\n',
                name=HOSTILE.replace('"', "'"))
    issue(pub / "issues/001", 1, "2026-03-02", status="published",
          extra=f"title = {toml_text}\nlede = {json.dumps(HOSTILE + ' **bold** ' + HOSTILE)}\n",
          papers={"01-x.toml": paper(title=toml_text)})
    output = built(pub, tmp_path / "public")
    for name, data in site_files(output).items():
        text = data.decode("utf-8")
        assert "<script" not in text, name
        assert "<b>" not in text, name
    for name in ("feed.xml", "rss.xml"):
        parsed = feedparser.parse((output / name).read_bytes())
        assert parsed.bozo == 0, (name, parsed.bozo_exception)
        assert parsed.entries[0].title == HOSTILE
        assert "<script" not in parsed.entries[0].content[0].value
    feed = json.loads((output / "feed.json").read_bytes())
    assert feed["items"][0]["title"] == HOSTILE
    assert "<script" not in feed["items"][0]["content_html"]
    assert "&lt;script&gt;" in (output / "index.html").read_text("utf-8")


def test_a_noncharacter_is_refused_before_it_reaches_the_feeds(tmp_path: Path) -> None:
    """No XML may hold U+FFFF: the models refuse it, at its line, and nothing is built."""
    pub = small_site(tmp_path / "pub", (1,))
    path = pub / "issues/001/issue.toml"
    path.write_text(path.read_text("utf-8").replace('"Issue number 1"', '"Odd \\uFFFF one"'),
                    "utf-8")
    result = build(pub, "--output", tmp_path / "public")
    assert result.exit_code == 1
    assert_no_crash(result)
    assert "contains the noncharacter U+FFFF; remove it" in result.output
    assert not (tmp_path / "public" / "feed.xml").exists()


def test_rendering_in_processes_gives_the_same_bytes(tmp_path: Path) -> None:
    """--jobs 2 renders the issues in worker processes (eight issues: enough to share);
    the site is byte for byte what one process makes."""
    pub = small_site(tmp_path / "pub", tuple(range(1, 9)))
    one = site_files(built(pub, tmp_path / "one", "--jobs", "1"))
    two = site_files(built(pub, tmp_path / "two", "--jobs", "2"))
    assert one == two and len([name for name in one if name.startswith("issues/")]) == 8


def test_an_issue_that_does_not_check_stops_a_build_in_processes(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", tuple(range(1, 9)))
    path = pub / "issues/005/papers/01-sparse.toml"
    path.write_text(path.read_text("utf-8").replace("score = 8.2", 'score = "8"'), "utf-8")
    result = build(pub, "--output", tmp_path / "public", "--jobs", "2")
    assert result.exit_code == 1
    assert "issues/005/papers/01-sparse.toml:3:9: error: score must be a number" in \
        result.output, result.output
    # The workers had staged the other pages: all of them, and their folders, are gone.
    assert not (tmp_path / "public").exists()


def _leftovers(output: Path) -> list[str]:
    from newsletter.write.atomic import is_temp_name

    return sorted(p.relative_to(output).as_posix() for p in output.rglob("*")
                  if is_temp_name(p.name))


def _every_page_changes(pub: Path, numbers: range) -> None:
    """Every issue's lede edited, so that a rebuild writes every page again."""
    for number in numbers:
        path = pub / f"issues/{number:03d}/issue.toml"
        path.write_text(path.read_text("utf-8").replace("The lede", "A new lede"), "utf-8")


def _no_copy_is_left(output: Path) -> None:
    assert _leftovers(output) == []


def test_a_rebuild_that_fails_in_processes_leaves_the_site_as_it_was(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", tuple(range(1, 9)))
    output = built(pub, tmp_path / "public", "--jobs", "2")
    before = site_files(output)
    _every_page_changes(pub, range(1, 9))
    path = pub / "issues/007/papers/01-sparse.toml"
    path.write_text(path.read_text("utf-8").replace("score = 8.2", 'score = "8"'), "utf-8")
    result = build(pub, "--output", output, "--jobs", "2")
    assert result.exit_code == 1, result.output
    assert site_files(output) == before
    assert _leftovers(output) == []


def test_a_link_in_the_way_of_one_page_refuses_a_build_in_processes(tmp_path: Path) -> None:
    pub = small_site(tmp_path / "pub", tuple(range(1, 9)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    output = tmp_path / "public"
    (output / "issues").mkdir(parents=True)
    (output / "issues" / "6").symlink_to(elsewhere)
    result = build(pub, "--output", output, "--jobs", "2")
    assert result.exit_code == 2, result.output
    assert re.search(r"public/issues/6: is a link; the site writes nothing through links",
                     one_line_error(result)), result.output
    assert list(elsewhere.iterdir()) == []
    # Nothing else was written either: the pages the other workers staged are gone.
    assert sorted(p.relative_to(output).as_posix() for p in output.rglob("*")) == \
        ["issues", "issues/6"]


# ----------------------------------------------------------------------------- the stamps


def _build_in_process(pub: Path, output: Path) -> None:
    from newsletter.publish.site import build_site

    build_site(pub, output)


def test_a_rebuild_reads_no_file_of_a_settled_issue(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.entries import tomlfile
    from newsletter.publish import site

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(site, "_SETTLE_NS", 0)  # every file counts as settled at once
    pub, output = small_site(tmp_path / "pub"), tmp_path / "public"
    _build_in_process(pub, output)
    read: list[Path] = []
    real = tomlfile.read_bytes

    def counted(path: Path, *args: object, **kwargs: object) -> object:
        read.append(path)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(tomlfile, "read_bytes", counted)
    _build_in_process(pub, output)
    assert [path for path in read if "issues" in path.parts] == []


def test_an_edit_that_keeps_the_size_and_the_time_is_still_seen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.publish import site

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(site, "_SETTLE_NS", 0)
    pub, output = small_site(tmp_path / "pub"), tmp_path / "public"
    _build_in_process(pub, output)
    paper_file = pub / "issues/002/papers/01-sparse.toml"
    before = paper_file.stat()
    text = paper_file.read_text("utf-8")
    paper_file.write_text(text.replace("Sparse Attention", "Sparse Attenti0n"), "utf-8")
    os.utime(paper_file, ns=(before.st_atime_ns, before.st_mtime_ns))  # as a tool may
    assert paper_file.stat().st_size == before.st_size
    _build_in_process(pub, output)
    assert "Sparse Attenti0n, part 2" in (output / "issues/2/index.html").read_text("utf-8")


# ----------------------------------------------------------------------------- stopped builds


def _site_of_eight(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """A built site of eight issues whose every page then changes: the next build stages
    a copy of each, in two workers."""
    pub = small_site(tmp_path / "pub", tuple(range(1, 9)))
    output = built(pub, tmp_path / "public", "--jobs", "2")
    before = site_files(output)
    _every_page_changes(pub, range(1, 9))
    return pub, output, before


def _the_build_fails_and_changes_nothing(pub: Path, output: Path, before: dict[str, bytes],
                                         error: type[BaseException], match: str | None
                                         ) -> None:
    from newsletter.publish.site import build_site

    with pytest.raises(error, match=match):
        build_site(pub, output, jobs=2)
    assert site_files(output) == before
    _no_copy_is_left(output)


def test_a_worker_that_crashes_leaves_the_site_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.render import document

    pub, output, before = _site_of_eight(tmp_path)
    render = document.render_document

    def crash_on_seven(loaded: LoadedIssue, *args: object, **kwargs: object) -> bytes:
        if loaded.issue is not None and loaded.issue.number == 7:
            raise RuntimeError("a bug")
        return render(loaded, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(document, "render_document", crash_on_seven)  # forked: theirs too
    _the_build_fails_and_changes_nothing(pub, output, before, RuntimeError, "a bug")


def test_ctrl_c_while_the_copies_reach_the_disk_changes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.write import atomic

    if atomic._filesystem_sync() is None:
        pytest.skip("no syncfs(2) here: each copy is fsynced as it is staged")
    pub, output, before = _site_of_eight(tmp_path)

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic, "_sync_filesystems", interrupted)
    _the_build_fails_and_changes_nothing(pub, output, before, KeyboardInterrupt, None)


def test_a_site_file_that_cannot_be_written_leaves_no_copy_of_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.errors import WriteError
    from newsletter.write import atomic

    pub, output, before = _site_of_eight(tmp_path)
    copy = atomic._temp_copy

    def full_disk(path: Path, *args: Any, **kwargs: Any) -> Path:
        if path.name == "rss.xml":  # after the other feeds, the archive and the pages
            raise WriteError(f"{path}: cannot write: File too large; nothing was changed")
        return copy(path, *args, **kwargs)

    monkeypatch.setattr(atomic, "_temp_copy", full_disk)
    _the_build_fails_and_changes_nothing(pub, output, before, WriteError, "File too large")


def test_a_first_build_that_cannot_commit_leaves_no_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.errors import WriteError
    from newsletter.publish import output as site_output
    from newsletter.publish.site import build_site

    pub = small_site(tmp_path / "pub", tuple(range(1, 9)))

    def read_only(*args: object, **kwargs: object) -> None:
        raise WriteError("public: cannot write: Input/output error; nothing was changed")

    monkeypatch.setattr(site_output, "replace_files", read_only)
    with pytest.raises(WriteError):
        build_site(pub, tmp_path / "deep" / "public", jobs=2)
    assert not (tmp_path / "deep").exists()


def test_a_failing_build_removes_nothing_it_did_not_write(tmp_path: Path) -> None:
    """Not even an old copy some killed writer left: a failing build changes nothing."""
    pub, output, _ = _site_of_eight(tmp_path)
    orphan = output / "issues" / "5" / ".index.html.abcdefgh.tmp"
    orphan.write_text("left by a killed writer", "utf-8")
    os.utime(orphan, (1, 1))
    path = pub / "issues/003/papers/01-sparse.toml"
    path.write_text(path.read_text("utf-8").replace("score = 8.2", 'score = "8"'), "utf-8")
    assert build(pub, "--output", output, "--jobs", "2").exit_code == 1
    assert orphan.read_text("utf-8") == "left by a killed writer"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG")
def test_a_killed_build_takes_its_workers_with_it(
        tmp_path: Path) -> None:
    pub = tmp_path / "pub"
    publication(pub, 'url = "https://news.example.org/weekly/"\n')
    for number in range(1, 401):  # enough that the build is still rendering when killed
        day = dt.date(2020, 1, 1) + dt.timedelta(days=7 * number)
        issue(pub / "issues" / f"{number:03d}", number, day.isoformat(), status="published",
              papers={"01-sparse.toml": paper(url=f'"https://arxiv.org/abs/2604.{number:05d}"')})
    output = tmp_path / "public"
    started = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "site", str(pub), "--output", str(output),
         "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: list[int] = []
    give_up = time.monotonic() + 60
    while len(workers) < 2 and started.poll() is None and time.monotonic() < give_up:
        workers = _children(started.pid)
        time.sleep(0.01)
    assert len(workers) == 2 and started.poll() is None, "the build ended before its kill"
    started.kill()
    started.wait()
    give_up = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < give_up:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    built(pub, output)
    _no_copy_is_left(output)
    assert len(list((output / "issues").iterdir())) == 400


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def test_ctrl_c_while_the_pages_are_put_in_place_finishes_the_site_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    pub, output, _ = _site_of_eight(tmp_path)
    whole = site_files(built(pub, tmp_path / "fresh"))
    real_replace = os.replace
    renames: list[str] = []

    def ctrl_c_at_the_third(source: str, target: str) -> None:
        if len(renames) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, mid-way
        renames.append(target)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", ctrl_c_at_the_third)
    result = cli("site", pub, "--output", output, "--jobs", "2")
    monkeypatch.undo()
    assert result.exit_code == 130 and "Traceback" not in result.output, result.output
    assert result.stderr == (f"newsletter: error: interrupted; {output} was written in full "
                             "first\n")
    assert len(renames) > 8  # the eight pages, then the archive, the feeds...
    assert site_files(output) == whole
    _no_copy_is_left(output)
    again = build(pub, "--output", output)  # the manifest and the cache were kept too
    assert again.exit_code == 0 and "0 files written" in again.output, again.output


def test_a_second_build_into_the_same_folder_waits_its_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.publish.output import build_lock

    pub = small_site(tmp_path / "pub")
    output = tmp_path / "public"
    with build_lock(output):  # as a first build (or an upload script) holds it
        # Another user's build, with a cache folder of its own, meets the same lock.
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else-s-cache"))
        refused = build(pub, "--output", tmp_path / "." / "public")
    assert refused.exit_code == 2
    assert one_line_error(refused) == (
        f"newsletter: error: {tmp_path / '.' / 'public'}: another build of the site is "
        "writing this folder now; run this one again when it has finished")
    assert not output.exists()  # made for the lock, and empty: removed with it
    built(pub, output)
    assert (output / "index.html").is_file()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="a forked child")
def test_a_child_that_outlives_its_build_does_not_hold_the_lock(tmp_path: Path) -> None:
    """A worker left alive by a killed build (no PR_SET_PDEATHSIG outside Linux), or any
    process a library user forks during a build, must not keep the folder locked."""
    import signal

    from newsletter.publish.output import build_lock

    output = tmp_path / "public"
    output.mkdir()
    ready, started = os.pipe()
    child = -1
    try:
        with build_lock(output):
            child = os.fork()  # the child leaves the block too: it must neither fail nor undo
    except BaseException:
        if child == 0:  # pragma: no cover - the child, which must not go on as pytest
            os._exit(1)
        raise
    if child == 0:  # pragma: no cover - the child
        os.write(started, b"!")
        time.sleep(60)
        os._exit(0)
    os.close(started)
    assert os.read(ready, 1) == b"!"
    os.close(ready)
    try:
        with build_lock(output):  # the build that held it is over; its child lives on
            pass
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


def test_ctrl_c_as_the_build_reports_says_the_site_was_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import signal

    from newsletter.publish import output as site_output

    pub, output, before = _site_of_eight(tmp_path)
    write_all = site_output.OutputDir.write_all

    def then_ctrl_c(self: Any, *args: Any, **kwargs: Any) -> Any:
        done = write_all(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # after the hold, as the summary is printed
        return done

    monkeypatch.setattr(site_output.OutputDir, "write_all", then_ctrl_c)
    result = cli("site", pub, "--output", output)
    monkeypatch.undo()
    assert result.exit_code == 130, result.output
    assert result.stderr == (f"newsletter: error: interrupted; {output} was written in full "
                             "first\n")
    assert site_files(output) != before
    later = cli("add-paper", "--help")  # the next command starts with nothing written
    assert later.exit_code == 0


def test_a_list_of_files_that_cannot_be_written_does_not_deny_the_new_site(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.errors import WriteError
    from newsletter.publish import output as site_output

    pub, output, before = _site_of_eight(tmp_path)

    def disk_full(self: Any, files: dict[str, str]) -> None:
        raise WriteError(f"{output / MANIFEST}: cannot write: No space left on device; "
                         "nothing was changed")

    monkeypatch.setattr(site_output.OutputDir, "_write_manifest", disk_full)
    result = build(pub, "--output", output)
    monkeypatch.undo()
    assert result.exit_code == 2
    assert one_line_error(result) == (
        f"newsletter: error: {output / MANIFEST}: cannot write: No space left on device: "
        f"the site's files were written, but not {MANIFEST}, the list of them that tells "
        "the next build which pages to remove; build again once it can be written")
    assert site_files(output) != before
    again = build(pub, "--output", output)  # the same files, and now their list
    assert again.exit_code == 0, again.output
    listed = json.loads((output / MANIFEST).read_text("utf-8"))["files"]
    assert set(listed) == set(site_files(output)) - {MANIFEST}


_HOLDER = """
import sys, time
from pathlib import Path
from newsletter.errors import UsageError
from newsletter.publish.output import build_lock
try:
    with build_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(60)
except UsageError:
    print("refused", flush=True)
"""


def _holder(output: Path) -> subprocess.Popen[str]:
    """Another build, in a process of its own, that takes the lock and keeps it."""
    held = subprocess.Popen([sys.executable, "-c", _HOLDER, str(output)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    assert held.stdout is not None and held.stdout.readline() == "locked\n"
    return held


def test_a_build_refused_leaves_the_folder_it_made_to_the_one_that_locked_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two builds start at once into a missing folder: this one makes it, the other locks
    it first. Removing it on the way out would leave the other locking nothing, and a
    third build could start beside it."""
    from newsletter.errors import UsageError
    from newsletter.publish import output as site_output

    output = tmp_path / "public"
    make = site_output._make_missing
    others: list[subprocess.Popen[str]] = []

    def made_then_locked_by_another(real: str, made: list[str]) -> None:
        make(real, made)
        if not others:
            others.append(_holder(output))

    monkeypatch.setattr(site_output, "_make_missing", made_then_locked_by_another)
    try:
        with pytest.raises(UsageError, match="another build"), site_output.build_lock(output):
            pass
        monkeypatch.undo()
        assert output.is_dir()
        with pytest.raises(UsageError, match="another build"), site_output.build_lock(output):
            pass  # a third build, while the other one holds it
    finally:
        for other in others:
            other.kill()
            other.wait()


def test_a_folder_removed_before_it_is_locked_is_made_again_and_locked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from newsletter.errors import UsageError
    from newsletter.publish import output as site_output

    output = tmp_path / "public"
    make = site_output._make_missing
    removed: list[str] = []

    def made_then_removed_once(real: str, made: list[str]) -> None:
        make(real, made)
        if not removed:  # as by a build that failed and removed what it had made
            removed.append(real)
            os.rmdir(real)

    monkeypatch.setattr(site_output, "_make_missing", made_then_removed_once)
    with site_output.build_lock(output):
        monkeypatch.undo()
        with pytest.raises(UsageError, match="another build"), site_output.build_lock(output):
            pass
    assert removed and not output.exists()  # made for the lock, and empty: removed


def test_ctrl_c_while_a_best_effort_cache_fails_to_be_written_still_stops(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site's cache is written 'best effort' (a cache that cannot be kept only makes
    the next build slower): a Ctrl-C held while its copy was made must not be lost with
    the error that is then swallowed."""
    import errno
    import signal
    import tempfile

    from newsletter.publish.site import _write_cache

    def ctrl_c_then_full_disk(*args: Any, **kwargs: Any) -> tuple[int, str]:
        signal.raise_signal(signal.SIGINT)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", ctrl_c_then_full_disk)
    with pytest.raises(KeyboardInterrupt):
        _write_cache(tmp_path / "cache.json", "key", {})


def test_a_folder_where_the_list_of_files_goes_refuses_the_build_first(
        tmp_path: Path) -> None:
    pub, output, before = _site_of_eight(tmp_path)
    (output / MANIFEST).unlink()
    (output / MANIFEST).mkdir()
    result = build(pub, "--output", output)
    assert result.exit_code == 2
    assert one_line_error(result) == (f"newsletter: error: {output / MANIFEST}: is not a "
                                      "regular file; not replacing it")
    del before[MANIFEST]
    assert site_files(output) == before  # nothing written, as the message implies


def test_a_folder_replaced_under_every_lock_taken_refuses_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pub = small_site(tmp_path / "pub")
    output = tmp_path / "public"
    monkeypatch.setattr(os.path, "samestat", lambda *args: False)  # replaced each time
    result = build(pub, "--output", output)
    monkeypatch.undo()
    assert result.exit_code == 2
    assert one_line_error(result) == (
        f"newsletter: error: {output}: the folder keeps being replaced while this build "
        "starts; run it again when nothing else writes there")
    assert not output.exists()


def test_a_file_system_without_locks_still_builds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import fcntl

    pub = small_site(tmp_path / "pub")

    def no_locks(*args: Any) -> None:
        raise OSError(errno.ENOLCK, "No locks available")  # NFS without lockd, say

    monkeypatch.setattr(fcntl, "flock", no_locks)
    output = built(pub, tmp_path / "public")
    monkeypatch.undo()
    assert (output / "issues" / "3" / "index.html").is_file()
