"""The `raci` command line: parse → call the library → render. One error handler for all.

Exit codes (PRODUCT §5): 0 success; 1 findings at/above --fail-on; 2 usage or configuration
error; 3 one or more sources failed (the others were still synced); 4 another run holds the lock.
"""

from __future__ import annotations

import logging
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from raci_sync import __version__
from raci_sync.config import Config, find_config, load_config
from raci_sync.connectors import KINDS
from raci_sync.errors import ConfigError, LockedError, RaciError, SourceError, StoreError
from raci_sync.model import ReportData, Severity
from raci_sync.reports.render import (
    MATRIX_FORMATS,
    REPORT_FORMATS,
    render_matrix,
    render_report,
    write_output,
)

if TYPE_CHECKING:
    from raci_sync.reports.email import EmailOutcome
    from raci_sync.store import Store
    from raci_sync.sync import SyncResult

EXIT_FINDINGS, EXIT_CONFIG, EXIT_SOURCES, EXIT_LOCKED = 1, 2, 3, 4
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
  raci check-config               validate ./raci.toml (see config.example.toml)
  raci sync && raci report        pull everything, then show the findings
"""


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script and ``python -m raci_sync``."""
    sys.exit(run_cli(argv))


def run_cli(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; errors become one clear line, never a traceback."""
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
    except ConfigError as exc:
        click.echo(f"raci: configuration error: {exc}", err=True)
        return EXIT_CONFIG
    except LockedError as exc:
        click.echo(f"raci: {exc}", err=True)
        return EXIT_LOCKED
    except SourceError as exc:
        click.echo(f"raci: {exc}", err=True)
        return EXIT_SOURCES
    except (StoreError, RaciError) as exc:
        click.echo(f"raci: {exc}", err=True)
        return EXIT_CONFIG
    except Exception as exc:
        logging.getLogger("raci_sync").debug("internal error", exc_info=True)
        click.echo(
            f"raci: internal error ({type(exc).__name__}: {exc}); run again with "
            "--debug for details and please report it",
            err=True,
        )
        return 70


@click.group(context_settings=CONTEXT, help=HELP)
@click.version_option(__version__, prog_name="raci")
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file. Default: $RACI_CONFIG, else ./raci.toml.",
)
@click.option("-v", "--verbose", count=True, help="Log each source and retry (to stderr).")
@click.option(
    "--debug", is_flag=True, help="Log every request too, and tracebacks of internal errors."
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    help="Also write log records (one line each) to this file.",
)
@click.pass_context
def cli(
    ctx: click.Context, config_path: str | None, verbose: int, debug: bool, log_file: str | None
) -> None:
    """The ``raci`` group: global options, then the command (its help is ``HELP``)."""
    from raci_sync.progress import setup_logging

    setup_logging(verbose=verbose, debug=debug, log_file=log_file)
    ctx.obj = {"config_path": config_path}


def _config(ctx: click.Context) -> Config:
    path = find_config(ctx.obj["config_path"])
    cfg = load_config(path)
    for w in cfg.warnings:
        click.echo(f"raci: warning: {w}", err=True)
    return cfg


def _report_data(
    cfg: Config, as_of: date | None = None, synced: SyncResult | None = None
) -> ReportData:
    """Everything a report shows: what ``synced`` read and concluded, else what the store holds
    (window from ``as_of``, default today)."""
    from raci_sync.sync import build_report, report_from_sync

    with _open_store(cfg) as store:
        if synced is not None:
            return report_from_sync(cfg, store, synced)
        return build_report(cfg, store, as_of)


def _open_store(cfg: Config) -> Store:
    from raci_sync.store import Store, default_store_path

    return Store(cfg.store or default_store_path())


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-12-07") from None


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
quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="No progress on stderr, only warnings and errors."
)
output_option = click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write to a file instead of printing."
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


def format_option(choices: tuple[str, ...], help_text: str) -> Any:
    """``--format/-f`` over ``choices``, default table."""
    return click.option(
        "--format",
        "-f",
        "fmt",
        type=click.Choice(choices),
        default="table",
        show_default=True,
        help=help_text,
    )


@cli.command()
@sources_option
@full_option
@quiet_option
@click.pass_context
def sync(ctx: click.Context, sources: tuple[str, ...], full: bool, quiet: bool) -> int:
    """Pull every configured source into the store.

    A source that fails keeps its last good data; the others are still synced, and the exit
    code is 3.

    \b
    Example:
      raci sync                       all sources
      raci sync --source indhold      one source
    """
    cfg = _config(ctx)
    synced = _locked_sync(cfg, sources, full, quiet)
    return EXIT_SOURCES if synced.run.failed else 0


def _locked_sync(cfg: Config, sources: tuple[str, ...], full: bool, quiet: bool) -> SyncResult:
    """Sync under the store's lock (exit 4 at once if another run holds it)."""
    from raci_sync.lock import run_lock
    from raci_sync.progress import SyncProgress, quiet_stderr
    from raci_sync.store import default_store_path
    from raci_sync.sync import SyncOptions
    from raci_sync.sync import sync as do_sync

    names = sources or tuple(s.name for s in cfg.sources)
    for name in names:
        cfg.source(name)  # an unknown --source is a usage error before anything starts
    if quiet:
        quiet_stderr()
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


def _fail_code(data: ReportData, fail_on: str | None) -> int:
    if not fail_on:
        return 0
    threshold = Severity(fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in data.findings) else 0


@cli.command()
@format_option(REPORT_FORMATS, "Output format.")
@output_option
@as_of_option
@fail_on_option
@click.pass_context
def report(
    ctx: click.Context, fmt: str, output: str | None, as_of: date | None, fail_on: str | None
) -> int:
    """Show findings and workload from the store (run `raci sync` first).

    \b
    Example:
      raci report                                  table on the terminal
      raci report -f json -o report.json           the machine-readable contract
      raci report --as-of 2026-12-07 --fail-on error
    """
    cfg = _config(ctx)
    data = _report_data(cfg, as_of)
    _emit(render_report(data, fmt, color=_is_tty_table(fmt, output)), output)
    return _fail_code(data, fail_on)


@cli.command("check-config")
@click.option("--online", is_flag=True, help="Also call each source's API to test its token.")
@click.pass_context
def check_config(ctx: click.Context, online: bool) -> int:
    """Validate the config; with --online, test each source's token and scope.

    \b
    Example:
      raci check-config
      raci --config team.toml check-config --online
    """
    cfg = _config(ctx)
    click.echo(
        f"{cfg.path}: ok — {len(cfg.sources)} source(s), {len(cfg.people)} person(s), "
        f"{len(cfg.rules)} rule(s)"
    )
    if not online:
        return 0
    from raci_sync.connectors.base import make_connector

    failed = 0
    for source in cfg.sources:
        try:
            who = make_connector(source).check()
            click.echo(f"  {source.name} ({source.kind}): ok, token of {who}")
        except SourceError as exc:
            failed += 1
            click.echo(f"  {source.name} ({source.kind}): FAILED — {exc}")
    return EXIT_SOURCES if failed else 0


@cli.command("run")
@sources_option
@full_option
@format_option(REPORT_FORMATS, "Report format.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write the report to a file instead of printing it.",
)
@click.option("--no-report", is_flag=True, help="Sync only; print no report.")
@fail_on_option
@click.option(
    "--email",
    "send_mail",
    is_flag=True,
    help="Also send the weekly email ([email]): once per ISO week to each recipient.",
)
@click.option(
    "--dry-run", is_flag=True, help="Write the email to --eml (raci-report.eml) instead of sending."
)
@click.option(
    "--eml",
    type=click.Path(dir_okay=False),
    help="Write the weekly email to this .eml file instead of sending it (implies --dry-run).",
)
@quiet_option
@click.pass_context
def run_command(
    ctx: click.Context,
    sources: tuple[str, ...],
    full: bool,
    fmt: str,
    output: str | None,
    no_report: bool,
    fail_on: str | None,
    send_mail: bool,
    dry_run: bool,
    eml: str | None,
    quiet: bool,
) -> int:
    """Sync, then report and/or email: the one command a crontab line calls.

    Holds a lock on the store: a second `raci run` while one is running exits 4 at once.
    Exit codes: 0 ok, 1 findings at/above --fail-on, 2 config error, 3 a source failed (the
    others were synced and the report still shows everything, the failed source as stale),
    4 another run holds the lock, 5 the email was not (fully) sent (the sync and the store
    are kept; the next run this ISO week retries those not reached).

    \b
    Example:
      raci run -q -f markdown -o /srv/raci/report.md
      raci --log-file /var/log/raci.log run -q --no-report --email
      raci run --eml week.eml                   the email to a file, nothing sent
    """
    cfg = _config(ctx)
    synced = _locked_sync(cfg, sources, full, quiet)
    code = 0
    mail = send_mail or dry_run or eml is not None
    if no_report and not mail:
        return EXIT_SOURCES if synced.run.failed else code
    data = _report_data(cfg, synced=synced)  # the sync's own evaluation: nothing read back
    if not no_report:
        _emit(render_report(data, fmt, color=_is_tty_table(fmt, output)), output)
        code = _fail_code(data, fail_on)
    emailed = None
    if mail:
        emailed = _send_email(cfg, data, eml or (DEFAULT_EML if dry_run else None), quiet=quiet)
    if synced.run.failed:
        return EXIT_SOURCES
    return EXIT_EMAIL if emailed is not None and not emailed.complete else code


# -- the weekly email --------------------------------------------------------------------------

EXIT_EMAIL = 5  # the email was not (fully) sent; the sync and the store are kept
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

    with _open_store(cfg) as store:
        outcome = send_weekly(cfg, data, store, now=now_in(cfg), force=force, write_to=write_to)
    lines = _email_problems(outcome) if quiet else _email_lines(outcome)
    for line in lines:
        click.echo(f"email: {line}", err=True)
    return outcome


def _email_lines(outcome: EmailOutcome) -> list[str]:
    """What became of the email, in words: never "sent to" an address that was not reached."""
    if outcome.written is not None:
        return [f"written to {outcome.written} (not sent): {outcome.subject}"]
    lines = []
    if outcome.already_sent:
        lines.append(
            f"{', '.join(outcome.already_sent)} already had the email of {outcome.week}"
            + ("" if outcome.pending else "; nothing sent (`raci email --force` sends it again)")
        )
    if outcome.skipped:
        lines.append(outcome.skipped)
    if outcome.sent_to:
        lines.append(f"sent to {', '.join(outcome.sent_to)}: {outcome.subject}")
    return lines + _email_problems(outcome)


def _email_problems(outcome: EmailOutcome) -> list[str]:
    """Who was not reached, and why."""
    lines = [
        f"{address} NOT reached: the server refused it ({why})"
        for address, why in outcome.refused.items()
    ]
    if outcome.error:
        lines.append(f"{', '.join(outcome.not_reached)} NOT reached: {outcome.error}")
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


@cli.command()
@format_option(MATRIX_FORMATS, "Output format.")
@output_option
@click.option("--all", "include_closed", is_flag=True, help="Include done and archived tasks.")
@click.pass_context
def matrix(ctx: click.Context, fmt: str, output: str | None, include_closed: bool) -> int:
    """The RACI matrix: tasks × people, the letters in the cells.

    Tasks are grouped by source and board/project; people are columns, with their hats.

    \b
    Example:
      raci matrix                                  on the terminal
      raci matrix -f xlsx -o raci-matrix.xlsx      for a spreadsheet
    """
    cfg = _config(ctx)
    data = _report_data(cfg)
    _emit(render_matrix(data, fmt, include_closed=include_closed), output)
    return 0


@cli.command()
@format_option(REPORT_FORMATS, "What to print on the terminal.")
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
def demo(fmt: str, output_dir: str, as_of: date | None) -> int:
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

    demo_run = run_demo(output_dir, as_of, progress=True)
    _emit(render_report(demo_run.data, fmt, color=_is_tty_table(fmt, None)), None)
    written = ", ".join(str(path) for path in demo_run.written)
    click.echo(f"\nwrote {written} and the store {demo_run.store}", err=True)
    return EXIT_SOURCES if demo_run.run.failed else 0
