"""Stand-ins for arXiv's export API and Crossref's REST API, served from fixtures on
127.0.0.1 (pytest-httpserver), for tests of ``add-paper --arxiv/--doi`` and ``import``.

The arXiv stand-in answers ``id_list=a,b,c`` as arXiv does: one Atom feed holding the entry
of each id it knows (a bare id gets the newest version it has), ``totalResults`` the number
found. Its papers are the entries of the fixture files it is given. The Crossref stand-in
answers ``/works/<doi>`` from Crossref fixture files, 404 for any other DOI. Both record
every request they answered, for tests that count them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from newsletter.entries.identity import parse_arxiv

FIXTURES = Path(__file__).parent.parent / "fixtures"
ARXIV_PATH = "/api/query"
ATOM = "{http://www.w3.org/2005/Atom}"
_ID = re.compile(r"abs/(?P<id>.+?)v(?P<version>\d+)$")
# The papers newsletter import of the README's example meets, and their Crossref work.
PAPERS = ("2604.01234v1.xml", "2604.05678v2.xml", "hep-th_9901001v2.xml", "1605.08386.xml")
WORKS = ("work.json",)


def _entries(names: tuple[str, ...]) -> dict[str, list[tuple[int, str]]]:
    """Each base id with its versions' entries (as XML text), oldest first."""
    ElementTree.register_namespace("", ATOM[1:-1])
    ElementTree.register_namespace("arxiv", "http://arxiv.org/schemas/atom")
    ElementTree.register_namespace("opensearch", "http://a9.com/-/spec/opensearch/1.1/")
    papers: dict[str, list[tuple[int, str]]] = {}
    for name in names:
        feed = ElementTree.parse(FIXTURES / "arxiv" / name).getroot()
        for entry in feed.findall(f"{ATOM}entry"):
            match = _ID.search(entry.findtext(f"{ATOM}id") or "")
            assert match, f"{name}: an entry without a versioned id"
            papers.setdefault(match.group("id"), []).append(
                (int(match.group("version")), ElementTree.tostring(entry, encoding="unicode")))
    return {key: sorted(versions) for key, versions in papers.items()}


def _feed(entries: list[str]) -> str:
    return ("<?xml version='1.0' encoding='UTF-8'?>\n"
            '<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom" '
            'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">\n'
            "  <id>https://arxiv.org/api/stand-in</id>\n"
            "  <title>arXiv Query (stand-in)</title>\n"
            "  <updated>2026-04-12T22:10:19Z</updated>\n"
            f"  <opensearch:itemsPerPage>{len(entries)}</opensearch:itemsPerPage>\n"
            f"  <opensearch:totalResults>{len(entries)}</opensearch:totalResults>\n"
            "  <opensearch:startIndex>0</opensearch:startIndex>\n"
            + "".join(entries) + "</feed>\n")


@dataclass
class StandIn:
    """Both stand-ins on one server; ``arxiv_api`` and ``crossref_api`` are their URLs."""

    server: HTTPServer
    papers: tuple[str, ...] = PAPERS
    works: tuple[str, ...] = WORKS
    arxiv_requests: list[str] = field(default_factory=list)  # each id_list asked
    crossref_requests: list[str] = field(default_factory=list)  # each DOI asked

    def __post_init__(self) -> None:
        self._papers = _entries(self.papers)
        self._works = {}
        for name in self.works:
            work = json.loads((FIXTURES / "crossref" / name).read_text(encoding="utf-8"))
            self._works[work["message"]["DOI"].lower()] = work
        self.server.expect_request(ARXIV_PATH).respond_with_handler(self._arxiv)
        self.server.expect_request(re.compile(r"^/works/.+")).respond_with_handler(
            self._crossref)
        self.server.expect_request(re.compile(r"^/resolver/.+")).respond_with_handler(
            self._resolver)

    @property
    def arxiv_api(self) -> str:
        return self.server.url_for(ARXIV_PATH)

    @property
    def crossref_api(self) -> str:
        return self.server.url_for("").rstrip("/")

    def environment(self) -> dict[str, str]:
        """The variables that point newsletter at the stand-ins (doi.org too: a DOI
        Crossref lacks gets this server's 404, never the internet)."""
        return {"NEWSLETTER_ARXIV_API": self.arxiv_api,
                "NEWSLETTER_CROSSREF_API": self.crossref_api,
                "NEWSLETTER_DOI_RESOLVER": self.crossref_api + "/resolver"}

    def _arxiv(self, request: Request) -> Response:
        asked = request.args.get("id_list", "")
        self.arxiv_requests.append(asked)
        found = []
        for one in filter(None, asked.split(",")):
            wanted = parse_arxiv(one)
            versions = self._papers.get(wanted.base, []) if wanted else []
            chosen = [text for number, text in versions
                      if wanted and wanted.version in (None, number)]
            if chosen:
                found.append(chosen[-1])
        return Response(_feed(found), 200, content_type="application/atom+xml; charset=utf-8")

    def _resolver(self, request: Request) -> Response:
        self.crossref_requests.append("resolver:" + request.path.removeprefix("/resolver/"))
        return Response("DOI not found", 404, content_type="text/plain")

    def _crossref(self, request: Request) -> Response:
        doi = unquote(request.path.removeprefix("/works/")).lower()
        self.crossref_requests.append(doi)
        work = self._works.get(doi)
        if work is None:
            return Response("Resource not found.", 404, content_type="text/plain")
        return Response(json.dumps(work), 200, content_type="application/json")


def main() -> None:
    """``python -m tests.support.standin [PORT]``: the stand-ins on 127.0.0.1, to try
    ``newsletter import`` by hand without the network; prints the variables to set."""
    import sys

    server = HTTPServer(host="127.0.0.1", port=int(sys.argv[1]) if len(sys.argv) > 1 else 0)
    standin = StandIn(server)
    serve_until_interrupted(server, [
        *(f"export {name}={value}" for name, value in standin.environment().items()),
        "# serving arXiv and Crossref stand-ins; Ctrl-C stops"])


def serve_until_interrupted(server: HTTPServer, lines: list[str]) -> None:
    """Start ``server``, print ``lines`` (what to export), and serve until Ctrl-C."""
    import time

    server.start()
    print("\n".join(lines), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
