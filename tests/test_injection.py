"""Injection: hostile task titles and person names, end to end through the real connectors.

The fake APIs (tests/fakes) serve a workspace whose task titles and people's names try to run
code in a browser (``<script>``, ``onerror``), a spreadsheet (``=HYPERLINK``, ``+cmd``, ``@SUM``,
``-2+3``, a leading tab), a mail header (CR/LF + ``Bcc:``), a terminal (ANSI escapes), a Markdown
table (``|``, a ``javascript:`` link) or a reader's eyes (U+202E RIGHT-TO-LEFT OVERRIDE), plus
emoji and a 40 000-character title — spread over Trello, Asana and monday, in spec-shaped JSON.
``raci sync`` reads them into the store, then every output is rendered through the CLI and
checked: HTML (report, matrix, the email's HTML part) has no live tag or handler from a title;
CSV and XLSX cells (openpyxl) are never formulas and never start like one; the email's headers
are exactly the ones raci sets, untouched by any title; the Markdown tables stay well-formed;
the terminal table carries no CR or escape sequence from a title.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import openpyxl
import pytest

from raci_sync.cli import run_cli
from tests.fakes.config import sources_toml
from tests.fakes.server import FakeServer
from tests.fakes.workspace import TOOLS, Workspace, generate

AS_OF = date(2026, 10, 5)  # a Monday; the hostile tasks are due two days later
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
LONG = "Lang titel " + "kaffe " * 6_665  # 40 001 characters: more than an Excel cell holds
TITLES = (
    SCRIPT,
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd",
    "-2+3",
    "Linje et\r\nBcc: evil@x",
    "\u202eexe.txt\u202c",
    "Faktura \u202egpj.exe",  # an override nothing closes
    "Kaffe ☕ 🎉 👩🏽‍💻",
    LONG,
    IMG,
    "\x1b[31mRØD\x1b[0m \x1b]0;pwned\x07 titel",
    "a | b | c",
    "\t=1+1",
    "[klik](javascript:alert(1))",
)
NAMES = (
    "=cmd|' /C calc'!A0",
    "<img src=x onerror=alert(2)>",
    "Eve\r\nBcc: evil@x",
    "\u202eevE nahtanoJ",
    "+Mallory",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BIDI_OPEN = "\u202a\u202b\u202d\u202e"  # embeddings and overrides, closed by U+202C
SENDER = "RACI Nordlys <raci@nordlys.example>"
RECIPIENT = "marketing@nordlys.example"


def hostile_workspace() -> Workspace:
    """Five open tasks per tool carry the hostile titles (due in the window, no accountable,
    every other one with a hostile-named responsible); five of the six people have hostile
    names, and each of them is over capacity."""
    ws = generate(10, containers=1, people=len(NAMES) + 1, seed=11, subtask_share=0.0)
    for person, name in zip(ws.people, NAMES, strict=False):
        person.name = name
    slots = [task for tool in TOOLS for task in ws.tools[tool].tasks[:5]]
    for n, (task, title) in enumerate(zip(slots, TITLES, strict=True)):
        task.title, task.state, task.due = title, "open", AS_OF + timedelta(days=2)
        task.accountable, task.due_complete = None, False
        task.responsible = (n % len(NAMES),) if n % 2 else ()
        if task.group.done:
            task.group = next(g for g in task.container.groups if not g.done)
        if task.status == "Færdig":
            task.status = "I gang"
    for person, task in zip(range(len(NAMES)), ws.trello.tasks[5:], strict=False):
        # every hostile name over capacity: in the summary line and the "overloaded" lists
        task.state, task.due, task.due_complete = "open", AS_OF + timedelta(days=3), False
        task.responsible, task.effort = (person,), 40.0
        if task.group.done:
            task.group = next(g for g in task.container.groups if not g.done)
    return ws


@dataclass
class Outputs:
    root: Path
    ws: Workspace
    files: dict[str, Path]
    table_stdout: str
    eml: EmailMessage

    def text(self, name: str) -> str:
        return self.files[name].read_text(encoding="utf-8")


def _config(root: Path, ws: Workspace, server: FakeServer) -> Path:
    roster = ws.people[len(NAMES)]
    cfg = root / "raci.toml"
    cfg.write_text(
        f'store = "{(root / "raci.sqlite").as_posix()}"\n'
        + sources_toml(server, ws)
        + f'[[person]]\nname = "{roster.name}"\nemails = ["{roster.email}"]\n'
        + f'[email]\nfrom = "{SENDER}"\nto = ["{RECIPIENT}"]\n',
        encoding="utf-8",
    )
    return cfg


def _raci(cfg: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = run_cli(["--config", str(cfg), *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outputs]:
    root = tmp_path_factory.mktemp("injection")
    ws = hostile_workspace()
    root_logger = logging.getLogger()
    saved = (list(root_logger.handlers), root_logger.level)
    files: dict[str, Path] = {}
    try:
        with FakeServer(ws, monday={"fast": True}) as server:
            cfg = _config(root, ws, server)
            code, _, err = _raci(cfg, "sync", "-q", "--full")
            assert code == 0, err
        when = ("--as-of", AS_OF.isoformat())
        for fmt, ext in (
            ("html", "html"),
            ("csv", "csv"),
            ("xlsx", "xlsx"),
            ("markdown", "md"),
            ("table", "txt"),
            ("json", "json"),
        ):
            files[f"report.{ext}"] = root / f"report.{ext}"
            code, _, err = _raci(cfg, "report", "-f", fmt, "-o", str(files[f"report.{ext}"]), *when)
            assert code == 0, err
        for fmt, ext in (("html", "html"), ("csv", "csv"), ("xlsx", "xlsx"), ("table", "txt")):
            files[f"matrix.{ext}"] = root / f"matrix.{ext}"
            code, _, err = _raci(cfg, "matrix", "-f", fmt, "-o", str(files[f"matrix.{ext}"]))
            assert code == 0, err
        code, table_stdout, err = _raci(cfg, "report", *when)
        assert code == 0, err
        files["x.eml"] = root / "x.eml"
        code, _, err = _raci(cfg, "email", "--dry-run", "-o", str(files["x.eml"]), *when)
        assert code == 0, err
    finally:
        for handler in root_logger.handlers:
            if handler not in saved[0]:
                handler.close()
        root_logger.handlers[:] = saved[0]
        root_logger.setLevel(saved[1])
    eml = email.message_from_bytes(files["x.eml"].read_bytes(), policy=email.policy.default)
    assert isinstance(eml, EmailMessage)
    yield Outputs(root, ws, files, table_stdout, eml)


def shown(text: str) -> str:
    """A title as a one-line output may show it: controls dropped, whitespace folded."""
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc" or ch.isspace())
    return re.sub(r"\s+", " ", text).strip()


OUTPUTS = (
    "report.html",
    "report.csv",
    "report.xlsx",
    "report.md",
    "report.txt",
    "report table on stdout",
    "matrix.html",
    "matrix.csv",
    "matrix.xlsx",
    "matrix.txt",
    "email headers",
    "email text part",
    "email html part",
    "email xlsx attachment",
)


def test_the_hostile_texts_went_through_the_connectors(outputs: Outputs) -> None:
    """Not a vacuous check: every hostile title and name came back from the APIs into the
    report data, from all three connectors."""
    import json

    data = json.loads(outputs.text("report.json"))
    assert [s["status"] for s in data["sources"]] == ["ok", "ok", "ok"]
    titles = {t["title"] for t in data["tasks"]}
    missing = [t for t in TITLES if t not in titles and shown(t) not in titles]
    assert missing == [], f"hostile titles lost on the way: {missing}"
    sources = {t["source"] for t in data["tasks"] if t["title"] in TITLES}
    assert sources == {"indhold", "kampagner", "events"}
    names = {u["name"] for u in data["unmatched"]} | {w["person"] for w in data["workload"]}
    lost = [n for n in NAMES if n not in names and shown(n) not in names]
    assert lost == [], f"hostile names lost on the way: {lost}"
    print(
        f"injection: {len(TITLES)} hostile titles and {len(NAMES)} hostile names through "
        f"{len(sources)} connectors and the store; {len(OUTPUTS)} outputs checked"
    )


# -- HTML ----------------------------------------------------------------------------------


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text (entities decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def html_documents(outputs: Outputs) -> dict[str, str]:
    part = outputs.eml.get_body(("html",))
    assert part is not None
    return {
        "report.html": outputs.text("report.html"),
        "matrix.html": outputs.text("matrix.html"),
        "email html": part.get_content(),
    }


@pytest.mark.parametrize("name", ["report.html", "matrix.html", "email html"])
def test_html_has_no_live_markup_from_a_title(outputs: Outputs, name: str) -> None:
    doc = html_documents(outputs)[name]
    parser = Tags()
    parser.feed(doc)
    parser.close()
    # the report's one script is its own (sorting the findings), allowed by its hash in the CSP
    shipped = (resources.files("raci_sync.reports") / "templates" / "report.js").read_text()
    own = f"<script>{shipped}</script>" if name == "report.html" else ""
    if own:
        assert doc.count(own) == 1
    for tag, attrs in [t for t in parser.tags if not (own and t == ("script", []))]:
        assert tag not in ("script", "iframe", "object", "embed", "svg"), (name, tag, attrs)
        for attr, value in attrs:
            assert not attr.startswith("on"), f"{name}: <{tag} {attr}={value!r}>"
            if attr in ("href", "src", "action", "formaction"):
                scheme = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
                assert not scheme.startswith(("javascript:", "vbscript:", "data:text")), (
                    f"{name}: <{tag} {attr}={value!r}>"
                )
        if tag == "img":
            src = dict(attrs).get("src") or ""
            assert src.startswith(("cid:", "data:image/")), f"{name}: <img src={src!r}>"
    text = "".join(parser.texts)
    # the hostile texts are there, as text: escaped, not dropped
    assert SCRIPT in text and "onerror=alert(" in text
    assert "<script" not in doc.replace(own, "").lower() and "<img src=x" not in doc.lower()


# -- CSV and XLSX --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["report.csv", "matrix.csv"])
def test_csv_cells_are_never_formulas(outputs: Outputs, name: str) -> None:
    rows = list(csv.reader(io.StringIO(outputs.text(name), newline="")))
    assert rows and len({len(row) for row in rows}) == 1, f"{name}: ragged rows"
    cells = [cell for row in rows for cell in row]
    risky = [c for c in cells if c.startswith(FORMULA_START)]
    assert risky == [], f"{name}: cells a spreadsheet would run: {risky[:5]}"
    assert not [c for c in cells if "\r" in c or "\n" in c], f"{name}: a cell spans lines"
    assert '\'=HYPERLINK("http://x","y")' in cells  # shown, as text
    assert any(c.startswith("'+cmd|") for c in cells)
    assert any(c.startswith("'@SUM(1+1)") for c in cells) and "'-2+3" in cells


def xlsx_books(outputs: Outputs) -> dict[str, bytes]:
    attached = [p for p in outputs.eml.iter_attachments() if p.get_filename("").endswith("xlsx")]
    assert len(attached) == 1
    payload = attached[0].get_content()
    assert isinstance(payload, bytes)
    return {
        "report.xlsx": outputs.files["report.xlsx"].read_bytes(),
        "matrix.xlsx": outputs.files["matrix.xlsx"].read_bytes(),
        "email attachment": payload,
    }


@pytest.mark.parametrize("name", ["report.xlsx", "matrix.xlsx", "email attachment"])
def test_xlsx_cells_are_never_formulas(outputs: Outputs, name: str) -> None:
    blob = xlsx_books(outputs)[name]
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/sheet"):
                xml = archive.read(member).decode()
                assert not re.search(r"<f[ >]", xml), f"{name}: {member} holds a formula"
    book = openpyxl.load_workbook(io.BytesIO(blob))
    texts: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{name}: {sheet.title}!{cell.coordinate} formula"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    where = f"{name}: {sheet.title}!{cell.coordinate} = {cell.value[:40]!r}"
                    assert not cell.value.startswith(FORMULA_START), where
                    assert len(cell.value) <= 32_767, where
                    assert "\r" not in cell.value and "\x1b" not in cell.value, where
                if cell.hyperlink is not None:
                    target = (cell.hyperlink.target or "").lower()
                    assert target.startswith(("http://", "https://")), f"{name}: {target}"
    book.close()
    assert '\'=HYPERLINK("http://x","y")' in texts and "'-2+3" in texts
    assert any(t.startswith("'+cmd|") for t in texts)
    assert any(t.startswith("Lang titel kaffe") for t in texts)  # the long one, cut to fit


# -- the email's headers -------------------------------------------------------------------


def test_email_headers_are_only_ours(outputs: Outputs) -> None:
    msg = outputs.eml
    assert sorted(msg.keys()) == sorted(
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "Auto-Submitted",
            "MIME-Version",
            "Content-Type",
        ]
    )
    assert str(msg["From"]) == SENDER and str(msg["To"]) == RECIPIENT
    assert re.fullmatch(r"RACI 2026-W41: (RED|AMBER|GREEN) — [a-z0-9 ,]+", str(msg["Subject"]))
    raw = outputs.files["x.eml"].read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"(?im)^(bcc|cc|reply-to):", head)
    for part in msg.walk():
        assert not part.defects, part.defects
        for key, value in part.items():
            assert key.lower() not in ("bcc", "cc", "reply-to"), key
            for evil in ("evil", "script", "HYPERLINK", "\u202e", "\r", "\n", "\x1b"):
                assert evil not in str(value), f"{key}: {value!r}"


def test_email_text_keeps_each_title_and_name_on_one_line(outputs: Outputs) -> None:
    """A CR/LF in a title or a name must not start a new line of the text part: a line
    "Bcc: evil@x" in the body is no header, but it is not what the sender wrote either."""
    part = outputs.eml.get_body(("plain",))
    assert part is not None
    text = part.get_content()
    assert "Linje et Bcc: evil@x" in text  # the CR/LF title, on one line
    broken = [line for line in text.splitlines() if line.lstrip().startswith("Bcc:")]
    assert broken == [], f"a title or name broke a line of the text part: {broken}"


# -- Markdown and the terminal -------------------------------------------------------------


def markdown_tables(md: str) -> list[list[str]]:
    """Each table: its lines, from the header row to the last row."""
    tables, current = [], []
    lines = md.split("\n")
    for i, line in enumerate(lines):
        starts = line.startswith("|") and (
            current or (i + 1 < len(lines) and re.fullmatch(r"\|( ?-+:? \|)+", lines[i + 1]))
        )
        if starts:
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return [*tables, current] if current else tables


def test_markdown_tables_stay_well_formed(outputs: Outputs) -> None:
    md = outputs.text("report.md")
    tables = markdown_tables(md)
    assert len(tables) >= 3
    for rows in tables:
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, f"a row has more or fewer cells than its header: {rows[0]}"
        for row in rows:
            assert row.endswith("|"), row[:80]
    for line in md.split("\n"):
        # every line outside a table is ours: a heading, a summary line, a blank line
        if line and not line.startswith("|"):
            assert not any(shown(t)[:12] in line for t in TITLES if len(shown(t)) > 4), line
    assert "\r" not in md and "\x1b" not in md
    assert not re.search(r"(?<!\\)<(script|img)", md, re.IGNORECASE)
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # "\[klik\](javascript:…)" is no link
    assert r"\<script\>alert(1)\</script\>" in md and r"a \| b \| c" in md


@pytest.mark.parametrize("name", ["report.txt", "matrix.txt", "stdout"])
def test_terminal_table_has_no_control_characters_from_a_title(outputs: Outputs, name: str) -> None:
    text = outputs.table_stdout if name == "stdout" else outputs.text(name)
    controls = {
        f"U+{ord(ch):04X}" for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"
    }
    assert controls == set(), f"{name}: control characters {controls}"
    assert "RØD" in text
    if name != "matrix.txt":  # the report's table promises lines of at most 100 characters
        assert max(len(line) for line in text.split("\n")) <= 100


class BidiParagraphs(HTMLParser):
    """Splits an HTML page into bidi paragraphs (the text between block boundaries, where an
    override ends at the latest) and notes each that ends inside an override."""

    BLOCKS = frozenset(
        {
            "html",
            "head",
            "body",
            "title",
            "header",
            "main",
            "section",
            "footer",
            "div",
            "p",
            "li",
            "ul",
            "ol",
            "table",
            "caption",
            "tr",
            "td",
            "th",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "pre",
            "blockquote",
            "dd",
            "dt",
            "br",
            "bdi",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self.flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        self.text += data

    def flush(self) -> None:
        if bidi_depth(self.text):
            self.open.append(self.text.strip())
        self.text = ""


def bidi_depth(text: str) -> int:
    """How many embeddings/overrides are still open at the end of ``text``."""
    depth = 0
    for ch in text:
        if ch in BIDI_OPEN:
            depth += 1
        elif ch == "\u202c":
            depth = max(0, depth - 1)
    return depth


@pytest.mark.parametrize(
    "name",
    [
        "report.txt",
        "matrix.txt",
        "stdout",
        "report.md",
        "email text",
        "report.html",
        "matrix.html",
        "email html",
    ],
)
def test_a_right_to_left_override_does_not_run_past_its_title(outputs: Outputs, name: str) -> None:
    """U+202E reverses what follows it up to a U+202C or the end of the paragraph (a line of
    text; an HTML block). A title or name that opens one and never closes it must not turn the
    rest of a table row or a summary line around ("Faktura \u202egpj.exe" shows as
    "Faktura exe.jpg", and everything after it on that line backwards too)."""
    if name.endswith("html"):
        parser = BidiParagraphs()
        parser.feed(html_documents(outputs)[name])
        parser.close()
        parser.flush()
        spilled = parser.open
    else:
        if name == "email text":
            body = outputs.eml.get_body(("plain",))
            assert body is not None
            text = body.get_content()
        else:
            text = outputs.table_stdout if name == "stdout" else outputs.text(name)
        spilled = [line.strip() for line in text.split("\n") if bidi_depth(line)]
    assert spilled == [], f"{name}: {len(spilled)} line(s) end inside an override: " + "; ".join(
        repr(line[:90]) for line in spilled[:3]
    )
