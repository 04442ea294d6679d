"""The site's pages as the issue pages are held to: the Nu HTML Checker (one JVM run over
every page), axe-core in Chromium (WCAG 2.0/2.1 A and AA, light and dark, desktop and
phone), no horizontal scrolling, and a reader's walk over HTTP on 127.0.0.1: the archive,
an issue, Back to archive, for every issue; then the papers page to a paper's anchor.

The tools are the ones test_html_validity.py and test_browser.py use (their helpers are
imported, not copied); a missing tool skips locally and fails under CI.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.tools import format_vnu_errors, vnu_errors
from tests.test_browser import (  # noqa: F401 - axe_source is a fixture
    AXE_RUN_JS,
    AXE_TAGS,
    OVERFLOW_JS,
    VIEWPORTS,
    axe_source,
    format_violations,
    open_page,
)
from tests.test_html_validity import CANARY
from tests.test_site import EXAMPLES_PUBLICATION, built

PAGES = ["index.html", "papers/index.html"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built(EXAMPLES_PUBLICATION, tmp_path_factory.mktemp("pages") / "public")


def every_page(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_site_has_its_pages(site: Path) -> None:
    names = {page.relative_to(site).as_posix() for page in every_page(site)}
    assert set(PAGES) <= names and len(names) == len(PAGES) + 5, names


def test_nu_html_checker_finds_no_errors_on_any_page(site: Path, tmp_path: Path) -> None:
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    errors = vnu_errors([*every_page(site), canary])
    assert errors.get(canary.resolve()), "the checker did not reject the canary document"
    found = {page: errors.get(page.resolve(), []) for page in every_page(site)}
    bad = {page.relative_to(site).as_posix(): found[page] for page in found if found[page]}
    assert not bad, "\n".join(f"{name}:\n{format_vnu_errors(errs)}" for name, errs in
                              bad.items())


def _site_pages(site: Path) -> list[str]:
    # The archive, the papers page, and one issue of each kind of masthead.
    return [*PAGES, "issues/3/index.html", "issues/12/index.html"]


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_axe_finds_no_wcag_violations(site: Path, viewport: str, color_scheme: str,
                                      browser: Any, axe_source: str) -> None:  # noqa: F811
    for name in _site_pages(site):
        with open_page(browser, site / name, viewport, color_scheme=color_scheme) as page:
            page.add_script_tag(content=axe_source)
            result = page.evaluate(AXE_RUN_JS, AXE_TAGS)
            measured = page.evaluate(OVERFLOW_JS, VIEWPORTS[viewport]["width"])
        violations = result["violations"]
        assert not violations, (
            f"{name} at {viewport} size, {color_scheme} mode: axe-core {result['version']} "
            f"found {len(violations)} violation(s):\n" + format_violations(violations))
        assert measured["scrollWidth"] <= measured["width"], (name, measured)


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """The folder over HTTP on 127.0.0.1 (a free port), as a static host serves it."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_reader_goes_from_the_archive_to_each_issue_and_back(site: Path,
                                                                browser: Any) -> None:
    with serve(site) as root:
        context = browser.new_context(viewport=VIEWPORTS["desktop"])
        try:
            # Nothing but the local site: the papers' own links are never followed.
            context.route("**/*", lambda route: route.continue_()
                          if route.request.url.startswith(root) else route.abort())
            page = context.new_page()
            page.goto(root, wait_until="load")
            entries = page.locator("ul.archive h2 a")
            count = entries.count()
            assert count == 5
            for index in range(count):
                link = page.locator("ul.archive h2 a").nth(index)
                title = " ".join(link.inner_text().split())
                href = link.get_attribute("href")
                link.click()
                page.wait_for_load_state("load")
                assert page.url == root + href, (page.url, href)
                assert title in " ".join(page.locator("body").inner_text().split())
                page.get_by_role("link", name="Back to archive").click()
                page.wait_for_load_state("load")
                assert page.url == root, page.url
                assert page.locator("h1").inner_text() == "newsletter examples"
            page.get_by_role("link", name="Every paper covered").click()
            page.wait_for_load_state("load")
            assert page.url == root + "papers/"
            first = page.locator("ul.papers-index .appeared a").first
            target = first.get_attribute("href")
            first.click()
            page.wait_for_load_state("load")
            anchor = target.split("#", 1)[1]
            assert page.url.endswith(target.removeprefix("../"))
            assert page.locator(f"#{anchor}").count() == 1
            assert page.locator(f"#{anchor}").is_visible()
        finally:
            context.close()
