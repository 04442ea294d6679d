"""``newsletter site``: the publication as a static web archive with full-content feeds."""

import os
from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands.common import fail, guarded, no_empty, progress_bar


def site(
    output: Annotated[Path, typer.Option(
        "--output", "-o", metavar="DIR", help="The folder to write the site into (made if "
        "missing); not the publication's folder or one that holds its issues.",
        show_default=False)],
    publication: Annotated[Path, typer.Argument(
        metavar="PUBLICATION", help="The publication's folder (default: the current "
        "directory); its issues are found below it, and under the folders its [site] "
        "include names.", show_default=False)] = Path("."),
    drafts: Annotated[bool, typer.Option(
        "--drafts", help="Include draft issues (marked Draft), e.g. for a review copy.")
    ] = False,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="The http(s) address the site is served from (default: url in "
        "newsletter.toml); feeds and the sitemap link absolutely from it. Feed ids keep "
        "coming from url, so moving the site does not repeat old issues in readers.")
    ] = None,
    feed_items: Annotated[int, typer.Option(
        "--feed-items", metavar="N", help="The newest N issues go into each feed, each "
        "with its whole HTML (0: every issue).")] = 20,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", help="Render issues in this many processes (0: one per CPU; the "
        "default). The output is the same, byte for byte.")] = 0,
) -> None:
    """Build the publication's static web archive, with Atom, RSS and JSON feeds that
    carry each issue whole.

    The site is plain files for any host (GitHub Pages, Netlify, S3): index.html, the
    archive of published issues, newest first; issues/N/, each issue's page in its house
    style; papers/, every paper covered; feed.xml (Atom), rss.xml (RSS 2.0), feed.json
    (JSON Feed 1.1) and sitemap.xml. A rebuild rewrites only the files whose bytes change
    and removes the pages of issues that are gone, never a file the site did not write.
    An issue that does not check stops the build.

    Examples: newsletter site examples-publication --output public/  |  newsletter site
    --output public/  |  newsletter site --drafts --base-url
    https://staging.example.com/news/ --output review/
    """
    base = no_empty(base_url)

    def run() -> None:
        from newsletter.errors import UsageError
        from newsletter.publish.site import SiteProblems, build_site

        if feed_items < 0:
            raise UsageError(f"--feed-items must be 0 (every issue) or more, not {feed_items}")
        if jobs < 0:
            raise UsageError(f"--jobs must be 0 (one per CPU) or more, not {jobs}")
        try:
            with progress_bar("building the site", show_from=50) as progress:
                result = build_site(publication, output, drafts=drafts, base_url=base,
                                    feed_items=feed_items, progress=progress,
                                    jobs=jobs or os.cpu_count() or 1)
        except SiteProblems as refused:
            for problem in refused.problems:
                typer.echo(problem.as_text(), err=True)
            fail(f"{publication}: {refused}")
        for warning in result.warnings:
            typer.echo(warning.as_text(), err=True)
        removed = f", removed {len(result.removed)}" if result.removed else ""
        typer.echo(f"wrote {output}: {result.issues} issue{'s' if result.issues != 1 else ''}"
                   f", {len(result.written)} file{'s' if len(result.written) != 1 else ''} "
                   f"written, {len(result.unchanged)} unchanged{removed}", err=True)

    guarded(run)
