"""The preview server: an issue's rendered views on 127.0.0.1, reloaded on every save.

Routes are fixed: ``/`` (the bar and a frame), ``/preview.js``, ``/view`` (one rendering:
the web page, the email's HTML part as a mail client shows it, its text part, or the
Markdown) and ``/events`` (Server-Sent Events: one message per completed save). Nothing
else is served: no file of the publication is ever sent as it is, and there is no listing.
"""

from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

VIEWS = {"page": "Web page", "email": "Email (HTML part)", "text": "Email (text part)",
         "md": "Markdown"}
WIDTHS = (1280, 390)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_KEEPALIVE_SECONDS = 15.0
# A page of problems instead of a render: what the editor sees until the next good save.
_PROBLEMS_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#1a1a1a;"
                   "background:#fff}h1{font-size:1.25rem}li{font-family:ui-monospace,monospace;"
                   "margin:.4rem 0;white-space:pre-wrap}")
_VIEW_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
             "frame-ancestors 'self'; base-uri 'none'; form-action 'none'")
_SHELL_CSP = ("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
              "frame-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'")


@dataclass
class Preview:
    """One issue being previewed: what is rendered, and the save counter clients follow."""

    issue_dir: Path
    styles: list[str]
    default_style: str | None
    version: int = 0
    changed: threading.Condition = field(default_factory=threading.Condition)
    stopping: bool = False

    def saved(self, _paths: set[Path]) -> None:
        """A save completed: forget compiled templates and styles, tell every client."""
        from newsletter.entries.styles import forget_styles
        from newsletter.render.document import forget_templates

        forget_styles()
        forget_templates()
        with self.changed:
            self.version += 1
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.stopping = True
            self.changed.notify_all()

    def render(self, view: str, style: str | None, scheme: str) -> tuple[int, str, bytes]:
        """Status, media type and body of one view; a page of problems if the issue has
        errors (or lacks what the chosen style needs)."""
        from newsletter.check.issue import check_with_style
        from newsletter.entries.loading import load_issue
        from newsletter.entries.problems import has_errors, sort_problems
        from newsletter.errors import NewsletterError
        from newsletter.render.document import render_document

        loaded = load_issue(self.issue_dir)
        try:
            problems, chosen = check_with_style(loaded, style)
        except NewsletterError as exc:
            return self._problems_page([str(exc)])
        if has_errors(problems) or chosen is None:
            return self._problems_page([
                f"{p.where()} [{p.rule}]" for p in sort_problems(problems) if p.severity == "error"
            ] or ["the issue has no house style"])
        output = {"page": "html", "email": "email", "text": "email", "md": "md"}[view]
        if output not in chosen.formats:
            return self._problems_page([f"style '{chosen.name}' has no {output} format"])
        try:
            document = render_document(loaded, chosen, output)
        except NewsletterError as exc:
            return self._problems_page([str(exc)])
        if view == "page":
            return 200, "text/html; charset=utf-8", _in_scheme(document.decode(), scheme)
        if view == "md":
            return 200, "text/html; charset=utf-8", _as_text_page(document.decode(), scheme)
        html_part, text_part = _mail_parts(document)
        if view == "email":
            return 200, "text/html; charset=utf-8", _in_scheme(html_part, scheme)
        return 200, "text/html; charset=utf-8", _as_text_page(text_part, scheme)

    @staticmethod
    def _problems_page(lines: list[str]) -> tuple[int, str, bytes]:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        count = f"{len(lines)} problem{'s' if len(lines) != 1 else ''}"
        body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
                f"<title>{count}</title><style>{_PROBLEMS_STYLE}</style></head><body>"
                f'<h1 id="problems">{count}: fix {"them" if len(lines) != 1 else "it"} and '
                f"save, the render comes back</h1><ul>{items}</ul></body></html>")
        return 200, "text/html; charset=utf-8", body.encode()


def _mail_parts(message: bytes) -> tuple[str, str]:
    import email
    import email.policy

    parsed = email.message_from_bytes(message, policy=email.policy.default)
    html_part = parsed.get_body(preferencelist=("html",))
    text_part = parsed.get_body(preferencelist=("plain",))
    return (html_part.get_content() if html_part is not None else "",  # type: ignore[union-attr]
            text_part.get_content() if text_part is not None else "")  # type: ignore[union-attr]


def _in_scheme(page: str, scheme: str) -> bytes:
    """The page as the reader's light or dark setting shows it: the frame cannot change
    the browser's preference, so its dark-mode rules are switched on or off in the CSS."""
    chosen = "all" if scheme == "dark" else "not all"
    return page.replace("(prefers-color-scheme: dark)", chosen).encode()


def _as_text_page(text: str, scheme: str) -> bytes:
    colours = "color:#e8e8e8;background:#161616" if scheme == "dark" else \
        "color:#1a1a1a;background:#fff"
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>text</title>'
            f"<style>body{{margin:1.5rem;{colours}}}pre{{font:15px/1.5 ui-monospace,"
            f"monospace;white-space:pre-wrap}}</style></head><body><pre>{html.escape(text)}"
            "</pre></body></html>").encode()


def shell_page(preview: Preview) -> bytes:
    """The bar (view, style, width, light/dark) over a frame that shows the chosen view."""
    def options(values: dict[str, str], chosen: str | None) -> str:
        return "".join(f'<option value="{html.escape(k)}"'
                       f'{" selected" if k == chosen else ""}>{html.escape(v)}</option>'
                       for k, v in values.items())

    own = f"its own ({preview.default_style})" if preview.default_style else "its own"
    styles = options({"": own, **{name: name for name in preview.styles}}, "")
    widths = "".join(f'<button type="button" data-width="{w}">{w} px</button>' for w in WIDTHS)
    title = html.escape(f"Preview of {preview.issue_dir}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{margin:0;font:14px/1.4 system-ui,sans-serif;background:#e9e9ec;color:#1a1a1a}}
header{{display:flex;flex-wrap:wrap;gap:.75rem;align-items:center;padding:.5rem 1rem;
background:#1f2430;color:#fff}} header label{{display:flex;gap:.35rem;align-items:center}}
button,select{{font:inherit}} button[aria-pressed=true]{{font-weight:700}}
#status{{margin-left:auto;opacity:.85}} main{{display:flex;justify-content:center;
padding:1rem}} iframe{{border:0;background:#fff;height:calc(100vh - 5rem);
box-shadow:0 1px 6px #0003;max-width:100%}}
</style></head><body>
<header><strong>{title}</strong>
<label>View <select id="view">{options(VIEWS, "page")}</select></label>
<label>Style <select id="style">{styles}</select></label>
<span role="group" aria-label="Width">{widths}</span>
<button type="button" id="scheme" aria-pressed="false">Dark</button>
<span id="status" role="status">up to date</span></header>
<main><iframe id="frame" title="The rendered issue" width="1280"></iframe></main>
<script src="/preview.js"></script>
</body></html>""".encode()


PREVIEW_JS = b"""'use strict';
const frame = document.getElementById('frame');
const view = document.getElementById('view');
const style = document.getElementById('style');
const scheme = document.getElementById('scheme');
const status = document.getElementById('status');
let version = 0;
function source() {
  const q = new URLSearchParams({v: view.value, style: style.value,
                                 scheme: scheme.getAttribute('aria-pressed') === 'true'
                                   ? 'dark' : 'light', n: String(version)});
  return '/view?' + q.toString();
}
function show() {
  // Keep the reader's place across a reload of the same view.
  const doc = frame.contentDocument;
  const y = doc && doc.scrollingElement ? doc.scrollingElement.scrollTop : 0;
  frame.onload = () => {
    const d = frame.contentDocument;
    if (d && d.scrollingElement) d.scrollingElement.scrollTop = y;
  };
  frame.src = source();
}
view.onchange = show;
style.onchange = show;
scheme.onclick = () => {
  scheme.setAttribute('aria-pressed', String(scheme.getAttribute('aria-pressed') !== 'true'));
  show();
};
for (const button of document.querySelectorAll('[data-width]')) {
  button.onclick = () => {
    frame.width = button.dataset.width;
    for (const b of document.querySelectorAll('[data-width]'))
      b.setAttribute('aria-pressed', String(b === button));
  };
}
const events = new EventSource('/events');
events.onmessage = (event) => {
  version = Number(event.data);
  status.textContent = 'updated ' + new Date().toLocaleTimeString();
  show();
};
events.onerror = () => { status.textContent = 'preview server stopped'; };
show();
"""


def handler_for(preview: Preview, allowed_hosts: set[str] | None) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one preview. ``allowed_hosts``: the Host headers served
    (None: any), so a web page elsewhere cannot read the preview by DNS rebinding."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "newsletter-preview"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the terminal shows the preview's address, not every request

        def do_GET(self) -> None:
            if allowed_hosts is not None and self.headers.get("Host", "") not in allowed_hosts:
                self._send(HTTPStatus.MISDIRECTED_REQUEST, "text/plain", b"unknown host\n")
                return
            url = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(url.query).items()}
            if url.path == "/":
                self._send(200, "text/html; charset=utf-8", shell_page(preview), _SHELL_CSP)
            elif url.path == "/preview.js":
                self._send(200, "text/javascript; charset=utf-8", PREVIEW_JS, _SHELL_CSP)
            elif url.path == "/view":
                view = query.get("v", "page")
                style = query.get("style") or None
                if view not in VIEWS or (style is not None and style not in preview.styles):
                    self._send(HTTPStatus.NOT_FOUND, "text/plain", b"no such view\n")
                    return
                status, media, body = preview.render(view, style, query.get("scheme", "light"))
                self._send(status, media, body, _VIEW_CSP)
            elif url.path == "/events":
                self._events()
            else:
                self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")

        def do_HEAD(self) -> None:
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, "text/plain", b"")

        def _send(self, status: int, media: str, body: bytes, csp: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            if csp:
                self.send_header("Content-Security-Policy", csp)
            self.end_headers()
            self.wfile.write(body)

        def _events(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = preview.version
            try:
                while True:
                    with preview.changed:
                        preview.changed.wait_for(
                            lambda seen=seen: preview.version != seen or preview.stopping,
                            timeout=_KEEPALIVE_SECONDS)
                        if preview.stopping:
                            return
                        now = preview.version
                    if now != seen:
                        seen = now
                        self.wfile.write(f"data: {json.dumps(now)}\n\n".encode())
                    else:
                        self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return  # the tab was closed

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an open event stream must not hold up the exit

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line, not a traceback: a tab closed mid-answer, or a request cut short by
        Ctrl-C, is nothing the editor can act on."""
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, OSError | ValueError) or error is None:
            return
        from newsletter.entries.problems import printable

        sys.stderr.write(f"newsletter: note: a preview request failed: "
                         f"{type(error).__name__}: {printable(str(error))}\n")


def serve(preview: Preview, host: str, port: int) -> ThreadingHTTPServer:
    """A bound server (not yet serving); raises OSError if the port is taken."""
    allowed = ({f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]")}
               if host in _LOOPBACK else None)
    return _Server((host, port), handler_for(preview, allowed))


def wait_for_saves(preview: Preview, roots: list[Path], wanted: Any,
                   stop: threading.Event) -> threading.Thread:
    """Follow saves in a thread of its own, telling ``preview`` of each."""
    from newsletter.preview.watch import watch

    thread = threading.Thread(target=watch, args=(roots, wanted, preview.saved, stop),
                              name="newsletter-watch", daemon=True)
    thread.start()
    return thread

