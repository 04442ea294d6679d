"""``newsletter preview``: the issue as readers will see it, updated on every save."""

import errno
import sys
from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands.common import EXIT_USAGE, fail, guarded


def preview(
    issue: Annotated[Path, typer.Argument(
        metavar="ISSUE", help="The issue directory (default: the current directory, or "
        "the newest issue below it).")] = Path("."),
    host: Annotated[str, typer.Option(
        "--host", help="Address to serve on. Anything but 127.0.0.1 / localhost lets "
        "other machines see the preview.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8000,
    open_browser: Annotated[bool, typer.Option(
        "--open", help="Open the preview in the web browser.")] = False,
) -> None:
    """Serve the issue's web page, email and Markdown on a local address, and update the
    open page by itself on every save of the issue, newsletter.toml or a template.

    While the issue has errors, the page lists them (path:line:col) instead of a stale
    render. Ctrl-C stops it.

    Example: newsletter preview issues/012 --open
    """

    def run() -> None:
        import threading

        from newsletter.check.issue import style_name_for
        from newsletter.entries.loading import (
            find_issue_dirs,
            find_publication_file,
            load_issue,
            templates_of,
        )
        from newsletter.entries.styles import all_styles
        from newsletter.errors import UsageError
        from newsletter.preview.server import Preview, serve, wait_for_saves

        found = find_issue_dirs([issue])
        if not found:
            raise UsageError(f"{issue}: no issue.toml found here or below")
        chosen = found[-1]
        if len(found) > 1:
            typer.echo(f"{len(found)} issues below {issue}: previewing {chosen}, the last; "
                       "name another to preview it", err=True)
        publication = find_publication_file(chosen)
        templates = templates_of(publication)
        own = style_name_for(load_issue(chosen))
        state = Preview(chosen, [style.name for style in all_styles(templates)], own)
        try:
            server = serve(state, host, port)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                fail(f"port {port} is in use; choose another with --port", EXIT_USAGE)
            raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
        root = publication.parent if publication is not None else chosen
        watched = [chosen.resolve(), *(d.resolve() for d in templates)]
        if publication is not None:
            watched.append(publication.resolve())

        def wanted(path: Path) -> bool:
            return any(path == place or place in path.parents for place in watched)

        stop = threading.Event()
        try:
            wait_for_saves(state, [root.resolve()], wanted, stop)
            shown_host = f"[{host}]" if ":" in host else host
            address = f"http://{shown_host}:{server.server_address[1]}/"
            typer.echo(f"previewing {chosen} at {address} (Ctrl-C to stop)", err=True)
            sys.stderr.flush()
            if open_browser:
                import webbrowser

                webbrowser.open(address)
            server.serve_forever(poll_interval=0.25)
        finally:
            stop.set()
            state.stop()
            server.server_close()

    def run_until_interrupted() -> None:
        try:
            run()
        except KeyboardInterrupt:  # Ctrl-C is how a preview ends, even while it starts
            typer.echo("preview stopped", err=True)

    guarded(run_until_interrupted)
