"""The site's feeds, each entry carrying its issue's whole HTML: Atom 1.0 (RFC 4287), RSS 2.0
with ``content:encoded``, and JSON Feed 1.1.

Written with ``xml.etree`` and ``json`` rather than feedgen: feedgen stamps the feed and
every entry with the time of the build unless each is set (a build must be byte-for-byte
repeatable), prepends entries by default, and its CDATA breaks on ``]]>`` in a paper's
text; ElementTree escapes every text and attribute, so nothing a title says becomes markup.
XML 1.0 cannot carry every character a TOML string can (U+FFFE, U+FFFF): such a character
is written as U+FFFD, the replacement character, instead of making the feed unreadable.

Entry ids are ``tag:`` URIs (RFC 4151) made of the issue's publication ``url`` (its host
and path), the year of the issue's date and its number: they stay the same when the site
moves to another host (``--base-url``), which a feed reader would otherwise take for new
issues. The content is the issue page's ``<main>``, sanitised once more (nh3) with every
link made absolute, since a feed reader shows it away from the site.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import format_datetime
from urllib.parse import quote, urljoin, urlsplit

from newsletter import __version__

ATOM_NS = "http://www.w3.org/2005/Atom"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

# The three feeds: file name, media type, what the autodiscovery link calls it.
FEEDS: tuple[tuple[str, str, str], ...] = (
    ("feed.xml", "application/atom+xml", "Atom"),
    ("rss.xml", "application/rss+xml", "RSS"),
    ("feed.json", "application/feed+json", "JSON Feed"),
)

# Characters XML 1.0 has no place for (Char, section 2.2 of the spec). Control characters
# never get this far (the models refuse them); U+FFFE and U+FFFF do.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` with any character XML 1.0 cannot hold replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One issue in the feeds."""

    id: str
    title: str
    url: str
    published: dt.date
    updated: dt.date
    summary: str | None
    content_html: str


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What the feeds say of the site: its name, the archive's absolute URL, the feeds'
    own URLs (by file name), its language and the id of the feed itself."""

    title: str
    subtitle: str | None
    home_url: str
    feed_urls: dict[str, str]
    language: str
    id: str
    author: str


def tag_uri(identity_url: str, year: int, number: int) -> str:
    """The id of issue ``number``: ``tag:example.com,2026:briefing/issue-12`` for an issue
    of 2026 of the publication at ``https://example.com/briefing``. Neither the scheme nor
    the port counts: moving the site from http to https does not make old issues new."""
    parts = urlsplit(identity_url)
    host = (parts.hostname or "localhost").rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = quote(host, safe="")
    path = quote(parts.path.strip("/"), safe="/:@!$&'()*+,;=-._~")
    return f"tag:{host},{year:04d}:{path + '/' if path else ''}issue-{number}"


def _moment(value: dt.date) -> dt.datetime:
    # An issue has a date, no time: midnight UTC, the same on every machine.
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)


def _rfc3339(value: dt.date) -> str:
    return _moment(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _newest(entries: Sequence[FeedEntry]) -> dt.date:
    return max((entry.updated for entry in entries), default=dt.date(1970, 1, 1))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n").encode("utf-8")


def atom_feed(info: FeedInfo, entries: Sequence[FeedEntry]) -> bytes:
    """The Atom 1.0 feed (RFC 4287), newest entry first, each with its HTML content."""
    # The namespace as a plain attribute: ElementTree's register_namespace is global.
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": xml_text(info.language)})
    _sub(feed, "id", info.id)
    _sub(feed, "title", info.title)
    if info.subtitle:
        _sub(feed, "subtitle", info.subtitle)
    _sub(feed, "updated", _rfc3339(_newest(entries)))
    _sub(feed, "link", rel="alternate", type="text/html", href=info.home_url)
    _sub(feed, "link", rel="self", type="application/atom+xml",
         href=info.feed_urls["feed.xml"])
    author = _sub(feed, "author")
    _sub(author, "name", info.author)
    _sub(feed, "generator", "newsletter", version=__version__)
    for entry in entries:
        item = _sub(feed, "entry")
        _sub(item, "id", entry.id)
        _sub(item, "title", entry.title)
        _sub(item, "link", rel="alternate", type="text/html", href=entry.url)
        _sub(item, "published", _rfc3339(entry.published))
        _sub(item, "updated", _rfc3339(entry.updated))
        if entry.summary:
            _sub(item, "summary", entry.summary)
        _sub(item, "content", entry.content_html, type="html")
    return _serialise(feed)


def rss_feed(info: FeedInfo, entries: Sequence[FeedEntry]) -> bytes:
    """The RSS 2.0 feed: each item's whole HTML in ``content:encoded``, its summary in
    ``description``, and a ``guid`` that is the entry's tag id (not a link)."""
    rss = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS,
                             "xmlns:content": CONTENT_NS})
    channel = _sub(rss, "channel")
    _sub(channel, "title", info.title)
    _sub(channel, "link", info.home_url)
    _sub(channel, "description", info.subtitle or info.title)
    _sub(channel, "language", info.language)
    _sub(channel, "atom:link", rel="self", type="application/rss+xml",
         href=info.feed_urls["rss.xml"])
    _sub(channel, "generator", f"newsletter {__version__}")
    if entries:
        _sub(channel, "lastBuildDate", format_datetime(_moment(_newest(entries)), usegmt=True))
    for entry in entries:
        item = _sub(channel, "item")
        _sub(item, "title", entry.title)
        _sub(item, "link", entry.url)
        _sub(item, "guid", entry.id, isPermaLink="false")
        _sub(item, "pubDate", format_datetime(_moment(entry.published), usegmt=True))
        _sub(item, "description", entry.summary or entry.title)
        _sub(item, "content:encoded", entry.content_html)
    return _serialise(rss)


def json_feed(info: FeedInfo, entries: Sequence[FeedEntry]) -> bytes:
    """The JSON Feed 1.1, with ``content_html`` for every item."""
    items = []
    for entry in entries:
        item: dict[str, object] = {"id": entry.id, "url": entry.url, "title": entry.title,
                                   "content_html": entry.content_html}
        if entry.summary:
            item["summary"] = entry.summary
        item["date_published"] = _rfc3339(entry.published)
        item["date_modified"] = _rfc3339(entry.updated)
        items.append(item)
    feed: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": info.title,
        "home_page_url": info.home_url,
        "feed_url": info.feed_urls["feed.json"],
        **({"description": info.subtitle} if info.subtitle else {}),
        "language": info.language,
        "authors": [{"name": info.author}],
        "items": items,
    }
    text = json.dumps(feed, ensure_ascii=False, indent=2)
    # The same JSON, with no '<', '>' or '&' as such: a feed.json a host serves with the
    # wrong media type, or a page that inlines it in a script, reads no markup in it.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (text + "\n").encode("utf-8")


# What a feed reader is given of a page: its text-level and sectioning elements, links,
# times and ids (the papers' anchors). No classes or styles (a reader has no stylesheet),
# no scripts, no forms, no images (an issue has none).
_TAGS = {"a", "article", "aside", "b", "blockquote", "br", "code", "dd", "del", "div", "dl",
         "dt", "em", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "li",
         "nav", "ol", "p", "pre", "section", "small", "span", "strong", "sub", "sup",
         "table", "tbody", "td", "th", "thead", "time", "tr", "ul"}
_ATTRIBUTES = {"*": {"id", "lang", "title"}, "a": {"href", "hreflang"},
               "time": {"datetime"}, "ol": {"start"}, "td": {"colspan", "rowspan"},
               "th": {"colspan", "rowspan", "scope"}}
_MAIN = re.compile(r"<main\b[^>]*>(?P<inner>.*)</main>", re.S)
_BODY = re.compile(r"<body\b[^>]*>(?P<inner>.*)</body>", re.S)
# The site's own Back to archive link (page.html.j2): the site's chrome, not the issue's.
_SITE_NAV = re.compile(r'<nav class="site-nav"[^>]*>.*?</nav>\n?', re.S)


def feed_html(page: str, page_url: str) -> str:
    """The HTML a feed carries for an issue page: the inside of its ``<main>`` (of its
    ``<body>`` when a publication's own template has none) without the site's Back to
    archive link, sanitised, every link absolute from ``page_url``."""
    import nh3

    found = _MAIN.search(page) or _BODY.search(page)
    inner = _SITE_NAV.sub("", found.group("inner") if found else page, count=1)

    def absolute(tag: str, attribute: str, value: str) -> str | None:
        if tag == "a" and attribute == "href":
            return urljoin(page_url, value)
        return value

    cleaned = nh3.clean(inner, tags=_TAGS, attributes=_ATTRIBUTES,
                        url_schemes={"http", "https", "mailto"}, link_rel=None,
                        attribute_filter=absolute, strip_comments=True)
    return xml_text(cleaned.strip())
