"""Every style's HTML page in a real browser: headless Chromium driven by Playwright.

For each style that has an HTML page, at a desktop (1280×900) and a phone (390×844) size:
no horizontal scrolling, every paper's title visible (present, of real size, not clipped,
not covered), a full-page screenshot (in pytest's tmp dir; ``tools/screenshots.py`` makes
the ones in docs/screenshots/), a dark background under ``prefers-color-scheme: dark``, and
no axe-core violations of WCAG 2.0/2.1 A and AA, in light and in dark mode.

Chromium is Debian's (``/usr/bin/chromium``, or ``$CHROMIUM``), never Playwright's own
download. Playwright starts it with a fresh temporary profile each time. Locally a missing
Chromium, Playwright or axe-core skips with the reason; with ``CI`` set it fails.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.entries.loading import load_issue
from newsletter.entries.styles import all_styles
from tests.support.tools import need

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
AXE_JS = REPO / "tools" / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
INSTALL_HINT = "npm ci --prefix tools"

HTML_STYLES = sorted(style.name for style in all_styles() if "html" in style.formats)
STYLE_VIEWPORTS = [(style, viewport) for style in HTML_STYLES for viewport in VIEWPORTS]






def render_page(style: str, output: Path) -> Path:
    """``newsletter render examples/STYLE --format html --output OUTPUT``."""
    args = ["render", str(EXAMPLES / style), "--format", "html", "--output", str(output)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, (
        f"newsletter {' '.join(args)} exited {result.exit_code}:\n{result.output}")
    return output


def paper_titles(style: str, page: Path) -> list[str]:
    """What names each paper of the example on its page: its title, or, in a style whose
    seed shows no titles (briefing), its headline, which must then link to the paper."""
    html = page.read_text(encoding="utf-8")
    names = []
    for entry in load_issue(EXAMPLES / style).papers:
        title = " ".join(entry.paper.title.split())
        if escape(title, quote=False) in html or not entry.paper.headline:
            names.append(title)
            continue
        assert f'href="{escape(entry.paper.url or "")}"' in html, (
            f"{style}: the page shows neither the title of nor a link to {title!r}")
        names.append(" ".join(entry.paper.headline.split()))
    return names


@contextmanager
def open_page(browser: Any, html: Path, viewport: str,
              color_scheme: str = "light") -> Iterator[Any]:
    """The page at one viewport and colour scheme; requests off this machine are refused."""
    phone = viewport == "phone"
    context = browser.new_context(viewport=VIEWPORTS[viewport], device_scale_factor=1,
                                  is_mobile=phone, has_touch=phone, color_scheme=color_scheme)
    try:
        context.route("**/*", lambda route: route.continue_()
                      if route.request.url.startswith(("file:", "data:")) else route.abort())
        page = context.new_page()
        page.goto(html.resolve().as_uri(), wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pages")
    return {style: render_page(style, folder / f"{style}.html") for style in HTML_STYLES}


@pytest.fixture(scope="session")
def axe_source() -> str:
    need(AXE_JS.is_file(), f"{AXE_JS.relative_to(REPO)} is missing: {INSTALL_HINT}")
    return AXE_JS.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- in the page

# The page's width against the viewport's, and the elements that stick out: each one that
# reaches past the right edge while its parent does not. A phone (is_mobile) zooms out to
# show a page wider than the device, which widens innerWidth with it: so the width to fit
# is the narrower of innerWidth and the device's own width.
OVERFLOW_JS = """(deviceWidth) => {
  const width = Math.min(window.innerWidth, deviceWidth);
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map((c) => '.' + c).join('');
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    const parent = el.parentElement.getBoundingClientRect().right;
    if (right > width + 0.5 && parent <= width + 0.5) {
      culprits.push(`${describe(el)} reaches x=${Math.round(right)}: `
        + JSON.stringify((el.textContent || '').trim().slice(0, 60)));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width,
          culprits: culprits.slice(0, 10)};
}"""

# For each title: is some element that holds it (the innermost ones) really seen? It must
# have a size, be visible and opaque, not be clipped by itself or by an ancestor that hides
# overflow, stay inside the viewport's width, and be the element on top at its own middle.
TITLES_JS = """([titles, deviceWidth]) => {
  const width = Math.min(window.innerWidth, deviceWidth);
  const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + [...el.classList].map((c) => '.' + c).join('');
  const problems = (el) => {
    const found = [];
    const style = getComputedStyle(el);
    el.scrollIntoView({block: 'center', inline: 'nearest', behavior: 'instant'});
    const box = el.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) found.push(`size ${box.width}x${box.height}`);
    if (style.visibility !== 'visible') found.push(`visibility: ${style.visibility}`);
    if (style.clipPath !== 'none' || (style.clip && style.clip !== 'auto')) {
      found.push(`clipped by its own clip/clip-path`);
    }
    if (style.display !== 'inline' && style.overflowX !== 'visible'
        && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)) {
      found.push(`text cut off inside its own box (overflow: ${style.overflowX})`);
    }
    for (let up = el; up; up = up.parentElement) {
      const upStyle = getComputedStyle(up);
      if (parseFloat(upStyle.opacity) === 0) found.push(`transparent (${describe(up)})`);
      if (up !== el && (upStyle.overflowX !== 'visible' || upStyle.overflowY !== 'visible')) {
        const outer = up.getBoundingClientRect();
        if (box.left < outer.left - 1 || box.right > outer.right + 1
            || box.top < outer.top - 1 || box.bottom > outer.bottom + 1) {
          found.push(`clipped by ${describe(up)} (overflow: ${upStyle.overflowX})`);
        }
      }
    }
    if (box.left < -1 || box.right > width + 1) {
      found.push(`outside the viewport: x ${Math.round(box.left)}..${Math.round(box.right)}`);
    }
    const line = el.getClientRects()[0];
    if (line && !found.length) {
      const x = Math.min(Math.max(line.left + Math.min(line.width / 2, 20), 0), innerWidth - 1);
      const y = Math.min(Math.max(line.top + line.height / 2, 0), innerHeight - 1);
      const hit = document.elementFromPoint(x, y);
      if (hit && !el.contains(hit) && !hit.contains(el)) found.push(`covered by ${describe(hit)}`);
    }
    return found;
  };
  return titles.map((title) => {
    const want = norm(title);
    const holders = [...document.body.querySelectorAll('*')]
      .filter((el) => norm(el.textContent).includes(want))
      .filter((el) => ![...el.children].some((child) => norm(child.textContent).includes(want)));
    const seen = holders.map((el) => ({element: describe(el), problems: problems(el)}));
    return {title, visible: seen.some((h) => h.problems.length === 0), holders: seen};
  });
}"""

# The share of the rendered pixels that are dark (relative luminance below 0.2), from a
# screenshot that the page's own canvas decodes, scaled down to at most 320 pixels wide.
DARK_SHARE_JS = """async (jpeg) => {
  const image = new Image();
  image.src = 'data:image/jpeg;base64,' + jpeg;
  await image.decode();
  const scale = Math.min(1, 320 / image.width);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(image.width * scale));
  canvas.height = Math.max(1, Math.round(image.height * scale));
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const linear = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b) < 0.2) dark += 1;
  }
  return dark / (data.length / 4);
}"""

AXE_RUN_JS = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                           resultTypes: ['violations']});
  return {version: axe.version, violations: results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary,
                                html: n.html}))}))};
}"""


def format_violations(violations: list[dict], limit: int = 6) -> str:
    lines = []
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']} "
                     f"({len(nodes)} element(s)) {violation['helpUrl']}")
        for node in nodes[:limit]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"      {node['target']}: {summary[:300]}")
            lines.append(f"        {' '.join(node['html'].split())[:160]}")
        if len(nodes) > limit:
            lines.append(f"      ... and {len(nodes) - limit} more")
    return "\n".join(lines)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


# ----------------------------------------------------------------------------- the tests


def test_some_style_has_an_html_page() -> None:
    # Otherwise every parametrized test below would be collected empty and pass silently.
    assert HTML_STYLES, "no style has an HTML template (templates/<style>/issue.html.j2)"


@pytest.mark.parametrize(("style", "viewport"), STYLE_VIEWPORTS)
def test_no_horizontal_overflow(style: str, viewport: str, pages: dict[str, Path],
                                browser: Any) -> None:
    with open_page(browser, pages[style], viewport) as page:
        measured = page.evaluate(OVERFLOW_JS, VIEWPORTS[viewport]["width"])
    assert measured["scrollWidth"] <= measured["width"], (
        f"{style} at {viewport} size scrolls sideways: the page is {measured['scrollWidth']}px "
        f"wide in a {measured['width']}px viewport. Sticking out:\n  "
        + "\n  ".join(measured["culprits"]))


@pytest.mark.parametrize(("style", "viewport"), STYLE_VIEWPORTS)
def test_every_paper_title_is_visible(style: str, viewport: str, pages: dict[str, Path],
                                      browser: Any) -> None:
    titles = paper_titles(style, pages[style])
    assert titles, f"examples/{style} has no papers"
    with open_page(browser, pages[style], viewport) as page:
        results = page.evaluate(TITLES_JS, [titles, VIEWPORTS[viewport]["width"]])
    hidden = [result for result in results if not result["visible"]]
    report = []
    for result in hidden:
        report.append(f"  {result['title']!r}:")
        report += [f"      in {holder['element']}: {', '.join(holder['problems'])}"
                   for holder in result["holders"]] or ["      not in the page at all"]
    assert not hidden, (f"{style} at {viewport} size: {len(hidden)} of {len(titles)} paper "
                        f"titles are not visible:\n" + "\n".join(report))


@pytest.mark.parametrize(("style", "viewport"), STYLE_VIEWPORTS)
def test_screenshot(style: str, viewport: str, pages: dict[str, Path], browser: Any,
                    tmp_path: Path) -> None:
    target = tmp_path / f"{style}-{viewport}.png"
    with open_page(browser, pages[style], viewport) as page:
        page.screenshot(path=str(target), full_page=True)
        height = page.evaluate("document.documentElement.scrollHeight")
    width, shot_height = png_size(target.read_bytes())
    print(f"screenshot: {target} ({width}x{shot_height})")
    assert width == VIEWPORTS[viewport]["width"]
    assert shot_height >= min(height, VIEWPORTS[viewport]["height"]) > 0


def dark_share(browser: Any, html: Path, color_scheme: str) -> float:
    with open_page(browser, html, "desktop", color_scheme=color_scheme) as page:
        jpeg = page.screenshot(full_page=True, type="jpeg", quality=80)
        return page.evaluate(DARK_SHARE_JS, base64.b64encode(jpeg).decode())


@pytest.mark.parametrize("style", HTML_STYLES)
def test_dark_mode_has_a_dark_background(style: str, pages: dict[str, Path],
                                         browser: Any) -> None:
    # Dark text on a dark page would pass here; axe's colour-contrast rule, which runs in
    # dark mode below, catches that.
    dark = dark_share(browser, pages[style], "dark")
    if dark < 0.75:
        light = dark_share(browser, pages[style], "light")
        pytest.fail(f"{style} with prefers-color-scheme: dark: only {dark:.0%} of the page is "
                    f"dark (relative luminance < 0.2), expected at least 75% (in light mode: "
                    f"{light:.0%})", pytrace=False)


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize(("style", "viewport"), STYLE_VIEWPORTS)
def test_axe_finds_no_wcag_violations(style: str, viewport: str, color_scheme: str,
                                      pages: dict[str, Path], browser: Any,
                                      axe_source: str) -> None:
    with open_page(browser, pages[style], viewport, color_scheme=color_scheme) as page:
        page.add_script_tag(content=axe_source)
        result = page.evaluate(AXE_RUN_JS, AXE_TAGS)
    violations = result["violations"]
    if violations:
        print(format_violations(violations))
    assert not violations, (
        f"{style} at {viewport} size, {color_scheme} mode: axe-core {result['version']} "
        f"found {len(violations)} WCAG 2 A/AA violation(s):\n" + format_violations(violations))


def test_axe_reports_a_known_violation(browser: Any, axe_source: str, tmp_path: Path) -> None:
    # A page with known faults, so a broken injection or an empty rule set cannot pass.
    canary = tmp_path / "canary.html"
    canary.write_text('<!DOCTYPE html><html><title>x</title><img src="data:,">'
                      '<p style="color:#777;background:#888">low contrast</p>', "utf-8")
    with open_page(browser, canary, "desktop") as page:
        page.add_script_tag(content=axe_source)
        found = {violation["id"] for violation in page.evaluate(AXE_RUN_JS, AXE_TAGS)
                 ["violations"]}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= found, found


def test_the_checks_catch_a_broken_page(browser: Any, tmp_path: Path) -> None:
    # The checks above must be able to fail: a page that is too wide for a phone, with one
    # title cut off, one only in a visually-hidden span, one covered, and no dark mode.
    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta name="viewport" '
        'content="width=device-width, initial-scale=1"><title>broken</title><style>'
        '.cut{width:120px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}'
        '.hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}'
        '.cover{position:absolute;top:0;left:0;width:100%;height:60px;background:#fff}'
        '</style></head><body><h2>Covered title</h2><div class="cover"></div>'
        '<h2 class="cut">A title far too long for its box</h2>'
        '<span class="hidden">Hidden title</span><pre style="width:900px">wide</pre>'
        '</body></html>', "utf-8")
    titles = ["Covered title", "A title far too long for its box", "Hidden title", "Absent"]
    with open_page(browser, broken, "phone") as page:
        measured = page.evaluate(OVERFLOW_JS, VIEWPORTS["phone"]["width"])
        results = page.evaluate(TITLES_JS, [titles, VIEWPORTS["phone"]["width"]])
    assert measured["scrollWidth"] > measured["width"]
    assert any(culprit.startswith("pre") for culprit in measured["culprits"])
    problems = {result["title"]: result for result in results}
    assert not any(result["visible"] for result in results), problems
    assert "covered by div.cover" in problems["Covered title"]["holders"][0]["problems"]
    assert problems["Absent"]["holders"] == []
    assert dark_share(browser, broken, "dark") < 0.75
