"""The weekly email (PRODUCT §5) as one MIME message, and writing it to an .eml file.

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain                      the digest as text
    │   └── multipart/related
    │       ├── text/html                   the digest as HTML (inline CSS, tables, no scripts)
    │       └── image/png                   the workload chart, <img src="cid:...">
    └── application/vnd...sheet             raci-report-2026-W50.xlsx: Findings, Workload
                                            (the tasks behind each load), Unmatched, Matrix

Safety: nothing a tool wrote ever goes into a header (task titles live in the bodies only, and
jinja2 escapes them in HTML); the subject is made of numbers and fixed words; each address is
parsed on its own and anything that is not exactly one clean address is refused, so a
configured recipient can never smuggle in a header or another recipient.
"""

from __future__ import annotations

import email.policy
import email.utils
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from email.headerregistry import Address, Group
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from raci_sync import i18n
from raci_sync.config import EmailConfig
from raci_sync.errors import ConfigError, RaciError
from raci_sync.model import ReportData
from raci_sync.reports.email.digest import Digest, build_digest
from raci_sync.reports.sanitize import clean_line

if TYPE_CHECKING:
    import jinja2

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
CHART_NAME = "workload.png"


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("raci_sync.reports.email", "templates"),
        extensions=["jinja2.ext.i18n"],
        # HTML templates escape everything; the plain-text one has nothing to escape into
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # the texts in the active language, looked up at render time (the environment is cached)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n._, i18n.ngettext, newstyle=True
    )
    env.filters["day"] = i18n.local_date  # a date as people read it in the language
    env.globals["lang"] = i18n.language
    return env


def render_text(digest: Digest) -> str:
    """The plain-text body."""
    return _environment().get_template("email.txt.j2").render(d=digest)


def render_html(digest: Digest, chart_cid: str | None) -> str:
    """The HTML body; ``chart_cid`` is the Content-ID of the inline chart (without <>)."""
    return _environment().get_template("email.html.j2").render(d=digest, chart_cid=chart_cid)


def build_email(
    data: ReportData, config: EmailConfig, *, attach_matrix: bool = True
) -> EmailMessage | None:
    """The weekly email for ``data``; None when the week is all clear and ``skip_empty`` is set.

    From and To come from ``config`` when set (``raci email --dry-run`` works without them).
    Raises ConfigError when ``email.from`` or an ``email.to`` entry is not one clean address.
    """
    digest = build_digest(data)
    if digest.all_clear and config.skip_empty:
        return None
    if not attach_matrix:
        digest = replace(digest, matrix_name=None)
    msg, domain = _headed_message(digest, data, config)
    msg.set_content(render_text(digest), cte="quoted-printable")
    show_chart = not digest.all_clear and bool(data.workload)
    cid = email.utils.make_msgid("workload", domain=domain) if show_chart else None
    msg.add_alternative(
        render_html(digest, cid[1:-1] if cid else None), subtype="html", cte="quoted-printable"
    )
    if cid:
        from raci_sync.reports.email.chart import workload_png

        html = msg.get_body(("html",))
        assert isinstance(html, EmailMessage)  # the part just added
        png = workload_png(data)
        html.add_related(png, "image", "png", cid=cid, disposition="inline", filename=CHART_NAME)
    if attach_matrix and digest.matrix_name:
        from raci_sync.reports.spreadsheet import email_xlsx

        xlsx = email_xlsx(data)  # what the email's "and N more" point to, and the matrix
        msg.add_attachment(xlsx, maintype=XLSX[0], subtype=XLSX[1], filename=digest.matrix_name)
    return msg


def _headed_message(
    digest: Digest, data: ReportData, config: EmailConfig
) -> tuple[EmailMessage, str]:
    """A message with its headers set (every value parsed or one clean line), and the domain
    to make Content-IDs with."""
    sender = _address(config.sender, "email.from") if config.sender else None
    recipients = [_address(to, f"email.to[{i}]") for i, to in enumerate(config.to)]
    domain = sender.domain if sender else "raci-sync.invalid"
    msg = EmailMessage(policy=email.policy.default)
    if sender:
        msg["From"] = sender
    if recipients:
        msg["To"] = recipients
    msg["Subject"] = clean_line(digest.subject)
    msg["Date"] = email.utils.format_datetime(_aware(data))
    msg["Message-ID"] = email.utils.make_msgid("raci", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies
    return msg, domain


def _aware(data: ReportData) -> datetime:
    moment = data.generated_at
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def recipients(config: EmailConfig) -> list[str]:
    """The configured recipients' addresses (``user@host``), in config order, each once.

    Raises ConfigError when an ``email.to`` entry is not one clean address.
    """
    unique: dict[str, str] = {}
    for i, to in enumerate(config.to):
        address = _address(to, f"email.to[{i}]").addr_spec
        unique.setdefault(address.lower(), address)
    return list(unique.values())


def _address(value: str, where: str) -> Address:
    """Exactly one address (``Name <user@host>`` or ``user@host``), else a ConfigError."""
    text = clean_line(value)
    header = email.policy.default.header_factory("To", text)
    addresses: tuple[Address, ...] = header.addresses  # an AddressHeader: "To" parses as one
    groups: tuple[Group, ...] = header.groups
    if (
        len(addresses) != 1
        or header.defects
        or any(group.display_name is not None for group in groups)
        or not addresses[0].username
        or not addresses[0].domain
        or any(unicodedata.category(ch) == "Cc" for ch in value)  # CR, LF, tab, escapes
    ):
        raise ConfigError(
            [f"{where}: {value!r} is not one email address (write it as user@example.com)"]
        )
    return addresses[0]


def write_eml(msg: EmailMessage, path: str | Path) -> Path:
    """Write ``msg`` as an .eml file (CRLF line ends, as sent); returns the path."""
    target = Path(path)
    try:
        target.write_bytes(msg.as_bytes(policy=email.policy.SMTP))
    except OSError as exc:
        raise RaciError(f"cannot write the email to {target}: {exc.strerror or exc}") from exc
    return target
