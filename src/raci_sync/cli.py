"""The `raci` command line: parse → call the library → render. One error handler for all.

Exit codes (PRODUCT §5, §12): 0 success; 1 findings at/above --fail-on; 2 usage or configuration
error; 3 a source failed, or (report, run) a source's data is missing, failed or stale; 4
another run holds the lock; 5 the email or a notification was not (fully) sent; 70 a bug;
130/143 SIGINT/SIGTERM.
When several apply, the first of 70, 2, 4, 3, 5, 1 wins (``worst``).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from raci_sync import __version__, i18n
from raci_sync.config import Config, SourceConfig, find_config, load_config
from raci_sync.connectors import KINDS
from raci_sync.errors import (
    ConfigError,
    LockedError,
    NoDataError,
    RaciError,
    SourceError,
    StoreError,
)
from raci_sync.interrupt import Interrupted
from raci_sync.model import ReportData, Severity
from raci_sync.reports.render import (
    MATRIX_FORMATS,
    REPORT_FORMATS,
    render_matrix,
    render_report,
    write_output,
)

if TYPE_CHECKING:
    from raci_sync.connectors.discovery import Container
    from raci_sync.connectors.references import ScopeReport
    from raci_sync.fix import FixOptions, Outcome
    from raci_sync.init.draft import Draft
    from raci_sync.init.tools import Tool
    from raci_sync.mapping.fixes import FixPlan
    from raci_sync.notify import NotifyOutcome
    from raci_sync.reports.email import EmailOutcome
    from raci_sync.store import Store
    from raci_sync.sync import ReportFilter, SyncResult

EXIT_FINDINGS, EXIT_CONFIG, EXIT_SOURCES, EXIT_LOCKED, EXIT_EMAIL, EXIT_BUG = 1, 2, 3, 4, 5, 70
PRIORITY = (EXIT_BUG, EXIT_CONFIG, EXIT_LOCKED, EXIT_SOURCES, EXIT_EMAIL, EXIT_FINDINGS)
F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _and_list(words: list[str]) -> str:
    """``Trello, Asana and monday.com``."""
    return f"{', '.join(words[:-1])} and {words[-1]}" if len(words) > 1 else "".join(words)


# The tools come from the connectors' Kind records: a new connector shows up here by itself.
HELP = f"""raci-sync: RACI roles across {_and_list([kind.title for kind in KINDS.values()])}.

Pulls tasks from every configured board and project, attaches Responsible, Accountable,
Consulted and Informed by configurable rules, and reports tasks without an owner and people
who carry too much.

\b
Start here:
  raci demo                       the whole pipeline on an embedded demo, no tokens needed
  raci init                       draft raci.toml from the tokens in your environment
  raci check-config               validate ./raci.toml (see config.example.toml)
  raci sync && raci report        pull everything, then show the findings
"""


def worst(*codes: int) -> int:
    """The exit code that wins when several apply (PRODUCT §12: 70 > 2 > 4 > 3 > 5 > 1 > 0)."""
    return next((c for c in PRIORITY if c in codes), 0)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and exit with its code (the console script is ``raci_sync.entry``)."""
    sys.exit(run_cli(argv))


def run_cli(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; errors become one clear line, never a traceback."""
    _OPENED.clear()
    try:
        rv = cli.main(args=argv, prog_name="raci", standalone_mode=False)
        return int(rv or 0)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_CONFIG if exc.exit_code == 2 else exc.exit_code
    except click.exceptions.Abort:
        click.echo("raci: interrupted", err=True)
        return 130
    except Interrupted as exc:
        click.echo(
            f"raci: {exc}; the run is recorded as interrupted, and every source read in full "
            "was kept",
            err=True,
        )
        return exc.code
    except ConfigError as exc:
        click.echo(f"raci: configuration error: {exc}", err=True)
        return EXIT_CONFIG
    except LockedError as exc:
        click.echo(f"raci: {exc}", err=True)
        return EXIT_LOCKED
    except (SourceError, NoDataError) as exc:
        click.echo(f"raci: {exc}", err=True)
        return EXIT_SOURCES
    except (StoreError, RaciError) as exc:
        click.echo(f"raci: {exc}", err=True)
        return EXIT_CONFIG
    except sqlite3.DatabaseError as exc:
        said = _store_fault(exc)
        if said is None:
            return _internal_error(exc)
        click.echo(f"raci: {said}", err=True)
        return EXIT_CONFIG
    except Exception as exc:
        return _internal_error(exc)


def _internal_error(exc: Exception) -> int:
    """A bug: one line, the details with --debug, exit 70."""
    logging.getLogger("raci_sync").debug("internal error", exc_info=True)
    click.echo(
        f"raci: internal error ({type(exc).__name__}: {exc}); run again with "
        "--debug for details and please report it",
        err=True,
    )
    return EXIT_BUG


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Keep a global option given before or after the subcommand (the later one wins)."""
    if value not in (None, False, 0):
        given = ctx.find_root().meta.setdefault("raci.globals", {})
        name = param.name or ""
        given[name] = given.get(name, 0) + value if name == "verbose" else value
    return value


def global_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the global options to a command or the group. They are accepted before or after the
    subcommand (PRODUCT §5: `raci sync --config team.toml` as `raci --config team.toml sync`);
    their values are read by ``_globals``, not passed to the function."""
    keep: dict[str, Any] = {"expose_value": False, "callback": _remember}
    options = (
        click.option(
            "--config",
            "-c",
            "config_path",
            type=click.Path(dir_okay=False),
            help="Config file. Default: $RACI_CONFIG, else ./raci.toml.",
            **keep,
        ),
        click.option(
            "-v", "--verbose", count=True, help="Log each source and retry (to stderr).", **keep
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            help="No progress on stderr, only warnings and errors.",
            **keep,
        ),
        click.option(
            "--debug",
            is_flag=True,
            help="Log every request too, and tracebacks of internal errors.",
            **keep,
        ),
        click.option(
            "--log-file",
            type=click.Path(dir_okay=False),
            help="Also write log records (one line each) to this file (created 0600).",
            **keep,
        ),
        click.option(
            "--language",
            type=click.Choice(i18n.LANGUAGES),
            help="Language of the reports, email and notifications (default: the config's "
            "language, else en). Command-line messages stay English.",
            **keep,
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _globals(ctx: click.Context) -> dict[str, Any]:
    return dict(ctx.find_root().meta.get("raci.globals", {}))


def _start(ctx: click.Context) -> dict[str, Any]:
    """Set up logging once from the global options; return them."""
    given = _globals(ctx)
    root = ctx.find_root()
    if not root.meta.get("raci.logging"):
        from raci_sync.progress import quiet_stderr, setup_logging

        setup_logging(
            verbose=int(given.get("verbose", 0)),
            debug=bool(given.get("debug")),
            log_file=given.get("log_file"),
        )
        if given.get("quiet"):
            quiet_stderr()
        root.meta["raci.logging"] = True
    if given.get("language"):  # before anything is written for people (the demo has no config)
        i18n.activate(given["language"])
    return given


@click.group(context_settings=CONTEXT, help=HELP)
@click.version_option(__version__, prog_name="raci")
@global_options
def cli() -> None:
    """The ``raci`` group: global options, then the command (its help is ``HELP``)."""


def _config(ctx: click.Context, *, all_secrets: bool = False, defer_rules: bool = False) -> Config:
    given = _start(ctx)
    path = find_config(given.get("config_path"))
    cfg = load_config(path, all_secrets=all_secrets, defer_rules=defer_rules)
    # once, before anything is written for people: --language, else the config's
    i18n.activate(given.get("language") or cfg.language)
    for w in cfg.warnings:
        click.echo(f"raci: warning: {w}", err=True)
    return cfg


def _report_data(
    cfg: Config, as_of: date | None = None, synced: SyncResult | None = None
) -> ReportData:
    """Everything a report shows: what ``synced`` read and concluded, else what the store holds
    (window from ``as_of``, default today).

    A report never creates a store: where none exists, it is the report of no data at all
    (every source "never synced", status RED), and the path is named on stderr (exit 3).
    """
    from raci_sync.store import Store
    from raci_sync.sync import build_report, report_from_sync

    try:
        store = _open_store(cfg, create=synced is not None)
    except NoDataError as exc:
        click.echo(f"raci: {exc}", err=True)
        store = Store(":memory:")
    with store:
        if synced is not None:
            return report_from_sync(cfg, store, synced)
        return build_report(cfg, store, as_of)


def _open_store(cfg: Config, *, create: bool = True) -> Store:
    from raci_sync.store import Store, default_store_path

    store = Store(cfg.store or default_store_path(), create=create, write=create)
    _OPENED.append(store)
    return store


# The stores this process opened: a damaged page met while reading one (a report opens a store
# without checking every page, which costs time on a large one) is said as that store's damage,
# with the way back, by run_cli — never as an internal error.
_OPENED: list[Store] = []


def _store_fault(exc: sqlite3.DatabaseError) -> str | None:
    """What a database error from reading a store means, or None when it is no storage fault."""
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return None
    stores = [s for s in _OPENED if s.path != ":memory:"]
    return stores[-1].explain(exc) if stores else None


# --as-of within these: a window, its trends and its weeks must be real dates
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-12-07") from None
    if not EARLIEST <= day <= LATEST:
        raise click.BadParameter(
            f"{value} is not a date a report can start on ({EARLIEST} … {LATEST})"
        )
    return day


# Options several commands share, spelled the same everywhere.
sources_option = click.option(
    "--source",
    "-s",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Sync only this source (repeatable). Default: every source.",
)
full_option = click.option(
    "--full", is_flag=True, help="Re-read everything instead of only what changed."
)
output_option = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write to a file instead of printing; the format follows its extension.",
)
as_of_option = click.option(
    "--as-of",
    callback=_parse_date,
    metavar="DATE",
    help="Start the workload window on DATE instead of today (YYYY-MM-DD).",
)
fail_on_option = click.option(
    "--fail-on",
    type=click.Choice(["error", "warning"]),
    help="Exit 1 when findings at or above this severity exist.",
)


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--check/--severity/--source/--person``: narrow a report (each repeatable)."""
    options = (
        click.option(
            "--check", "f_checks", multiple=True, metavar="ID", help="Only findings of this check."
        ),
        click.option(
            "--severity",
            "f_severities",
            multiple=True,
            type=click.Choice(["error", "warning", "info"]),
            help="Only findings of this severity.",
        ),
        click.option(
            "--source", "f_sources", multiple=True, metavar="NAME", help="Only this source."
        ),
        click.option(
            "--person",
            "f_people",
            multiple=True,
            metavar="NAME",
            help="Only this person: their load, and findings about them or on tasks they are "
            "A or R on.",
        ),
    )
    for option in reversed(options):
        command = option(command)
    return command


def _report_filter(
    cfg: Config,
    data: ReportData,
    checks: tuple[str, ...],
    severities: tuple[str, ...],
    sources: tuple[str, ...],
    people: tuple[str, ...],
) -> ReportFilter:
    """The filter, every name checked (a typo is a usage error with a did-you-mean)."""
    from raci_sync.config.settings import suggest
    from raci_sync.model import CHECK_IDS
    from raci_sync.sync import ReportFilter

    wrong = [
        f"--check {c!r} is no check id{suggest(c, CHECK_IDS)}" for c in checks if c not in CHECK_IDS
    ]
    wrong += [
        f"--source {s!r} is no source{suggest(s, cfg.names)}" for s in sources if s not in cfg.names
    ]
    names = [p.name for p in data.people]
    known = {n.casefold() for n in names}
    wrong += [
        f"--person {p!r} is nobody in this report{suggest(p, names)}"
        for p in people
        if p.casefold() not in known
    ]
    if wrong:
        raise click.UsageError("; ".join(wrong))
    return ReportFilter(checks, severities, sources, people)


allow_stale_option = click.option(
    "--allow-stale",
    is_flag=True,
    help="Accept data older than [sync] stale_after_hours (never a failed or unsynced source).",
)

# The format an output file's extension asks for (PRODUCT §12).
EXTENSIONS = {
    ".txt": "table",
    ".json": "json",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".csv": "csv",
    ".xlsx": "xlsx",
}


def format_option(choices: tuple[str, ...], help_text: str) -> Callable[[F], F]:
    """``--format/-f`` over ``choices``; absent: the extension of -o, else table."""
    return click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(choices),
        default=None,
        help=f"{help_text} Default: from the extension of -o, else table.",
    )


def output_format(fmt: str | None, output: str | None, choices: tuple[str, ...]) -> str:
    """The format to write: -f, else the extension of -o, else table; a contradiction between
    the two, or an extension no format of this command has, is a usage error."""
    suffix = Path(output).suffix.lower() if output else ""
    by_extension = EXTENSIONS.get(suffix) if suffix else None
    if suffix and (by_extension is None or by_extension not in choices):
        if fmt is not None and fmt != "table":
            raise click.UsageError(
                f"-f {fmt} does not match the extension of {output}; name the file .{_ext(fmt)}"
            )
        if fmt is None:
            known = ", ".join(sorted({e for e, f in EXTENSIONS.items() if f in choices}))
            raise click.UsageError(
                f"cannot tell the format of {output} from {suffix}: give -f, or one of {known}"
            )
    if fmt is not None and by_extension is not None and fmt != by_extension:
        raise click.UsageError(
            f"-f {fmt} contradicts the extension of {output} ({by_extension}): drop -f, or "
            f"name the file .{_ext(fmt)}"
        )
    return fmt or by_extension or "table"


def _ext(fmt: str) -> str:
    return {"markdown": "md", "table": "txt"}.get(fmt, fmt)


@cli.command()
@sources_option
@full_option
@global_options
@click.pass_context
def sync(ctx: click.Context, sources: tuple[str, ...], full: bool) -> int:
    """Pull every configured source into the store.

    A source that fails keeps its last good data; the others are still synced, and the exit
    code is 3.

    \b
    Example:
      raci sync                       all sources
      raci sync --source indhold      one source
      raci sync --full -q             re-read everything, only warnings on stderr
    """
    cfg = _config(ctx)
    synced = _locked_sync(ctx, cfg, sources, full)
    return EXIT_SOURCES if synced.run.failed else 0


def _locked_sync(
    ctx: click.Context, cfg: Config, sources: tuple[str, ...], full: bool
) -> SyncResult:
    """Sync under the store's lock (exit 4 at once if another run holds it)."""
    from raci_sync.lock import run_lock
    from raci_sync.progress import SyncProgress
    from raci_sync.store import default_store_path
    from raci_sync.sync import SyncOptions
    from raci_sync.sync import sync as do_sync

    names = sources or tuple(s.name for s in cfg.sources)
    selected = [cfg.source(name) for name in names]  # an unknown --source is a usage error
    cfg.require_secrets(selected)  # every token this sync uses, named at once if unset
    quiet = bool(_globals(ctx).get("quiet"))
    with run_lock(cfg.store or default_store_path()), _open_store(cfg) as store:
        progress = SyncProgress(len(names), quiet=quiet)
        try:
            return do_sync(cfg, store, SyncOptions(only=sources, full=full, progress=progress))
        finally:
            progress.close()


def _emit(content: str | bytes, output: str | None) -> None:
    """Write to a file, or to stdout (binary formats only when stdout is not a terminal)."""
    if output:
        write_output(content, output)
        return
    if isinstance(content, bytes):
        if sys.stdout.isatty():
            raise click.UsageError("xlsx is binary: give --output FILE (or redirect stdout)")
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    click.echo(content)


def _is_tty_table(fmt: str, output: str | None) -> bool:
    return output is None and fmt == "table" and sys.stdout.isatty()


def _links(fmt: str, output: str | None) -> bool:
    """OSC 8 hyperlinks: only on a terminal that shows them, never in a file or a pipe."""
    from raci_sync.reports.terminal import supports_hyperlinks

    return _is_tty_table(fmt, output) and supports_hyperlinks()


def _fail_code(data: ReportData, fail_on: str | None) -> int:
    if not fail_on:
        return 0
    threshold = Severity(fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in data.findings) else 0


def _missing_code(data: ReportData, allow_stale: bool) -> int:
    """Exit 3 when a source's data is missing, failed or stale (``--allow-stale`` waives only
    age), saying which and why on stderr: a report of missing data must not look clean."""
    missing = [s for s in data.missing if not (allow_stale and s.status == "stale")]
    if data.no_data:
        click.echo("raci: no data: no source has ever been synced into this store", err=True)
    for source in missing:
        click.echo(f"raci: data missing from {source.name} ({source.tool}): {source.why}", err=True)
    return EXIT_SOURCES if missing or data.no_data else 0


@cli.command()
@format_option(REPORT_FORMATS, "Output format.")
@output_option
@as_of_option
@fail_on_option
@allow_stale_option
@filter_options
@global_options
@click.pass_context
def report(
    ctx: click.Context,
    fmt: str | None,
    output: str | None,
    as_of: date | None,
    fail_on: str | None,
    allow_stale: bool,
    f_checks: tuple[str, ...],
    f_severities: tuple[str, ...],
    f_sources: tuple[str, ...],
    f_people: tuple[str, ...],
) -> int:
    """Show findings and workload from the store (run `raci sync` first).

    Sources whose data is missing, failed or stale come first, and the exit code is then 3
    (after every file is written); --allow-stale accepts data that is only old.

    \b
    Example:
      raci report                                  table on the terminal
      raci report -o report.json                   the machine-readable contract
      raci report --as-of 2026-12-07 --fail-on error
      raci report --severity error --source indhold --person "Freja Nørgaard"
      raci report --person "Freja Nørgaard"         one person: load, tasks, findings
    """
    fmt = output_format(fmt, output, REPORT_FORMATS)
    cfg = _config(ctx)
    data = _report_data(cfg, as_of)
    narrow = _report_filter(cfg, data, f_checks, f_severities, f_sources, f_people)
    data = narrow.apply(data)
    color, links = _is_tty_table(fmt, output), _links(fmt, output)
    if fmt == "table" and len(f_people) == 1:  # one person's view (several: the table of them)
        from raci_sync.reports.terminal import render_person

        _emit(render_person(data, f_people[0], color=color, links=links), output)
    else:
        _emit(render_report(data, fmt, color=color, links=links), output)
    return worst(_missing_code(data, allow_stale), _fail_code(data, fail_on))


@cli.command("check-config")
@click.option(
    "--online",
    is_flag=True,
    help="Also ask each source's API: the token, and every board, project and field named.",
)
@global_options
@click.pass_context
def check_config(ctx: click.Context, online: bool) -> int:
    """Validate the config; with --online, check each source's token and scope.

    Every problem is listed at once, with its key path: unknown keys and values, unset
    environment variables a sync or the email would need, rules naming a hat, person or source
    that does not exist — and, with --online, every board, project, workspace and field the
    config names that the tool does not have (with the closest names it does have). Exit 2 on
    any problem; 3 when a source cannot be asked at all. An [[ignore]] or [[rule]] that matches
    none of the last synced tasks is a warning.

    \b
    Example:
      raci check-config
      raci check-config --config team.toml --online
    """
    cfg = _config(ctx, all_secrets=True, defer_rules=online)
    click.echo(
        f"{cfg.path}: {len(cfg.sources)} source(s), {len(cfg.people)} person(s), "
        f"{len(cfg.rules)} rule(s)"
    )
    _warn_unused_filters(cfg)
    if not online:
        click.echo("ok (offline: run with --online to check the tokens, boards and fields)")
        return 0
    return _check_online(cfg)


def _check_online(cfg: Config) -> int:
    """Ask every source's API what the config names, print each, then every problem at once
    (stderr); the exit code: 2 on any problem, 3 when a source cannot be asked at all."""
    problems = list(cfg.deferred)
    unreachable = 0
    for source in cfg.sources:
        report = _check_source(source)
        if report is None:
            unreachable += 1
            continue
        problems += [f"source {source.name!r}: {p}" for p in report.problems]
    if problems:
        click.echo(f"{len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
    return worst(EXIT_CONFIG if problems else 0, EXIT_SOURCES if unreachable else 0)


def _warn_unused_filters(cfg: Config) -> None:
    """An [[ignore]] or [[rule]] that matches none of the stored tasks is a warning (it would
    silently do nothing); checked against the last synced data, never creating a store."""
    if not (cfg.ignores or cfg.rules):
        return
    from raci_sync.sync import current_snapshots, evaluate_snapshots, now_in

    try:
        store = _open_store(cfg, create=False)
    except NoDataError:
        click.echo("  [[ignore]] and [[rule]] tables are checked against the tasks after a sync")
        return
    with store:
        snapshots = current_snapshots(cfg, store)
    if not snapshots:
        click.echo("  [[ignore]] and [[rule]] tables are checked against the tasks after a sync")
        return
    for note in evaluate_snapshots(cfg, snapshots, now_in(cfg).date()).notes:
        click.echo(f"warning: {note}", err=True)


def _check_source(source: SourceConfig) -> ScopeReport | None:
    """Ask one source's API what its config names; print it. None when it cannot be asked:
    one try, no retries (no network must be said within one timeout, not after minutes)."""
    from raci_sync.connectors.base import make_connector, make_http
    from raci_sync.connectors.http import RetryPolicy

    http = make_http(source)
    http.retry = RetryPolicy(attempts=1)
    label = f"  {source.name} ({source.kind})"
    try:
        report = make_connector(source, http).check_scope()
    except SourceError as exc:
        click.echo(f"{label}: cannot check it — {http.scrub(str(exc))}")
        return None
    clean = http.scrub  # what the tool answered is quoted: no secret, no terminal escape
    state = f"{len(report.problems)} problem(s)" if report.problems else "ok"
    click.echo(f"{label}: {state}, token of {clean(report.who)}")
    for container in report.containers:
        click.echo(f"    {clean(container)}")
        fields = report.fields.get(container, ())
        if fields:
            click.echo(f"      fields: {clean(', '.join(fields))}")
    for line in (*report.warnings, *report.notes):
        click.echo(f"    {clean(line)}")
    return replace(report, problems=tuple(clean(p) for p in report.problems))


@cli.command("run")
@sources_option
@full_option
@format_option(REPORT_FORMATS, "Report format.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write the report to a file instead of printing it; the format follows its extension.",
)
@click.option("--no-report", is_flag=True, help="Sync only; print no report.")
@fail_on_option
@allow_stale_option
@click.option(
    "--email",
    "send_mail",
    is_flag=True,
    help="Also send the weekly email ([email]): once per ISO week to each recipient.",
)
@click.option(
    "--notify",
    "send_notify",
    is_flag=True,
    help="Also post what is new to the chat webhooks ([[notify]]), after the rest is done.",
)
@click.option(
    "--dry-run", is_flag=True, help="Write the email to --eml (raci-report.eml) instead of sending."
)
@click.option(
    "--eml",
    type=click.Path(dir_okay=False),
    help="Write the weekly email to this .eml file instead of sending it (implies --dry-run).",
)
@global_options
@click.pass_context
def run_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    full: bool,
    fmt: str | None,
    output: str | None,
    no_report: bool,
    fail_on: str | None,
    allow_stale: bool,
    send_mail: bool,
    send_notify: bool,
    dry_run: bool,
    eml: str | None,
) -> int:
    """Sync, then report and/or email: the one command a crontab line calls.

    Holds a lock on the store: a second `raci run` while one is running exits 4 at once.
    Exit codes: 0 ok; 1 findings at/above --fail-on (with or without --no-report); 2 config
    error; 3 a source failed or its data is missing or stale (the others were synced and
    reported); 4 another run holds the lock; 5 the email or a notification was not (fully)
    sent (the sync and the store are kept; the next run this ISO week retries those not
    reached, the next --notify posts again).

    \b
    Example:
      raci run -q -o /srv/raci/report.md
      raci run -q --no-report --fail-on error --log-file /var/log/raci.log
      raci run --eml week.eml                   the email to a file, nothing sent
      raci run -q --no-report --email --notify  what cron calls every morning
    """
    fmt = output_format(fmt, output, REPORT_FORMATS)
    cfg = _config(ctx)
    synced = _locked_sync(ctx, cfg, sources, full)
    data = _report_data(cfg, synced=synced)  # the sync's own evaluation: nothing read back
    if not no_report:
        _emit(render_report(data, fmt, color=_is_tty_table(fmt, output)), output)
    codes = [
        EXIT_SOURCES if synced.run.failed else 0,
        _missing_code(data, allow_stale),
        _fail_code(data, fail_on),
    ]
    if send_mail or dry_run or eml is not None:
        quiet = bool(_globals(ctx).get("quiet"))
        emailed = _send_email(cfg, data, eml or (DEFAULT_EML if dry_run else None), quiet=quiet)
        codes.append(0 if emailed.complete else EXIT_EMAIL)
    if send_notify:
        notified = _notify(cfg, data, quiet=bool(_globals(ctx).get("quiet")))
        codes.append(0 if notified.complete else EXIT_EMAIL)
    return worst(*codes)


# -- the weekly email --------------------------------------------------------------------------

DEFAULT_EML = "raci-report.eml"


def _send_email(
    cfg: Config,
    data: ReportData,
    write_to: str | None,
    force: bool = False,
    *,
    quiet: bool = False,
) -> EmailOutcome:
    """Send the weekly email to whoever has not had this ISO week's (everyone with ``force``),
    or write it to ``write_to`` and send nothing; say on stderr who was reached and who not
    (with ``quiet``, only who was not: cron mails whatever is printed)."""
    from raci_sync.reports.email import send_weekly
    from raci_sync.sync import now_in

    if write_to is None:
        cfg.require_secrets(email=True)  # the SMTP login, named if unset, before anything
    with _open_store(cfg, create=False) as store:  # the sends are recorded; never a new store
        outcome = send_weekly(cfg, data, store, now=now_in(cfg), force=force, write_to=write_to)
    lines = _email_problems(outcome) if quiet else _email_lines(outcome)
    for line in lines:
        click.echo(f"email: {line}", err=True)
    return outcome


def _email_lines(outcome: EmailOutcome) -> list[str]:
    """What became of the email, in words: never "sent to" an address that was not reached."""
    if outcome.written is not None:
        return [
            f"written to {outcome.written} (not sent): {outcome.subject}",
            *_digest_lines(outcome),
        ]
    lines = []
    if outcome.already_sent:
        lines.append(
            f"{', '.join(outcome.already_sent)} already had the email of {outcome.week}"
            + (
                ""
                if outcome.pending or outcome.digests_sent or outcome.digests_failed
                else "; nothing sent (`raci email --force` sends it again)"
            )
        )
    if outcome.skipped:
        lines.append(outcome.skipped)
    if outcome.sent_to:
        lines.append(f"sent to {', '.join(outcome.sent_to)}: {outcome.subject}")
    lines += _digest_lines(outcome)
    return lines + _email_problems(outcome)


def _digest_lines(outcome: EmailOutcome) -> list[str]:
    """What became of the personal digests ([email] personal), but who was not reached."""
    lines = [f"personal digest written to {path} (not sent)" for path in outcome.digests_written]
    if outcome.digests_already:
        already = ", ".join(outcome.digests_already)
        lines.append(f"{already} already had their personal digest of {outcome.week}")
    if outcome.digests_skipped:
        skipped = ", ".join(outcome.digests_skipped)
        lines.append(f"nothing for {skipped} and [email] skip_empty = true: no digest")
    if outcome.digests_sent:
        lines.append(f"personal digest sent to {', '.join(outcome.digests_sent)}")
    return lines


def _email_problems(outcome: EmailOutcome) -> list[str]:
    """Who was not reached, and why."""
    lines = [
        f"{address} NOT reached: the server refused it ({why})"
        for address, why in outcome.refused.items()
    ]
    if outcome.error:
        lines.append(f"{', '.join(outcome.not_reached)} NOT reached: {outcome.error}")
    lines += [
        f"{address} NOT reached (personal digest): {why}"
        for address, why in outcome.digests_failed.items()
    ]
    if not outcome.complete:
        lines.append("the next `raci run --email` or `raci email` this week tries them again")
    return lines


@cli.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write the email to this .eml file instead of sending it.",
)
@click.option("--dry-run", is_flag=True, help=f"Write the email to {DEFAULT_EML} (or -o).")
@click.option("--force", is_flag=True, help="Send to everyone, even those who had this week's.")
@as_of_option
@global_options
@click.pass_context
def email(
    ctx: click.Context, output: str | None, dry_run: bool, force: bool, as_of: date | None
) -> int:
    """Render the weekly report email from the store and send it over SMTP ([email]).

    Plain text and HTML, the workload chart inline, the RACI matrix attached as XLSX; the
    subject carries the ISO week and the red/amber/green status. Each recipient gets it once
    per ISO week (recorded in the store): a second `raci email` that week sends only to those
    not reached yet, --force to everyone. Exit 5 when someone was not reached.

    \b
    Example:
      raci email -o week.eml               look at it first (opens in any mail client)
      raci email                           send it to [email] to, once this week
      raci email --force                   send it again to everyone
    """
    cfg = _config(ctx)
    data = _report_data(cfg, as_of)
    outcome = _send_email(cfg, data, output or (DEFAULT_EML if dry_run else None), force)
    return 0 if outcome.complete else EXIT_EMAIL


# -- chat notifications ------------------------------------------------------------------------


@cli.command()
@click.option("--force", is_flag=True, help="Post even when nothing is new since the last post.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print what each target would get (JSON on stdout); post and record nothing.",
)
@as_of_option
@global_options
@click.pass_context
def notify(ctx: click.Context, force: bool, dry_run: bool, as_of: date | None) -> int:
    """Post the summary to the chat webhooks ([[notify]]): Slack, Microsoft Teams or JSON.

    Missing data first (every time), then only what is new since the last successful post to
    that target: new ownership errors and newly overloaded people, with links to the tasks.
    Nothing new and nothing missing: nothing is posted (--force posts anyway). A post that
    failed exits 5, and the next `raci notify` (or `raci run --notify`) carries it again.

    \b
    Example:
      raci notify --dry-run                what each target would get, as JSON
      raci notify                          post what is new since the last post
    """
    cfg = _config(ctx)
    data = _report_data(cfg, as_of)
    outcome = _notify(cfg, data, force=force, dry_run=dry_run)
    return 0 if outcome.complete else EXIT_EMAIL


def _notify(
    cfg: Config,
    data: ReportData,
    *,
    force: bool = False,
    dry_run: bool = False,
    quiet: bool = False,
) -> NotifyOutcome:
    """Post to every target what is new for it (or, with ``dry_run``, print the payloads);
    say on stderr what became of each (with ``quiet``, only the posts that failed)."""
    import json

    from raci_sync.notify import notify_all
    from raci_sync.notify.send import check_targets
    from raci_sync.store import Store
    from raci_sync.sync import now_in

    check_targets(cfg, dry_run=dry_run)  # each URL's variable named if unset, before anything
    try:
        store = _open_store(cfg, create=False)  # posts are recorded; never a new store
    except NoDataError:
        if not dry_run:
            raise
        store = Store(":memory:")  # a dry run shows what a first post would say
    with store:
        outcome = notify_all(cfg, data, store, now=now_in(cfg), force=force, dry_run=dry_run)
    if dry_run:
        bodies = [{"target": t.name, "kind": t.kind, "payload": t.payload} for t in outcome.targets]
        click.echo(json.dumps(bodies, ensure_ascii=False, indent=2))
    for target in outcome.targets:
        label = f"notify: {target.name} ({target.kind})"
        if target.error:
            click.echo(f"{label} NOT posted: {target.error}", err=True)
        elif quiet:
            continue
        elif target.posted:
            click.echo(
                f"{label}: posted ({target.new_errors} new ownership error(s), "
                f"{target.newly_overloaded} newly overloaded)",
                err=True,
            )
        elif target.skipped:
            click.echo(f"{label}: {target.skipped}", err=True)
    return outcome


@cli.command()
@format_option(MATRIX_FORMATS, "Output format.")
@output_option
@click.option("--all", "include_closed", is_flag=True, help="Include done and archived tasks.")
@allow_stale_option
@global_options
@click.pass_context
def matrix(
    ctx: click.Context,
    fmt: str | None,
    output: str | None,
    include_closed: bool,
    allow_stale: bool,
) -> int:
    """The RACI matrix: tasks × people, the letters in the cells.

    Tasks are grouped by source and board/project; people are columns, with their hats. On
    the terminal it is a slice that fits its width (tasks with findings and people with
    letters first); -f xlsx or -f csv holds the whole matrix. Missing, failed or stale data is
    named on stderr, and the exit code is then 3.

    \b
    Example:
      raci matrix                                  on the terminal
      raci matrix -o raci-matrix.xlsx              the whole matrix, for a spreadsheet
    """
    fmt = output_format(fmt, output, MATRIX_FORMATS)
    cfg = _config(ctx)
    data = _report_data(cfg)
    links = _links(fmt, output)
    _emit(render_matrix(data, fmt, include_closed=include_closed, links=links), output)
    return _missing_code(data, allow_stale)


@cli.command()
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="table",
    show_default=True,
    help="What to print on the terminal.",
)
@click.option(
    "--output-dir",
    "-o",
    type=click.Path(file_okay=False),
    default="raci-demo",
    show_default=True,
    help="Where to write the report files.",
)
@click.option(
    "--as-of",
    callback=_parse_date,
    metavar="DATE",
    help="Window start. Default: 2026-12-07, the day the demo was recorded.",
)
@global_options
@click.pass_context
def demo(ctx: click.Context, fmt: str, output_dir: str, as_of: date | None) -> int:
    """Run the whole pipeline on an embedded demo workspace: no tokens, no network.

    A Danish marketing team works across one Trello board, two Asana projects and one
    monday.com board. Their recorded API answers go through the real connectors, roles are
    attached, the checks run, and the report is printed and written to --output-dir:
    report.json, report.md, report.html, the matrix (raci-matrix.xlsx, raci-matrix.html) and
    the demo's store raci-demo.sqlite.

    \b
    Example:
      raci demo
      raci demo --format json
    """
    from raci_sync.demo import run_demo

    _start(ctx)
    demo_run = run_demo(output_dir, as_of, progress=True)
    _emit(render_report(demo_run.data, fmt, color=_is_tty_table(fmt, None)), None)
    written = ", ".join(str(path) for path in demo_run.written)
    click.echo(f"\nwrote {written} and the store {demo_run.store}", err=True)
    return EXIT_SOURCES if demo_run.run.failed else 0


# -- raci fix ------------------------------------------------------------------------------------


@cli.command("fix")
@click.option(
    "--apply",
    "do_apply",
    is_flag=True,
    help="Write the changes in the tools (each one confirmed on a terminal, unless --yes).",
)
@click.option(
    "--undo",
    "undo_run",
    type=click.IntRange(min=1),
    metavar="RUN",
    help="Put back what the apply of run RUN wrote, where nobody changed it since.",
)
@click.option(
    "--yes", "-y", is_flag=True, help="Write without asking (needed when there is no terminal)."
)
@click.option(
    "--source",
    "-s",
    "sources",
    multiple=True,
    metavar="NAME",
    help="Only tasks of this source (repeatable). Default: every source.",
)
@as_of_option
@global_options
@click.pass_context
def fix(
    ctx: click.Context,
    do_apply: bool,
    undo_run: int | None,
    yes: bool,
    sources: tuple[str, ...],
    as_of: date | None,
) -> int:
    """Fix ownership where the work lives: give each task without a Responsible or an
    Accountable the person the hat rules suggest, in the tool itself.

    Without --apply, a dry run: the changes that would resolve the ownership findings of the
    store (run `raci sync` first), each to the suggested person with the most free capacity —
    never anyone at or over capacity; the plan counts its own changes. With --apply each one
    is confirmed on the terminal (--yes: none is), the task is read again from its tool and
    skipped, saying why, if it changed since the last sync or its role is no longer empty:
    raci never overwrites what a person set. Every change is recorded in the store, and the
    tasks written are read back into it, so the next `raci report` shows them. --undo RUN puts
    back what run RUN wrote, where nobody changed it since.

    What is written: Asana, the assignee or a people custom field; Trello, a card member or
    the Accountable custom field; monday.com, the people column (change_multiple_column_values)
    — whichever the source's [source.roles] names first for the letter. A token without write
    access fails with the scope it lacks.

    Exit codes: 0 every change written or skipped (skips are said); 2 usage or config error
    (--apply or --undo without a terminal needs --yes); 3 the store has no data, or a change
    could not be written in its tool (the others were still written, and the summary names
    each one that failed); 4 another run holds the lock.

    \b
    Example:
      raci sync                                 read the tools first
      raci fix                                  what would change; nothing is written
      raci fix --apply                          write it, asking before each change
      raci fix --apply --yes --source indhold   one source, without asking (cron)
      raci fix --undo 42                        put back what run 42 wrote
    """
    from raci_sync import fix as fixing

    cfg = _config(ctx)
    for name in sources:
        cfg.source(name)  # an unknown --source is a usage error, with a did-you-mean
    if do_apply and undo_run is not None:
        raise click.UsageError("--apply writes a plan and --undo puts one back: give one of them")
    if undo_run is not None and sources:
        raise click.UsageError("--undo puts back everything run RUN wrote: drop --source")
    writes = do_apply or undo_run is not None
    if writes and not yes and not sys.stdin.isatty():
        raise click.UsageError(
            "no terminal to confirm each change on: add --yes to write without asking"
        )
    options = fixing.FixOptions(only=sources, as_of=as_of, said=_said)
    if writes and not yes:
        options.confirm = _confirm
    if not writes:
        with _open_store(cfg, create=False) as store:
            store.check_intact()  # a damaged file is said as such, not met mid-plan
            _fix_data_warnings(cfg, store)
            plan = fixing.plan(cfg, store, options)
        _show_plan(cfg, plan)
        return 0
    return _fix_writes(cfg, options, undo_run)


def _fix_writes(cfg: Config, options: FixOptions, undo_run: int | None) -> int:
    """Apply the plan (or undo run ``undo_run``) under the store's lock."""
    from raci_sync import fix as fixing
    from raci_sync.lock import run_lock
    from raci_sync.store import Store, default_store_path

    path = cfg.store or default_store_path()
    if not Path(path).exists():  # NoDataError, before the lock makes a folder or a lock file
        Store(path, create=False).close()
    with run_lock(path), Store(path, create=False) as store:
        if undo_run is not None:
            result = fixing.undo(cfg, store, undo_run, options)
            action = "undo"
        else:
            _fix_data_warnings(cfg, store)
            plan = fixing.plan(cfg, store, options)
            if not plan.fixes:
                _show_plan(cfg, plan)
                return 0
            result = fixing.apply(cfg, store, plan, options)
            action = "set"
    for line in fixing.summary(result, action):
        click.echo(line)
    return EXIT_SOURCES if result.failed else 0  # a tool refused a write: a source failed, 3


def _fix_data_warnings(cfg: Config, store: Store) -> None:
    """Say which sources the plan has no data of; no data at all is exit 3, never "nothing to
    fix" (PRODUCT §9)."""
    from raci_sync.errors import NoDataError

    missing = [s.name for s in cfg.sources if store.current_snapshot(s.name) is None]
    if cfg.sources and len(missing) == len(cfg.sources):
        raise NoDataError(f"no data: no source was ever synced into {store.path}; run `raci sync`")
    for name in missing:
        click.echo(
            f"raci: no data from {name}: never synced, so none of its tasks is fixed", err=True
        )


def _show_plan(cfg: Config, plan: FixPlan) -> None:
    from raci_sync.fix import describe_fix, describe_nofix

    kinds = {s.name: s.kind for s in cfg.sources}
    for f in plan.fixes:
        hat = f"{f.hat}, " if f.hat else ""
        click.echo(f"{describe_fix(f, kinds)}  [{hat}{round(f.free, 2):g} free]")
    if plan.unfixable:
        click.echo(f"\nNot fixable ({len(plan.unfixable)}):")
        for n in plan.unfixable:
            click.echo(f"  {describe_nofix(n, kinds)}")
    if plan.fixes:
        click.echo(
            f"\n{len(plan.fixes)} change(s) would be written; `raci fix --apply` writes them"
        )
    else:
        click.echo("nothing to fix: no ownership finding has a suggestion that fits")


def _confirm(text: str) -> bool:
    return click.confirm(f"{text}?", default=False, err=True)


def _said(outcome: Outcome) -> None:
    mark = {"written": "written", "skipped": "skipped", "failed": "FAILED"}[outcome.status]
    reason = f" — {outcome.reason}" if outcome.reason else ""
    click.echo(f"{mark}: {outcome.change}{reason}")


# -- raci init ---------------------------------------------------------------------------------


def _container_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--board NAME`` / ``--project NAME``: one option per word the tools use for what a
    source's scope lists (from the Kind records)."""
    words: dict[str, list[str]] = {}
    for kind in KINDS.values():
        words.setdefault(kind.container, []).append(kind.title)
    for word, titles in sorted(words.items(), reverse=True):
        command = click.option(
            f"--{word}",
            f"named_{word}",
            multiple=True,
            metavar="NAME",
            help=f"Take the {_and_list(titles)} {word} of this name or id (repeatable); no prompt.",
        )(command)
    return command


def _base_urls(given: tuple[str, ...]) -> dict[str, str]:
    """``--base-url KIND=URL`` (repeatable) as {kind: url}; a wrong one is a usage error."""
    urls: dict[str, str] = {}
    for entry in given:
        name, eq, url = entry.partition("=")
        if not eq or name not in KINDS or not url.startswith(("https://", "http://")):
            kinds = ", ".join(KINDS)
            raise click.UsageError(
                f"--base-url {entry!r}: give KIND=URL, KIND one of {kinds}, the URL starting "
                "with https:// or http://"
            )
        urls[name] = url.rstrip("/")
    return urls


@cli.command()
@click.option(
    "--all", "take_all", is_flag=True, help="Take every board and project the tokens see."
)
@_container_options
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    metavar="KIND=URL",
    help="Ask KIND's API at URL (a proxy, a test server); kept as the source's base_url.",
)
@click.option("--force", is_flag=True, help="Overwrite the config file if it exists.")
@global_options
@click.pass_context
def init(
    ctx: click.Context,
    /,
    take_all: bool,
    base_urls: tuple[str, ...],
    force: bool,
    **named: tuple[str, ...],
) -> int:
    """Draft raci.toml from what the tokens in the environment can see, then check it.

    Reads the tokens from the variables config.example.toml uses (TRELLO_KEY and TRELLO_TOKEN,
    ASANA_TOKEN, MONDAY_TOKEN; a tool whose variables are not set is skipped) and lists the
    boards and projects each can see. On a terminal you choose them by number; else give --all
    or --board/--project. The draft (--config, else $RACI_CONFIG, else ./raci.toml; never
    over an existing file without --force) has a source per tool, roles from the fields found
    (only unambiguous names: a "# CHECK:" comment asks you about the rest) and a roster of
    everyone found, merged across tools by email; an account without an email joins the person
    of exactly its name, marked "# CHECK:" for you to confirm. No secret is written, only
    references: "${ASANA_TOKEN}". Then it runs the checks of `raci check-config --online` on
    the file and reads everything once into memory to show what the first report would find.
    Nothing is stored. When it cannot go on, each tool's "fix:" line says what to do.

    \b
    Example:
      export ASANA_TOKEN=… MONDAY_TOKEN=…
      raci init                                  choose on the terminal
      raci init --all --config team.toml
      raci init --board "Indhold & SoMe" --project "Kampagne Q1 2027"
    """
    from raci_sync.init.draft import local_timezone
    from raci_sync.init.tools import draft_from, open_tools, person_time

    given = _start(ctx)
    path = find_config(given.get("config_path"))
    urls = _base_urls(base_urls)
    wanted = {key.removeprefix("named_"): names for key, names in named.items() if names}
    refused = _refuse_before_asking(path, force, take_all, wanted)
    if refused is not None:
        return refused
    tools = open_tools(os.environ, urls)
    for tool in tools:
        tool.discover()
        _say_found(tool)
    failed = [t for t in tools if t.connector is not None and t.discovery is None]
    if not any(t.containers for t in tools):
        return _nothing_to_ask(tools, failed)
    with person_time(tools):  # choosing on the terminal takes no tool's time
        problems = _choose(tools, take_all, wanted)
    if problems:
        raise click.UsageError("; ".join(problems))
    failed += _read_chosen(tools)
    draft = draft_from(tools, made=date.today(), timezone=local_timezone(os.environ))
    if not draft.sources:
        return _nothing_chosen(failed)
    code = _write_draft(path, draft, force)
    if code:
        return code
    return worst(_check_draft(path), EXIT_SOURCES if failed else 0)


def _refuse_before_asking(
    path: Path, force: bool, take_all: bool, wanted: dict[str, tuple[str, ...]]
) -> int | None:
    """What stops ``raci init`` before any tool is asked, said; None when nothing does."""
    if take_all and wanted:
        raise click.UsageError("--all takes everything: give it or --board/--project, not both")
    if not take_all and not wanted and not sys.stdin.isatty():
        flags = " / ".join(f"--{w} NAME" for w in sorted({k.container for k in KINDS.values()}))
        raise click.UsageError(
            f"no terminal to ask on: give --all, or {flags} (repeatable) to say what to take"
        )
    if path.exists() and not force:
        click.echo(
            f"raci: {path} exists: raci init does not overwrite it. Give --force to replace "
            "it, or --config OTHER.toml to write another file",
            err=True,
        )
        return EXIT_CONFIG
    if not path.parent.is_dir():
        click.echo(
            f"raci: cannot write {path}: the folder {path.parent} does not exist. Create it, "
            "or give --config with a file in a folder that exists",
            err=True,
        )
        return EXIT_CONFIG
    return None


def _read_chosen(tools: list[Tool]) -> list[Tool]:
    """Each tool's chosen containers read (fields, people) and said; the tools that failed."""
    failed = []
    click.echo()
    for tool in tools:
        tool.read_details()
        _say_details(tool)
        if tool.chosen and tool.details is None:
            failed.append(tool)
            click.echo(f"{tool.kind.title}: cannot read the chosen ones — {tool.why_not}")
            click.echo(f"  fix: {tool.fix}")
    return failed


def _nothing_chosen(failed: list[Tool]) -> int:
    """No source to draft: because reading failed (3) or nothing was chosen (2)."""
    if failed:
        click.echo(
            'raci: nothing could be read, so no config was written: do what "fix:" above '
            "says and run raci init again",
            err=True,
        )
        return EXIT_SOURCES
    click.echo(
        "raci: nothing chosen, so no config was written: run raci init again and choose "
        "at least one by number (or all)",
        err=True,
    )
    return EXIT_CONFIG


def _write_draft(path: Path, draft: Draft, force: bool) -> int:
    """The drafted file written and said (0), or why it could not be (2)."""
    from raci_sync.init.draft import render, write_config

    try:
        write_config(path, render(draft), force=force)
    except FileExistsError:
        click.echo(f"raci: {path} appeared meanwhile: not overwritten (--force)", err=True)
        return EXIT_CONFIG
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        click.echo(
            f"raci: cannot write {path}: {why}. Give --config with a file in a folder you can "
            "write to",
            err=True,
        )
        return EXIT_CONFIG
    confirm = f" ({draft.to_confirm} to confirm: see # CHECK:)" if draft.to_confirm else ""
    click.echo(
        f"\nwrote {path}: {len(draft.sources)} source(s), {len(draft.people)} person(s)"
        f"{confirm}; no secret in it"
    )
    return 0


def _say_found(tool: Tool) -> None:
    """One line per tool: skipped or failed, why and what to do; or whose token and what it
    sees."""
    title = tool.kind.title
    if tool.discovery is None:
        state = "skipped" if tool.connector is None else "cannot ask it"
        click.echo(f"{title}: {state} — {tool.why_not}")
    else:
        seen = len(tool.containers)
        who = tool.scrub(tool.discovery.who)
        click.echo(f"{title}: token of {who}; it sees {seen} {tool.kind.container}(s)")
    if tool.fix and (tool.connector is not None or tool.has_token):
        click.echo(f"  fix: {tool.fix}")


def _nothing_to_ask(tools: list[Tool], failed: list[Tool]) -> int:
    """No tool sees anything to take: say why, and what to do, on stderr; no file."""
    if failed:
        click.echo(
            'raci: no tool could be asked, so no config was written: do what each "fix:" '
            "above says and run raci init again",
            err=True,
        )
        return EXIT_SOURCES
    if any(t.discovery for t in tools):
        words = sorted({t.kind.container for t in tools if t.discovery})
        click.echo(
            f"raci: the tokens see no {' or '.join(words)}, so no config was written: do what "
            '"fix:" above says and run raci init again',
            err=True,
        )
        return EXIT_CONFIG
    if any(t.has_token for t in tools):
        click.echo(
            'raci: no token could be used, so no config was written: do what "fix:" above '
            "says and run raci init again",
            err=True,
        )
        return EXIT_CONFIG
    names = ", ".join(t.variables for t in tools)
    click.echo(
        f"raci: no token in the environment: export at least one tool's ({names}; see "
        "config.example.toml for where to make each) and run raci init again",
        err=True,
    )
    return EXIT_CONFIG


def _choose(tools: list[Tool], take_all: bool, wanted: dict[str, tuple[str, ...]]) -> list[str]:
    """Set each tool's chosen containers: all, by name, or asked on the terminal."""
    from raci_sync.init.tools import choose_named

    asked = [t for t in tools if t.discovery is not None]
    if take_all:
        for tool in asked:
            tool.chosen = tool.containers
            _list(tool, tool.chosen)
        return []
    if wanted:
        named = choose_named(asked, wanted)
        for tool in asked:
            tool.chosen = named.chosen.get(tool.kind.name, ())
            _list(tool, tool.chosen)
            if not tool.chosen and tool.containers:
                click.echo(f"{tool.kind.title}: no --{tool.kind.container} named: left out")
        return list(named.problems)
    for tool in asked:
        if tool.containers:
            tool.chosen = _ask(tool)
    return []


def _list(tool: Tool, chosen: tuple[Container, ...] | None = None) -> None:
    """The tool's containers, numbered; ``chosen`` given (no terminal): those taken marked +."""
    if not tool.containers:
        return
    marked = " (+ taken)" if chosen is not None else ""
    click.echo(f"\n{tool.kind.title} {tool.kind.container}s{marked}:")
    for i, c in enumerate(tool.containers, 1):
        where = f"{c.space.name} › " if c.space else ""
        mark = "" if chosen is None else ("+ " if c in chosen else "  ")
        click.echo(f"  {mark}{i:>3}  {tool.scrub(where + c.name)}")


def _say_details(tool: Tool) -> None:
    """What was read of the chosen containers: how many people, and the fields' names."""
    if tool.details is None:
        return
    names = sorted({d.name.strip() for defs in tool.details.fields.values() for d in defs})
    listed = ", ".join(tool.scrub(n) for n in names[:12]) + (", …" if len(names) > 12 else "")
    word = tool.kind.container
    people = len(tool.details.people)
    click.echo(
        f"{tool.kind.title}: {people} {'person' if people == 1 else 'people'} on the chosen "
        f"{word}s; {len(names)} field{'' if len(names) == 1 else 's'}"
        + (f": {listed}" if names else "")
    )


def _ask(tool: Tool) -> tuple[Container, ...]:
    """The tool's containers by number, on the terminal: ``1,3-4``, ``all`` or ``none``."""
    from raci_sync.init.tools import parse_numbers

    containers = tool.containers
    word = tool.kind.container
    _list(tool)
    while True:
        answer = click.prompt(
            f"{tool.kind.title} {word}s to take (e.g. 1,3-4, all or none)", default="all"
        )
        try:
            picked = parse_numbers(answer, len(containers))
        except ValueError as exc:
            click.echo(f"  {exc}")
            continue
        return tuple(containers[i] for i in picked)


def _check_draft(path: Path) -> int:
    """``check-config --online`` on the drafted file; then, if it passed, every source read
    once into a store in memory, and what the first report would find. Nothing is stored."""
    from raci_sync.init.summary import first_report
    from raci_sync.store import Store
    from raci_sync.sync import SyncOptions, report_from_sync
    from raci_sync.sync import sync as do_sync

    cfg = load_config(path, all_secrets=True, defer_rules=True)
    for w in cfg.warnings:
        click.echo(f"raci: warning: {w}", err=True)
    click.echo("\nChecking it as `raci check-config --online` does:")
    code = _check_online(cfg)
    if code:
        click.echo("Fix what is listed, then run `raci check-config --online` again.")
        return code
    click.echo(
        "\nWhat the first report would find (each source read once into memory; "
        "nothing was stored):"
    )
    with Store(":memory:") as store:
        synced = do_sync(cfg, store, SyncOptions(full=True))
        data = report_from_sync(cfg, store, synced)
    for line in first_report(synced.run, data):
        click.echo(f"  {line}")
    click.echo("\nNext: read the # CHECK: comments in the file, then `raci sync && raci report`.")
    return EXIT_SOURCES if synced.run.failed else 0
