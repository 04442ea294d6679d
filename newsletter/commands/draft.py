"""``newsletter draft``: a first draft of the empty fields of an issue's papers, by a model."""

from pathlib import Path
from typing import Annotated

import typer

from newsletter.commands.common import EXIT_PROBLEMS, guarded, progress_bar


def draft(
    issue: Annotated[Path, typer.Argument(metavar="ISSUE", help="The issue directory.")],
    papers: Annotated[list[str] | None, typer.Argument(
        metavar="PAPER", help="Only these papers: a file name (03-indexcache.toml) or "
        "number (03). Default: every paper.", show_default=False)] = None,
    fields: Annotated[str | None, typer.Option(
        "--fields", metavar="F,...", help="Only these fields (still only empty ones), e.g. "
        "headline,problem.")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", metavar="NAME", help="The model to ask (default: [draft] model in "
        "newsletter.toml).")] = None,
    endpoint: Annotated[str | None, typer.Option(
        "--endpoint", metavar="URL", help="An OpenAI-compatible API's base URL (default: "
        "NEWSLETTER_DRAFT_ENDPOINT, else [draft] endpoint, else OpenAI's).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print what would be asked of the model, and write nothing.")
    ] = False,
) -> None:
    """Draft the empty fields an issue's style needs, from each paper's abstract, by a model.

    Any OpenAI-compatible endpoint will do: OpenAI, or a local server (Ollama, vLLM,
    llama.cpp, LM Studio). Only fields nobody has written are filled, each is listed in the
    paper's generated, and check warns of it until an editor has reviewed it (and refuses
    it once the issue is published): see 'newsletter review'. The key comes from
    NEWSLETTER_DRAFT_API_KEY, else OPENAI_API_KEY.

    Example: newsletter draft issues/012 --model llama3.1:8b --endpoint
    http://127.0.0.1:11434/v1
    """

    def run() -> None:
        from newsletter.draft.run import draft_issue
        from newsletter.entries.problems import display_path, printable

        chosen = [name.strip() for name in fields.split(",") if name.strip()] if fields \
            else None
        with progress_bar("drafting papers") as bar:
            report = draft_issue(issue, papers=papers, fields=chosen, model=model,
                                 endpoint=endpoint, dry_run=dry_run, advance=bar)
        for note in report.notes:
            typer.echo(f"newsletter: note: {printable(note)}", err=True)
        if dry_run:
            for planned in report.planned:
                typer.echo(f"== {display_path(planned.path)}: would ask "
                           f"{printable(report.model)} for {', '.join(planned.names)}")
                for message in planned.prompt.messages:
                    typer.echo(f"-- {message['role']}")
                    for line in message["content"].splitlines():
                        typer.echo(printable(line))
            typer.echo(f"would draft {sum(len(p.names) for p in report.planned)} fields in "
                       f"{len(report.planned)} paper{'s' if len(report.planned) != 1 else ''}"
                       f" by asking {printable(report.endpoint)}; nothing was asked or "
                       "written")
            return
        for path, names in report.written.items():
            typer.echo(f"drafted {display_path(path)}: {', '.join(names)}")
        for line in report.failures:
            typer.echo(f"newsletter: error: {printable(line)}", err=True)
        typer.echo(_summary(report, issue))
        if report.failures:
            raise typer.Exit(EXIT_PROBLEMS)

    guarded(run)


def _summary(report: object, issue: Path) -> str:
    from newsletter.draft.run import DraftReport
    from newsletter.entries.problems import display_path, printable

    assert isinstance(report, DraftReport)
    fields = sum(len(names) for names in report.written.values())
    line = (f"drafted {fields} field{'s' if fields != 1 else ''} in {len(report.written)} "
            f"paper{'s' if len(report.written) != 1 else ''} with {printable(report.model)}")
    if report.failures:
        line += f" ({len(report.failures)} failed)"
    usage = report.usage
    if usage is not None and (usage.prompt or usage.completion):
        line += (f"; {usage.prompt:,} prompt and {usage.completion:,} completion tokens in "
                 f"{usage.requests} request{'s' if usage.requests != 1 else ''}")
    if report.written:
        line += f"; review them: newsletter review {display_path(issue)}"
    return line
