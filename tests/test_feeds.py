"""The site's feeds: Atom 1.0 and RSS 2.0 as feedparser reads them (``bozo == 0``), JSON
Feed 1.1 against its schema; every entry the whole issue, newest first, with an id that
does not move when the site does."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from newsletter.entries.loading import load_issue
from newsletter.publish.feeds import tag_uri, xml_text
from tests.support.paths import EXAMPLES, REPO, example_names
from tests.test_site import EXAMPLES_PUBLICATION, built, small_site

SCHEMA = REPO / "tests" / "fixtures" / "site" / "jsonfeed-1.1.schema.json"
BASE = "https://example.com/newsletter-examples/"


def _examples() -> list:
    """The bundled examples, newest first (date, then number), as the feeds list them."""
    loaded = [load_issue(EXAMPLES / name) for name in example_names()]
    return sorted(loaded, key=lambda item: (item.issue.date, item.issue.number), reverse=True)


def _expected_id(item) -> str:
    return tag_uri(item.publication.url, item.issue.date.year, item.issue.number)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built(EXAMPLES_PUBLICATION, tmp_path_factory.mktemp("feeds") / "public")


@pytest.mark.parametrize("name", ["feed.xml", "rss.xml"])
def test_feedparser_reads_the_feed_without_complaint(site: Path, name: str) -> None:
    import feedparser

    parsed = feedparser.parse((site / name).read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == ("atom10" if name == "feed.xml" else "rss20")
    assert parsed.feed.title == "newsletter examples"
    examples = _examples()
    assert [entry.id for entry in parsed.entries] == [_expected_id(i) for i in examples]
    assert [entry.link for entry in parsed.entries] == [
        f"{BASE}issues/{item.issue.number}/" for item in examples]
    for entry, item in zip(parsed.entries, examples, strict=True):
        assert entry.title == item.issue.title
        published = dt.date(*entry.published_parsed[:3])
        assert published == item.issue.date
        content = entry.content[0]
        assert content.type == "text/html"
        _is_the_whole_issue(content.value, item)


def _is_the_whole_issue(html: str, item) -> None:
    """The content holds every paper of the issue, and links only absolutely."""
    from html import escape

    for entry in item.papers:
        title = escape(" ".join(entry.paper.title.split()), quote=False)
        headline = escape(" ".join((entry.paper.headline or "").split()), quote=False)
        assert title in html or (headline and headline in html), entry.paper.title
    assert "<style" not in html and "<script" not in html and 'class="' not in html
    import re

    for href in re.findall(r'href="([^"]*)"', html):
        assert href.startswith(("https://", "http://", "mailto:")), href


def test_the_archive_link_in_a_feed_is_absolute(site: Path) -> None:
    # weekly and pulse link back to the archive in their own text: made absolute.
    feed = json.loads((site / "feed.json").read_bytes())
    weekly = next(item for item in feed["items"] if item["id"].endswith("weekly/issue-3"))
    assert f'href="{BASE}"' in weekly["content_html"]


def test_feed_json_is_json_feed_1_1(site: Path) -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_bytes())
    jsonschema.Draft202012Validator.check_schema(schema)
    feed = json.loads((site / "feed.json").read_bytes())
    jsonschema.Draft202012Validator(schema).validate(feed)
    examples = _examples()
    assert [item["id"] for item in feed["items"]] == [_expected_id(i) for i in examples]
    assert feed["feed_url"] == BASE + "feed.json"
    for item, loaded in zip(feed["items"], examples, strict=True):
        _is_the_whole_issue(item["content_html"], loaded)


def test_the_schema_refuses_what_the_spec_refuses() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_bytes()))
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "t",
            "items": [{"id": "1", "content_html": "<p>x</p>"}]}
    assert validator.is_valid(good)
    for bad in ({**good, "version": "https://jsonfeed.org/version/1"},
                {**good, "items": [{"id": "1"}]},
                {**good, "items": [{"content_text": "x"}]},
                {**good, "items": [{"id": 1, "content_text": "x"}]},
                {**good, "author": {"name": "x"}, "unknown": 1},
                {**good, "items": [{"id": "1", "content_text": "x",
                                    "date_published": "2026-03-16"}]}):
        assert not validator.is_valid(bad), bad


def test_the_three_feeds_agree(site: Path) -> None:
    import feedparser

    atom = feedparser.parse((site / "feed.xml").read_bytes())
    rss = feedparser.parse((site / "rss.xml").read_bytes())
    feed = json.loads((site / "feed.json").read_bytes())
    assert [e.id for e in atom.entries] == [e.id for e in rss.entries] == [
        item["id"] for item in feed["items"]]
    for a, r, j in zip(atom.entries, rss.entries, feed["items"], strict=True):
        assert a.content[0].value == r.content[0].value == j["content_html"]


def test_ids_stay_when_the_site_moves(tmp_path: Path) -> None:
    import feedparser

    pub = small_site(tmp_path / "pub", (1, 2))
    here = built(pub, tmp_path / "a")
    there = built(pub, tmp_path / "b", "--base-url", "https://mirror.example.net/archive/")
    ids = [[e.id for e in feedparser.parse((out / "feed.xml").read_bytes()).entries]
           for out in (here, there)]
    assert ids[0] == ids[1] == ["tag:news.example.org,2026:weekly/issue-2",
                                "tag:news.example.org,2026:weekly/issue-1"]
    moved = feedparser.parse((there / "rss.xml").read_bytes())
    assert moved.entries[0].link == "https://mirror.example.net/archive/issues/2/"


def test_feed_items_limits_the_feeds_not_the_archive(tmp_path: Path) -> None:
    import feedparser

    pub = small_site(tmp_path / "pub", (1, 2, 3, 4))
    output = built(pub, tmp_path / "public", "--feed-items", "2")
    for name in ("feed.xml", "rss.xml"):
        parsed = feedparser.parse((output / name).read_bytes())
        assert [e.id.rsplit("-", 1)[1] for e in parsed.entries] == ["4", "3"]
    assert len(json.loads((output / "feed.json").read_bytes())["items"]) == 2
    assert (output / "issues/1/index.html").is_file()
    everything = built(pub, tmp_path / "all", "--feed-items", "0")
    assert len(json.loads((everything / "feed.json").read_bytes())["items"]) == 4


def test_updated_comes_from_the_issue(tmp_path: Path) -> None:
    import feedparser

    pub = small_site(tmp_path / "pub", (1, 2))
    path = pub / "issues/001/issue.toml"
    path.write_text(path.read_text("utf-8") + "updated = 2026-04-01\n", "utf-8")
    output = built(pub, tmp_path / "public")
    parsed = feedparser.parse((output / "feed.xml").read_bytes())
    assert parsed.feed.updated == "2026-04-01T00:00:00Z"
    first = next(e for e in parsed.entries if e.id.endswith("issue-1"))
    assert (first.published, first.updated) == ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")


@pytest.mark.parametrize(("url", "expected"), [
    ("https://example.com/briefing", "tag:example.com,2026:briefing/issue-12"),
    ("https://example.com/briefing/", "tag:example.com,2026:briefing/issue-12"),
    ("http://EXAMPLE.com:8080/", "tag:example.com,2026:issue-12"),
    ("https://bücher.example/a b/", "tag:xn--bcher-kva.example,2026:a%20b/issue-12"),
])
def test_tag_uris(url: str, expected: str) -> None:
    assert tag_uri(url, 2026, 12) == expected


def test_xml_text_replaces_what_xml_cannot_hold() -> None:
    assert xml_text("a\ufffeb\uffffc\U0001f600\t\n") == "a\ufffdb\ufffdc\U0001f600\t\n"
