"""The weekly email, once a week (PRODUCT §9, §12): who already has it, sending it to the rest.

Sends are recorded in the store per recipient per ISO week, the week taken in the configured
``timezone``. So ``raci run --email`` can run every day: the first run of a week sends, a
later one sends nothing — unless someone was not reached (a refused address, a server that was
down), and then only to them. ``force`` sends to everyone again. An all-clear week that
``skip_empty`` leaves out counts as sent. Writing the email to a file sends and records nothing.

With ``[email] personal = true`` each roster person with an email also gets their own digest
(``personal.py``), by the same rule, recorded apart (``digest_sends``). The team email and the
digests go out over one SMTP session (``smtp.send_all``); a digest that fails never stops the
team email or the other digests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from raci_sync.errors import ConfigError, EmailError
from raci_sync.model import ReportData
from raci_sync.reports.email.message import _address, build_email, recipients, write_eml
from raci_sync.reports.email.personal import (
    PersonalDigest,
    build_personal,
    digest_recipients,
    personal_message,
)
from raci_sync.reports.email.smtp import Delivery, send_all
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
    # personal digests ([email] personal): by the person's address
    digests_sent: tuple[str, ...] = ()
    digests_failed: Mapping[str, str] = field(default_factory=dict)  # not reached, and why
    digests_already: tuple[str, ...] = ()  # had this week's before
    digests_skipped: tuple[str, ...] = ()  # nothing for them, and skip_empty
    digests_written: tuple[Path, ...] = ()

    @property
    def not_reached(self) -> tuple[str, ...]:
        """Who should have this week's email and does not."""
        return tuple(address for address in self.pending if address not in self.sent_to)

    @property
    def complete(self) -> bool:
        """True unless someone who should have this week's email was not reached (exit 5)."""
        return self.error is None and not self.refused and not self.digests_failed


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
    week (everyone with ``force``), and record who it reached; with ``[email] personal``, the
    personal digests too, by the same rule, in the same SMTP session. With ``write_to``, write
    the email to that .eml file (each digest beside it) and send and record nothing.

    An SMTP failure is returned in the outcome (``error``, ``refused``, ``digests_failed``),
    never raised: the sync and the store stay as they are. Raises ConfigError for incomplete
    [email] settings.
    """
    week = iso_week(_local(now, config.timezone).date())
    digests = _digests(data) if config.email.personal else []
    if write_to is not None:
        return _write(config, data, digests, week, Path(write_to))
    everyone = recipients(config.email)
    if not everyone and not digests:
        raise ConfigError(["email.to: no recipients"])
    reached = store.email_sends(week)
    pending = tuple(a for a in everyone if force or a.lower() not in reached)
    already = tuple(a for a in everyone if a not in pending)
    had = store.digest_sends(week)
    due = [d for d in digests if force or d.address.lower() not in had]
    base = EmailOutcome(
        week,
        already_sent=already,
        pending=pending,
        digests_already=tuple(d.address for d in digests if d not in due),
    )
    batch: list[tuple[EmailMessage, list[str] | None]] = []
    team = build_email(data, config.email) if pending else None
    if pending and team is None:
        store.record_email_sends(week, pending, now, kind="skipped")
        base = replace(base, skipped=SKIPPED)
    if team is not None:
        base = replace(base, subject=str(team["Subject"]))
        batch.append((team, list(pending)))
    base, personal = _personal_batch(config, data, store, due, base, now)
    batch += [(msg, None) for _, msg in personal]
    if not batch:
        return base
    try:
        deliveries = send_all(batch, config.email)
    except EmailError as exc:
        failed = {d.address: str(exc) for d, _ in personal}
        error = str(exc) if team is not None else None
        return replace(base, error=error, digests_failed={**base.digests_failed, **failed})
    if team is not None:
        base = _team_result(store, week, now, base, deliveries.pop(0))
    return _digest_results(store, week, now, base, personal, deliveries)


def _digests(data: ReportData) -> list[PersonalDigest]:
    return [build_personal(data, person, address) for person, address in digest_recipients(data)]


def _personal_batch(
    config: Config,
    data: ReportData,
    store: Store,
    due: list[PersonalDigest],
    base: EmailOutcome,
    now: datetime,
) -> tuple[EmailOutcome, list[tuple[PersonalDigest, EmailMessage]]]:
    """The digests to send now; the ones with nothing in them skipped (``skip_empty``) and
    recorded, the ones whose address is no address failed."""
    if config.email.sender:  # a wrong sender is the config's problem, not one person's
        _address(config.email.sender, "email.from")
    skip = [d for d in due if d.empty and config.email.skip_empty]
    if skip:
        store.record_digest_sends(base.week, [d.address for d in skip], now, kind="skipped")
    failed: dict[str, str] = {}
    batch = []
    for digest in (d for d in due if d not in skip):
        try:
            batch.append((digest, personal_message(digest, config.email, data)))
        except ConfigError as exc:  # their address is no address: they alone are not reached
            failed[digest.address] = "; ".join(exc.problems)
    skipped = tuple(d.address for d in skip)
    return replace(base, digests_skipped=skipped, digests_failed=failed), batch


def _team_result(
    store: Store, week: str, now: datetime, base: EmailOutcome, delivery: Delivery
) -> EmailOutcome:
    if delivery.error is not None:
        return replace(base, error=delivery.error)
    replies = {address.lower(): reply for address, reply in delivery.refused.items()}
    sent = tuple(a for a in base.pending if a.lower() not in replies)
    store.record_email_sends(week, sent, now, subject=base.subject)
    refused = {a: replies[a.lower()] for a in base.pending if a.lower() in replies}
    return replace(base, sent_to=sent, refused=refused)


def _digest_results(
    store: Store,
    week: str,
    now: datetime,
    base: EmailOutcome,
    personal: list[tuple[PersonalDigest, EmailMessage]],
    deliveries: list[Delivery],
) -> EmailOutcome:
    failed = dict(base.digests_failed)
    sent = []
    for (digest, _), delivery in zip(personal, deliveries, strict=True):
        why = delivery.error or next(iter(delivery.refused.values()), None)
        if why is not None:
            failed[digest.address] = why
        else:
            sent.append(digest.address)
    if sent:
        store.record_digest_sends(week, sent, now)
    return replace(base, digests_sent=tuple(sent), digests_failed=failed)


def _write(
    config: Config, data: ReportData, digests: list[PersonalDigest], week: str, path: Path
) -> EmailOutcome:
    """The email (and each digest, beside it) written to files: nothing sent, nothing recorded."""
    written = []
    for digest in digests:
        if digest.empty and config.email.skip_empty:
            continue
        slug = re.sub(r"[^a-z0-9]+", "-", digest.address.lower()).strip("-")
        target = path.with_name(f"{path.stem}.{slug}{path.suffix or '.eml'}")
        written.append(write_eml(personal_message(digest, config.email, data), target))
    msg = build_email(data, config.email)
    if msg is None:
        return EmailOutcome(week, skipped=SKIPPED, digests_written=tuple(written))
    return EmailOutcome(
        week,
        subject=str(msg["Subject"]),
        written=write_eml(msg, path),
        digests_written=tuple(written),
    )


def _local(moment: datetime, timezone: str) -> datetime:
    """``moment`` in the configured timezone (a naive moment is taken to be in it already)."""
    zone = ZoneInfo(timezone)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
