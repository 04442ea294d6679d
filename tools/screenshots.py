"""Screenshots of every style's HTML page, for docs/screenshots/.

    python tools/screenshots.py                  # all styles that have an HTML page
    python tools/screenshots.py weekly --full-page

Writes ``<style>-desktop.png`` (1280×900) and ``<style>-phone.png`` (390×844) of each
style's example issue (``examples/<style>``), rendered with ``newsletter render --format
html``. By default a shot is the first screen, as a reader sees it on opening the page;
``--full-page`` takes the whole page. Uses the browser set-up of tests/test_browser.py:
Debian's Chromium (``/usr/bin/chromium`` or ``$CHROMIUM``) driven by Playwright, so it
needs what those tests need (``apt-get install chromium fonts-liberation`` and
``pip install ".[test]"``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.tools import launch_chromium  # noqa: E402  (needs the repository)
from tests.test_browser import (  # noqa: E402
    HTML_STYLES,
    VIEWPORTS,
    open_page,
    render_page,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("styles", nargs="*", metavar="STYLE",
                        help=f"styles to shoot (default: all with HTML: {', '.join(HTML_STYLES)})")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots",
                        help="folder for the PNG files (default: docs/screenshots)")
    parser.add_argument("--full-page", action="store_true",
                        help="the whole page instead of the first screen")
    parser.add_argument("--color-scheme", choices=("light", "dark"), default="light")
    args = parser.parse_args(argv)

    unknown = sorted(set(args.styles) - set(HTML_STYLES))
    if unknown:
        parser.error(f"no HTML page for: {', '.join(unknown)} (have: {', '.join(HTML_STYLES)})")
    styles = args.styles or HTML_STYLES
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.color_scheme == "light" else "-dark"

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            for style in styles:
                page_file = render_page(style, Path(scratch) / f"{style}.html")
                for viewport in VIEWPORTS:
                    target = args.out / f"{style}-{viewport}{suffix}.png"
                    with open_page(browser, page_file, viewport, args.color_scheme) as page:
                        page.screenshot(path=str(target), full_page=args.full_page)
                    shown = target.relative_to(REPO) if target.is_relative_to(REPO) else target
                    print(f"wrote {shown}")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
