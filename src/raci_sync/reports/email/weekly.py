"""The weekly email, once a week (PRODUCT §9, §12): who already has it, sending it to the rest.

Sends are recorded in the store per recipient per ISO week, the week taken in the configured
``timezone``. So ``raci run --email`` can run every day: the first run of a week sends, a
later one sends nothing — unless someone was not reached (a refused address, a server that was
down), and then only to them. ``force`` sends to everyone again. An all-clear week that
``skip_empty`` leaves out counts as sent. Writing the email to a file sends and records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from raci_sync.errors import ConfigError, EmailError
from raci_sync.model import ReportData
from raci_sync.reports.email.message import build_email, recipients, write_eml
from raci_sync.reports.email.smtp import send
from raci_sync.reports.summary import iso_week

if TYPE_CHECKING:
    from raci_sync.config import Config
    from raci_sync.store import Store

SKIPPED = "all clear and [email] skip_empty = true: nothing to send (it counts as this week's)"


@dataclass(frozen=True)
class EmailOutcome:
    """What became of this week's email.

    ``sent_to``: reached now. ``refused``: address → the server's reply, not reached.
    ``already_sent``: had this week's email before, so not sent again. ``error``: the send failed
    as a whole (nobody in ``pending`` was reached). ``skipped``: why nothing was sent although
    someone was due. ``written``: the .eml file, when the email was written instead of sent.
    """

    week: str
    subject: str | None = None
    sent_to: tuple[str, ...] = ()
    refused: Mapping[str, str] = field(default_factory=dict)
    already_sent: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()  # who this call tried to reach
    skipped: str | None = None
    written: Path | None = None
    error: str | None = None

    @property
    def not_reached(self) -> tuple[str, ...]:
        """Who should have this week's email and does not."""
        return tuple(address for address in self.pending if address not in self.sent_to)

    @property
    def complete(self) -> bool:
        """True unless someone who should have this week's email was not reached (exit 5)."""
        return self.error is None and not self.refused


def send_weekly(
    config: Config,
    data: ReportData,
    store: Store,
    *,
    now: datetime,
    force: bool = False,
    write_to: str | Path | None = None,
) -> EmailOutcome:
    """Send the weekly email for ``data`` to the recipients it has not reached in ``now``'s ISO
    week (everyone with ``force``), and record who it reached; or, with ``write_to``, write it
    to that .eml file and send and record nothing.

    An SMTP failure is returned in the outcome (``error``, ``refused``), never raised: the sync
    and the store stay as they are. Raises ConfigError for incomplete [email] settings.
    """
    week = iso_week(_local(now, config.timezone).date())
    if write_to is not None:
        msg = build_email(data, config.email)
        if msg is None:
            return EmailOutcome(week, skipped=SKIPPED)
        return EmailOutcome(week, subject=str(msg["Subject"]), written=write_eml(msg, write_to))
    everyone = recipients(config.email)
    if not everyone:
        raise ConfigError(["email.to: no recipients"])
    reached = store.email_sends(week)
    pending = tuple(a for a in everyone if force or a.lower() not in reached)
    already = tuple(a for a in everyone if a not in pending)
    if not pending:
        return EmailOutcome(week, already_sent=already)
    msg = build_email(data, config.email)
    if msg is None:
        store.record_email_sends(week, pending, now, kind="skipped")
        return EmailOutcome(week, already_sent=already, pending=pending, skipped=SKIPPED)
    subject = str(msg["Subject"])
    try:
        refused = send(msg, config.email, to_addrs=list(pending))
    except EmailError as exc:
        return EmailOutcome(week, subject, already_sent=already, pending=pending, error=str(exc))
    replies = {address.lower(): reply for address, reply in refused.items()}
    sent = tuple(a for a in pending if a.lower() not in replies)
    store.record_email_sends(week, sent, now, subject=subject)
    return EmailOutcome(
        week,
        subject,
        sent_to=sent,
        refused={a: replies[a.lower()] for a in pending if a.lower() in replies},
        already_sent=already,
        pending=pending,
    )


def _local(moment: datetime, timezone: str) -> datetime:
    """``moment`` in the configured timezone (a naive moment is taken to be in it already)."""
    zone = ZoneInfo(timezone)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
