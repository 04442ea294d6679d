"""The ``newsletter`` command: a thin face over the library.

This is the only module that prints, prompts or chooses exit codes. It imports nothing
heavy at module level (pydantic, jinja2, markdown-it, tree-sitter load inside the commands
that use them) so that ``newsletter --help`` starts about as fast as typer itself.
"""


import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from newsletter import __version__

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 70

app = typer.Typer(
    name="newsletter",
    help="Compose AI-research newsletters from one TOML file per paper.\n\n"
    "An issue is a directory with issue.toml and papers/*.toml; a newsletter.toml in it or "
    "above it holds the publication's defaults. Typical session:\n\n"
    "  newsletter new-issue issues/012 --style briefing --number 12\n\n"
    "  newsletter add-paper issues/012 --title ... --url ...\n\n"
    "  newsletter check issues/012\n\n"
    "  newsletter render issues/012 --format md --output issue-012.md",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_debug = False


def _fail(message: str, code: int = EXIT_PROBLEMS) -> NoReturn:
    typer.echo(f"newsletter: error: {message}", err=True)
    raise typer.Exit(code)


def _guarded(run: Callable[[], None]) -> None:
    """Run a command body; library errors become one line, anything else exit 70."""
    from newsletter.errors import NewsletterError, UsageError, WriteError

    try:
        run()
    except typer.Exit:
        raise
    except (UsageError, WriteError) as exc:
        # A file that cannot be written (full disk, read-only folder) is, like a wrong
        # flag, not a problem with the entries: exit 2, as for usage errors.
        _fail(str(exc), EXIT_USAGE)
    except NewsletterError as exc:
        _fail(str(exc), EXIT_PROBLEMS)
    except KeyboardInterrupt:
        _fail("interrupted; nothing was written", 130)
    except BrokenPipeError:
        # The reader went away (``newsletter check | head``): not an error of ours.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None
    except Exception as exc:
        if _debug:
            raise
        _fail(f"internal error ({type(exc).__name__}: {exc}); this is a bug in newsletter. "
              "Rerun with --debug for the traceback and report it.", EXIT_INTERNAL)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"newsletter {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option(
        "--debug", help="Show the Python traceback of an internal error.")] = False,
) -> None:
    global _debug
    _debug = debug


# ---------------------------------------------------------------------------- styles


@app.command()
def styles() -> None:
    """List the house styles, what each is, and the fields each requires.

    Example: newsletter styles
    """

    def run() -> None:
        from newsletter.entries.styles import all_styles

        for style in all_styles(_publication_templates(Path.cwd())):
            typer.echo(f"{style.name}\n  {style.description}")
            typer.echo(f"  formats: {', '.join(style.formats)}")
            for kind, names in (("publication", style.requires_publication),
                                ("issue", style.requires_issue),
                                ("paper", style.requires_paper)):
                if names:
                    typer.echo(f"  {kind} requires: {', '.join(names)}")
            if style.requires_paper_not_featured is not None:
                typer.echo("  paper with featured = false requires: "
                           + ", ".join(style.requires_paper_not_featured))
            typer.echo("")

    _guarded(run)


def _publication_templates(directory: Path) -> tuple[Path, ...]:
    from newsletter.entries.loading import find_publication_file

    publication = find_publication_file(directory)
    if publication is None:
        return ()
    own = publication.parent / "templates"
    return (own,) if own.is_dir() else ()


# ---------------------------------------------------------------------------- check


def _print_problems(problems: list[Any], *, err: bool = False) -> None:
    from newsletter.entries.problems import sort_problems

    for problem in sort_problems(problems):
        typer.echo(problem.as_text(), err=err)


@app.command()
def check(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="PATH", help="Issue directories, entry files, or folders to search for issues "
        "(default: the current directory).", show_default=False)] = None,
    style: Annotated[str | None, typer.Option(
        "--style", help="Check against this house style instead of the issue's own.")] = None,
    report_format: Annotated[str, typer.Option(
        "--format", help="text (path:line:col: severity: message [rule]), json, github "
        "(workflow commands that annotate a pull request) or sarif (SARIF 2.1.0).")
    ] = "text",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Warnings fail the check too.")] = False,
    base: Annotated[str | None, typer.Option(
        "--base", help="A git revision: report any change to an issue that was already "
        "published there.")] = None,
    list_rules: Annotated[bool, typer.Option(
        "--list-rules", help="Print every rule id, its severity and why it exists.")] = False,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Check every issue again instead of reusing the results of "
        "unchanged ones from .newsletter-cache/.")] = False,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", help="Check issues in this many processes (0: one per CPU). Pays "
        "off for hundreds of changed issues on an idle machine; serial by default.")] = 1,
) -> None:
    """Validate publication, issue and paper files, each issue against its style, and lint.

    Prints one line per problem, path:line:col: severity: message [rule], then a summary.
    Exit status: 0 clean (warnings allowed unless --strict), 1 problems, 2 usage error.

    Examples: newsletter check  |  newsletter check issues/012  |  newsletter check
    --format github --base origin/main  |  newsletter check --list-rules
    """
    style = style or None  # --style "" (an unset variable in a script) as if not given

    def run() -> None:
        from newsletter.check.report import FORMATTERS, REPORT_FORMATS
        from newsletter.check.run import check_paths
        from newsletter.entries.problems import Severity, has_errors, summary
        from newsletter.errors import UsageError

        if list_rules:
            from newsletter.check.rules import rule_table

            typer.echo(rule_table())
            return
        if report_format not in REPORT_FORMATS:
            raise UsageError(f"--format must be one of {', '.join(REPORT_FORMATS)}, "
                             f"not '{report_format}'")
        if jobs < 0:
            raise UsageError(f"--jobs must be 0 (one per CPU) or more, not {jobs}")
        import os

        found, files = check_paths(paths or [Path(".")], style, base, use_cache=not no_cache,
                                   jobs=jobs or os.cpu_count() or 1)
        output = FORMATTERS[report_format](found)
        if output or report_format in ("json", "sarif"):
            typer.echo(output)
        # Machine formats keep stdout parseable; the summary goes to stderr there.
        typer.echo(summary(found, files), err=report_format != "text")
        failing = has_errors(found) or (
            strict and any(p.severity is Severity.WARNING for p in found))
        if failing:
            raise typer.Exit(EXIT_PROBLEMS)

    _guarded(run)


# ---------------------------------------------------------------------------- render

_FORMAT_HELP = ("Output format: md (CommonMark), text (plain text), html (a web page) or "
                "email (an RFC 5322 .eml message with text and HTML parts).")
RENDER_FORMATS = ("md", "text", "html", "email")


@app.command()
def render(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The issue directory.")],
    output_format: Annotated[str, typer.Option(
        "--format", "-f", help=_FORMAT_HELP)] = "md",
    style: Annotated[str | None, typer.Option(
        "--style", help="Render in this house style instead of the issue's own.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file (atomically) instead of stdout.")] = None,
    subject: Annotated[str | None, typer.Option(
        "--subject", help="Email subject (default: the issue's title).")] = None,
    sender: Annotated[str | None, typer.Option(
        "--from", help="Email From header (default: email_from in newsletter.toml).")] = None,
    recipients: Annotated[str | None, typer.Option(
        "--to", help="Email To header (default: email_to in newsletter.toml).")] = None,
) -> None:
    """Render an issue in its house style. Refuses an issue that does not check.

    Examples: newsletter render examples/weekly --format text  |  newsletter render
    issues/012 --format md --style cto-briefing --output issue-012.md  |  newsletter
    render issues/012 --format email --from "Editor <ed@example.com>" --to
    list@example.com --output issue-012.eml
    """

    style = style or None  # --style "" (an unset variable in a script) as if not given

    def run() -> None:
        from newsletter.check.run import check_issue, resolve_style
        from newsletter.entries.loading import find_issue_dirs, load_issue
        from newsletter.entries.problems import has_errors
        from newsletter.errors import UsageError
        from newsletter.render import render_issue

        if output_format not in RENDER_FORMATS:
            raise UsageError(f"--format must be one of {', '.join(RENDER_FORMATS)}, "
                             f"not '{output_format}'")
        issue_dirs = find_issue_dirs([directory])
        if len(issue_dirs) != 1 or issue_dirs[0].resolve() != directory.resolve():
            raise UsageError(f"{directory}: not an issue directory (no issue.toml in it)")
        loaded = load_issue(directory)
        problems = check_issue(loaded, style)
        if has_errors(problems):
            _print_problems(problems, err=True)
            named = f" in style '{style}'" if style else ""
            _fail(f"{directory}: cannot render{named}: fix the problems above first")
        chosen, _ = resolve_style(loaded, style)
        assert chosen is not None
        if output_format == "email":
            document = _email(loaded, chosen, subject, sender, recipients)
        else:
            document = render_issue(loaded, chosen, output_format).encode("utf-8")
        if output is None:
            sys.stdout.buffer.write(document)
            sys.stdout.flush()
        else:
            from newsletter.write.atomic import write_atomic

            write_atomic(output, document)
            typer.echo(f"wrote {output}", err=True)

    _guarded(run)


def _email(loaded: Any, style: Any, subject: str | None, sender: str | None,
           recipients: str | None) -> bytes:
    from newsletter.errors import UsageError
    from newsletter.render import document_title, render_issue
    from newsletter.render.mail import build_message

    publication = loaded.publication
    sender = sender or (publication.email_from if publication else None)
    recipients = recipients or (publication.email_to if publication else None)
    if not sender or not recipients:
        raise UsageError("the email format needs --from and --to (or email_from and "
                         "email_to in newsletter.toml)")
    if style.formats and "email" not in style.formats:
        raise UsageError(f"style '{style.name}' has no email format; it renders "
                         f"{', '.join(style.formats)}")
    return build_message(
        html=render_issue(loaded, style, "html", for_email=True),
        text=render_issue(loaded, style, "text"),
        subject=subject or document_title(loaded),
        sender=sender, recipients=recipients, date=loaded.issue.date)


# ---------------------------------------------------------------------------- new-issue


def _parse_date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        _fail(f"--date must be a date like 2026-04-19, not '{value}'", EXIT_USAGE)


@app.command("new-issue")
def new_issue(
    directory: Annotated[Path, typer.Argument(
        metavar="DIR", help="Directory to create for the issue.")],
    style: Annotated[str | None, typer.Option(
        "--style", help="House style (default: the publication's style). "
        "See 'newsletter styles'.")] = None,
    number: Annotated[int | None, typer.Option(
        "--number", help="Issue number (default: one more than the highest sibling issue).")
    ] = None,
    date: Annotated[str | None, typer.Option(
        "--date", help="Publication date, YYYY-MM-DD (default: today).")] = None,
    title: Annotated[str | None, typer.Option("--title", help="The issue's headline.")] = None,
) -> None:
    """Create an issue directory with issue.toml (the style's fields, commented) and papers/.

    Refuses to overwrite an existing issue.

    Example: newsletter new-issue issues/012 --style briefing --number 12 --date 2026-03-16
    --title "This Week in Applied AI"
    """

    def run() -> None:
        from newsletter.create.new_issue import new_issue as create
        from newsletter.create.new_issue import next_issue_number
        from newsletter.entries.styles import load_style
        from newsletter.errors import UsageError

        style_name = style or _publication_style(directory)
        if style_name is None:
            raise UsageError("--style is required (no default style in a newsletter.toml "
                             "above the directory); see 'newsletter styles'")
        templates = _publication_templates(directory if directory.exists()
                                           else directory.parent)
        chosen = load_style(style_name, templates)
        path = create(directory, chosen,
                      number=number if number is not None else next_issue_number(directory),
                      date=_parse_date(date), title=title)
        typer.echo(f"created {path}")
        typer.echo(f"next: fill it in, then 'newsletter add-paper {directory}'")

    _guarded(run)


def _publication_style(directory: Path) -> str | None:
    import tomli

    from newsletter.entries.loading import find_publication_file

    start = directory if directory.exists() else directory.parent
    found = find_publication_file(start)
    if found is None:
        return None
    try:
        value = tomli.loads(found.read_text(encoding="utf-8")).get("style")
    except (OSError, ValueError, RecursionError):
        return None
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------------------- add-paper

# Each flag and the paper field it fills. Kept here (not derived from the model) so that
# '--help' needs no pydantic; a test checks that every Paper field has its flag.
TEXT_FLAGS = {
    "title": "--title", "url": "--url", "short_name": "--short-name", "headline": "--headline",
    "problem": "--problem", "solution": "--solution", "results": "--results",
    "summary": "--summary", "overview": "--overview", "blurb": "--blurb",
    "section": "--section", "group": "--group",
}
LIST_FLAGS = {
    "key_innovations": "--innovation", "how_it_works": "--how", "why_it_matters": "--why",
    "risks": "--risk", "limitations": "--limitation", "deployment_notes": "--deployment-note",
    "watch_for": "--watch-for", "use_cases": "--use-case", "pilot_if": "--pilot-if",
    "action_items": "--action-item", "key_findings": "--finding",
    "applications": "--application", "body": "--body", "takeaways": "--takeaway",
}
OTHER_FLAGS = {"score": "--score", "hidden_gem": "--hidden-gem", "featured": "--not-featured"}

_Text = Annotated[str | None, typer.Option()]
_List = Annotated[list[str] | None, typer.Option()]


def _flag(field: str) -> str:
    return {**TEXT_FLAGS, **LIST_FLAGS, **OTHER_FLAGS}[field]


def _read_metadata(path: Path) -> dict[str, Any]:
    """Paper fields from a TOML or JSON file (an export from another tool, a template)."""
    from newsletter.entries.tomlfile import decode, parse, read_bytes
    from newsletter.errors import UsageError

    raw, problem = read_bytes(path)
    text = None
    if raw is not None:
        text, problem = decode(path, raw)
    if text is None:
        assert problem is not None
        raise UsageError(f"{problem.display_path()}:{problem.line}:{problem.column}: "
                         f"{problem.message}")
    if path.suffix.lower() == ".json":
        import json

        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise UsageError(f"{path}: invalid JSON: {exc}") from None
    else:
        data, problem = parse(path, text)
        if data is None:
            assert problem is not None
            raise UsageError(f"{problem.display_path()}:{problem.line}:{problem.column}: "
                             f"{problem.message}")
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a table (object) of paper fields")
    return data


def _ask(name: str, label: str, fields: dict[str, Any]) -> Any:
    """Ask until the answer is valid for the field, so a typo costs one line, not all."""
    from newsletter.entries.models import Paper
    from newsletter.entries.validation import validation_messages

    description = Paper.model_fields[name].description or name
    while True:
        if name == "score":
            answer: Any = typer.prompt(f"{label} ({description})", type=float)
        else:
            answer = typer.prompt(f"{label} ({description})").strip()
        trial = {"title": "x", **fields, name: answer}
        problems = [m for m in validation_messages(trial, Paper) if m.startswith(name)]
        if not problems:
            return answer
        typer.echo(f"  {problems[0]}; try again", err=True)


def _prompt_missing(fields: dict[str, Any], missing: list[str]) -> None:
    """Ask for each missing field on the terminal; a list ends at an empty answer."""
    from newsletter.entries.models import Paper

    for name in missing:
        label = name.replace("_", " ")
        if name not in LIST_FLAGS:
            fields[name] = _ask(name, label, fields)
            continue
        description = Paper.model_fields[name].description or name
        typer.echo(f"{label}: {description} (one per line, empty line to finish)")
        items: list[str] = []
        while True:
            item = typer.prompt(f"  {label} #{len(items) + 1}", default="",
                                show_default=False).strip()
            if item:
                items.append(item)
            elif items:
                break
            else:  # the style requires at least one
                typer.echo(f"  {label} needs at least one item", err=True)
        fields[name] = items


@app.command("add-paper")
def add_paper(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The issue directory.")],
    from_file: Annotated[Path | None, typer.Option(
        "--from", help="Read paper fields from a TOML or JSON file; flags override them.")
    ] = None,
    title: _Text = None, url: _Text = None, short_name: _Text = None, headline: _Text = None,
    problem: _Text = None, solution: _Text = None, results: _Text = None,
    summary: _Text = None, overview: _Text = None, blurb: _Text = None,
    section: _Text = None, group: _Text = None,
    innovation: _List = None, how: _List = None, why: _List = None, risk: _List = None,
    limitation: _List = None, deployment_note: _List = None, watch_for: _List = None,
    use_case: _List = None, pilot_if: _List = None, action_item: _List = None,
    finding: _List = None, application: _List = None, body: _List = None,
    takeaway: _List = None,
    score: Annotated[float | None, typer.Option(help="Score from 0 to 10.")] = None,
    hidden_gem: Annotated[bool, typer.Option(
        "--hidden-gem", help="Put it in the HIDDEN GEM tier.")] = False,
    not_featured: Annotated[bool, typer.Option(
        "--not-featured", help="A short 'Also Worth Noting' item, not a featured story.")
    ] = False,
) -> None:
    """Add a paper to an issue as papers/NN-slug.toml (the next number).

    Repeatable flags (--why, --risk, --finding, ...) build lists. Fields the issue's style
    requires and the flags leave out are asked for on a terminal; without a terminal the
    command fails and lists them. Refuses a paper whose url or title is already in the issue.

    Example: newsletter add-paper issues/012 --title "IndexCache: ..." --url
    https://arxiv.org/abs/2603.00001 --headline "Sparse attention, 75% cheaper" --problem ...
    --solution ... --why "Cost: ..." --risk "..."
    """
    given_text = {"title": title, "url": url, "short_name": short_name, "headline": headline,
                  "problem": problem, "solution": solution, "results": results,
                  "summary": summary, "overview": overview, "blurb": blurb,
                  "section": section, "group": group}
    given_lists = {"key_innovations": innovation, "how_it_works": how, "why_it_matters": why,
                   "risks": risk, "limitations": limitation,
                   "deployment_notes": deployment_note, "watch_for": watch_for,
                   "use_cases": use_case, "pilot_if": pilot_if, "action_items": action_item,
                   "key_findings": finding, "applications": application, "body": body,
                   "takeaways": takeaway}

    def run() -> None:
        from newsletter.check.run import resolve_style
        from newsletter.create.add_paper import (
            build_paper,
            ensure_new,
            missing_for_style,
            save_paper,
        )
        from newsletter.entries.loading import ISSUE_FILE, has_issue_file, load_issue
        from newsletter.errors import UsageError

        if not has_issue_file(directory):
            raise UsageError(f"{directory}: not an issue directory (no {ISSUE_FILE}); "
                             "create one with 'newsletter new-issue'")
        fields: dict[str, Any] = _read_metadata(from_file) if from_file else {}
        fields.update({k: v for k, v in given_text.items() if v is not None})
        fields.update({k: list(v) for k, v in given_lists.items() if v})
        if score is not None:
            fields["score"] = score
        if hidden_gem:
            fields["hidden_gem"] = True
        if not_featured:
            fields["featured"] = False

        ensure_new(directory, title=fields.get("title"), url=fields.get("url"))
        loaded = load_issue(directory)
        # The issue may still have unfilled fields; its style is read from the raw file.
        chosen, _ = resolve_style(loaded) if loaded.issue_source is not None else (None, [])
        missing = missing_for_style(fields, chosen) if chosen else (
            [] if fields.get("title") else ["title"])
        if missing and sys.stdin.isatty():
            _prompt_missing(fields, missing)
        elif missing:
            style_note = f"style '{chosen.name}'" if chosen else "every paper"
            flags = ", ".join(_flag(name) for name in missing)
            raise UsageError(f"missing {flags}: required by {style_note} "
                             "(run in a terminal to be asked for them)")
        path = save_paper(directory, build_paper(fields))
        typer.echo(f"added {path}")

    _guarded(run)


# ---------------------------------------------------------------------------- init, schema


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(
        metavar="DIR", help="Where to create the publication.")
                         ] = Path("."),
    name: Annotated[str, typer.Option("--name", help="The publication's name.")] = "",
    style: Annotated[str, typer.Option(
        "--style", help="Default house style of its issues.")] = "briefing",
    force: Annotated[bool, typer.Option(
        "--force", help="Replace files that already exist.")] = False,
    install_spec: Annotated[str, typer.Option(
        "--install", help="What the CI workflow pip-installs to get newsletter.")
    ] = "newsletter",
) -> None:
    """Start a publication: newsletter.toml, issues/, JSON schemas for editors, a GitHub
    Actions workflow and a pre-commit hook that run 'newsletter check'.

    Refuses to overwrite existing files unless --force.

    Example: newsletter init my-newsletter --name "AI Research Weekly" --style weekly
    """

    def run() -> None:
        from newsletter.create.init import init_publication
        from newsletter.entries.styles import load_style
        from newsletter.errors import UsageError

        if not name.strip():
            raise UsageError("--name is required: the publication's name")
        load_style(style)
        for path in init_publication(directory, name=name.strip(), style=style, force=force,
                                     install_spec=install_spec):
            typer.echo(f"created {path}")
        typer.echo(f"next: newsletter new-issue {directory / 'issues' / '001'} --number 1")

    _guarded(run)


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(
        metavar="KIND", help="paper, issue or publication.")] = "paper",
) -> None:
    """Print the JSON Schema of an entry file, generated from the models.

    Editors use it for completion and inline errors (see the README).

    Example: newsletter schema paper > schemas/paper.schema.json
    """

    def run() -> None:
        from newsletter.entries.schema import KINDS, schema_json
        from newsletter.errors import UsageError

        if kind not in KINDS:
            raise UsageError(f"kind must be one of {', '.join(KINDS)}, not '{kind}'")
        typer.echo(schema_json(kind), nl=False)

    _guarded(run)


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
