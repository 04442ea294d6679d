"""Every style's HTML page, and the HTML part of its email, passes the Nu HTML Checker.

The checker is the npm package ``vnu-jar`` (``npm ci --prefix tools``), run on Java 17+.
All documents go to ONE ``java -jar vnu.jar`` call (a JVM start costs seconds), and each
document is then its own test, so a failure names the style and lists its errors as
``file:line:column: message`` with the offending source.

Locally a missing Java or vnu.jar skips these tests with the reason; with ``CI`` set
(``CI=true bash .ci/run``) it fails them, so CI cannot pass without checking.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from newsletter.entries.styles import all_styles
from tests.tooling import need, render

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
VNU_JAR = REPO / "tools" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "run `npm ci --prefix tools` (and install Java 17+, Debian: default-jre-headless)"

HTML_STYLES = sorted(style.name for style in all_styles() if "html" in style.formats)
EMAIL_STYLES = sorted(style.name for style in all_styles() if "email" in style.formats)
DOCUMENTS = [f"{name}-page" for name in HTML_STYLES] + [f"{name}-email" for name in EMAIL_STYLES]

# A document the checker must reject: proves that errors really come back from the JVM
# call and are matched to their file (a broken pipeline would otherwise pass everything).
CANARY = "<!DOCTYPE html><html lang=en><title>x</title><p><div>block in p</div><blink>x</blink>"








def email_html(eml: Path) -> str:
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    part = message.get_body(preferencelist=("html",))
    assert part is not None, f"{eml.name} has no text/html part"
    return part.get_content()


def java_major_version(java: str) -> int:
    result = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    found = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not found:
        return 0
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8.0" is Java 8


@pytest.fixture(scope="session")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Document id ('weekly-page', 'weekly-email') → the HTML file to check."""
    folder = tmp_path_factory.mktemp("html-validity")
    found: dict[str, Path] = {}
    for style in HTML_STYLES:
        found[f"{style}-page"] = render(style, "html", folder / f"{style}.html")
    for style in EMAIL_STYLES:
        eml = render(style, "email", folder / f"{style}.eml",
                     "--from", "Ed <ed@example.com>", "--to", "list@example.com")
        html = folder / f"{style}-email.html"
        html.write_text(email_html(eml), encoding="utf-8")
        found[f"{style}-email"] = html
    found["canary"] = folder / "canary.html"
    found["canary"].write_text(CANARY, encoding="utf-8")
    return found


@pytest.fixture(scope="session")
def vnu_errors(documents: dict[str, Path]) -> dict[Path, list[dict]]:
    """One checker run over every document: file → its error messages."""
    java = shutil.which("java")
    need(java is not None, f"Java is not installed: {INSTALL_HINT}")
    assert java is not None
    version = java_major_version(java)
    need(version >= 17, f"vnu.jar needs Java 17 or newer, `{java} -version` says {version}: "
         f"{INSTALL_HINT}")
    need(VNU_JAR.is_file(), f"{VNU_JAR.relative_to(REPO)} is missing: {INSTALL_HINT}")

    files = sorted({path.resolve() for path in documents.values()})
    command = [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
               "--stdout", *map(str, files)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"the Nu HTML Checker did not answer with JSON (exit {result.returncode}):"
                    f"\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}", pytrace=False)

    errors: dict[Path, list[dict]] = defaultdict(list)
    for message in report.get("messages", []):
        if message.get("type") == "info":  # --errors-only leaves none; be sure anyway
            continue
        url = message.get("url", "")
        path = Path(unquote(urlparse(url).path)).resolve() if url else Path("<no file>")
        errors[path].append(message)
    unknown = set(errors) - set(files)
    assert not unknown, f"checker messages for unexpected files: {format_errors(errors)}"
    return errors


def format_errors(errors: dict[Path, list[dict]] | list[dict], limit: int = 40) -> str:
    """``file:line:col: message`` with the source extract; repeated messages are folded."""
    items = errors if isinstance(errors, list) else [m for ms in errors.values() for m in ms]
    seen: dict[tuple[str, str], int] = defaultdict(int)
    lines: list[str] = []
    for message in items:
        name = Path(unquote(urlparse(message.get("url", "")).path)).name or "?"
        text = message.get("message", "").strip()
        seen[(name, text)] += 1
        if seen[(name, text)] > 3:
            continue
        line = message.get("firstLine", message.get("lastLine", "?"))
        where = f"{name}:{line}:{message.get('firstColumn', '?')}"
        lines.append(f"  {where}: {message.get('type', 'error')}: {text}")
        extract = message.get("extract")
        if extract:
            start = message.get("hiliteStart", 0)
            length = message.get("hiliteLength", len(extract))
            marked = (extract[:start] + "»" + extract[start:start + length] + "«"
                      + extract[start + length:])
            lines.append("      " + " ".join(marked.split())[:220])
    folded = [f"  ... and {count - 3} more of: {name}: {text}"
              for (name, text), count in seen.items() if count > 3]
    shown = lines[: limit * 2]
    if len(lines) > len(shown):
        shown.append(f"  ... ({len(lines) // 2 - limit} more messages not shown)")
    return "\n".join(shown + folded)


def test_some_style_has_an_html_page() -> None:
    # Otherwise every parametrized test below would be collected empty and pass silently.
    assert HTML_STYLES, "no style has an HTML template (templates/<style>/issue.html.j2)"
    assert EMAIL_STYLES, "no style has the email format (html and text templates)"


def test_the_checker_reports_errors_per_file(documents: dict[str, Path],
                                             vnu_errors: dict[Path, list[dict]]) -> None:
    canary = vnu_errors.get(documents["canary"].resolve(), [])
    assert any("blink" in message.get("message", "") for message in canary), (
        "the Nu HTML Checker should reject <blink> in the canary document; got:\n"
        + format_errors(canary))


@pytest.mark.parametrize("document", DOCUMENTS)
def test_nu_html_checker_finds_no_errors(document: str, documents: dict[str, Path],
                                         vnu_errors: dict[Path, list[dict]]) -> None:
    path = documents[document]
    errors = vnu_errors.get(path.resolve(), [])
    assert not errors, (
        f"{document}: the Nu HTML Checker found {len(errors)} error(s) in {path}:\n"
        + format_errors(errors))
