"""``newsletter import``: papers from arXiv ids, DOIs, .bib files and lists of ids, at once."""

from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands.common import EXIT_PROBLEMS, guarded, progress_bar


def import_papers(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The issue directory.")],
    sources: Annotated[list[str] | None, typer.Argument(
        metavar="SOURCE", help="arXiv ids or links, DOIs or doi.org links, .bib files, "
        "or text files with one id or link per line.", show_default=False)] = None,
    refresh: Annotated[bool, typer.Option(
        "--refresh", help="Fetch again what sources/ already holds, and keep the new answer.")
    ] = False,
    offline: Annotated[bool, typer.Option(
        "--offline", help="Never use the network (also NEWSLETTER_OFFLINE=1): a paper not "
        "in sources/ is an error.")] = False,
) -> None:
    """Import papers into an issue, prefilled from arXiv, Crossref or a .bib file.

    Each new paper gets its title, url, authors, abstract, published date and arxiv_id or
    doi; what the issue's style needs from the editor is left for 'newsletter check' to
    list (a draft's papers). Papers already in the issue, or covered in an earlier issue of
    the publication, are skipped with a note naming where. Every answer is kept under
    sources/ in the publication: commit it, and a second import, or CI, needs no network.

    Example: newsletter import issues/012 2604.01234 arXiv:2604.05678v2 refs.bib
    """

    def run() -> None:
        from newsletter.create.import_papers import ImportFailed, import_papers, summary
        from newsletter.entries.problems import display_path, printable
        from newsletter.intake.gather import offline_from_environment

        with progress_bar("importing papers") as bar:
            counts = [0, 0]

            def total(count: int) -> None:
                counts[1] = count

            def advance(count: int) -> None:
                counts[0] += count
                if bar is not None:
                    bar(counts[0], counts[1])

            try:
                report = import_papers(directory, sources or [], refresh=refresh,
                                       offline=offline or offline_from_environment(),
                                       advance=advance, total=total)
            except ImportFailed as failed:
                failure = failed
            else:
                failure = None
        if failure is not None:
            for line in failure.failures:
                typer.echo(f"newsletter: error: {printable(line)}", err=True)
            count = len(failure.failures)
            typer.echo(f"newsletter: {count} problem{'s' if count != 1 else ''}; no paper "
                       "was written (what was fetched is kept in sources/)", err=True)
            raise typer.Exit(EXIT_PROBLEMS)
        for line in report.skipped:
            typer.echo(f"newsletter: note: skipped {printable(line)}", err=True)
        for path in report.written:
            typer.echo(f"added {display_path(path)}")
        if report.still_needed:
            fields = sorted({name for names in report.still_needed.values() for name in names})
            typer.echo(f"newsletter: note: still to write before the issue is published: "
                       f"{', '.join(fields)} (style '{report.style}'; 'newsletter check' "
                       "lists them for each paper)", err=True)
        typer.echo(summary(directory, report))

    guarded(run)
