"""Generate the Asana part of the demo: src/raci_sync/demo/recordings/asana.json.

The workspace "Nordlys Kaffe" is described below as plain data. A small fake Asana server
answers from it the way Asana does (only ``gid`` plus the requested ``opt_fields``, pages of
``limit``), the real AsanaConnector runs ``check()``, a full fetch and an incremental fetch (which
finds nothing changed since the demo's Monday morning) against it, and ``check_scope()`` (what
``raci check-config --online`` asks: the projects' custom fields and task counts); every request
it made is written to the cassette with the answer it got.

    .venv/bin/python tools/demo_asana.py            # write the recording
    .venv/bin/python tools/demo_asana.py --check    # exit 1 if the recording is out of date
"""

from __future__ import annotations

import base64
import hashlib
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from raci_sync.config import Secret, SourceConfig
from raci_sync.connectors.asana.client import DEFAULT_BASE_URL, AsanaConnector
from raci_sync.connectors.base import make_http
from raci_sync.demo.replay import Cassette, mount_handler, request_parts

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "src" / "raci_sync" / "demo" / "recordings" / "asana.json"
# Dates are absolute: the demo's "today" is Monday 2026-12-07, its window 2026-12-07 … 12-20.
WORKSPACE = "Nordlys Kaffe"
SYNCED_AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # the incremental read's "since"
ME = "jonas"  # whose token the demo uses (the project manager runs the sync)

USERS = {
    "mette": ("Mette Sørensen", "mette@nordlyskaffe.dk"),
    "jonas": ("Jonas Kristensen", "jonas@nordlyskaffe.dk"),
    "anders": ("Anders Holm", "anders@nordlyskaffe.dk"),
    "sofie": ("Sofie Lund", "sofie@nordlyskaffe.dk"),
    "freja": ("Freja Nørgaard", "freja@nordlyskaffe.dk"),
}
PROJECTS = {  # listed in this order, so a task in both projects lands in "Kampagne Q1 2027"
    "kampagne": ("Kampagne Q1 2027", ("Strategi", "Produktion", "Klar til lancering")),
    "analyse": ("Analyse & Rapportering", ("Rapporter", "Data")),
}
KANAL_OPTIONS = ("Instagram", "Nyhedsbrev", "Web")


@dataclass(frozen=True)
class DemoTask:
    """One demo task; people by USERS key, homes as (project key, section name)."""

    key: str
    name: str
    homes: tuple[tuple[str, str], ...] = ()
    assignee: str | None = None
    accountable: tuple[str, ...] = ()
    consulted: tuple[str, ...] = ()
    timer: float | None = None
    kanal: str | None = None
    due: str | None = None
    done: str | None = None  # completed_at date
    tags: tuple[str, ...] = ()
    creator: str = "jonas"
    modified: str = "2026-12-04T10:15:00.000Z"
    subtasks: tuple[DemoTask, ...] = ()


K, A = "kampagne", "analyse"
# One task per paragraph reads better as a table than as the formatter's one-argument lines.
# fmt: off
TASKS = (
    # Strategi: the hat rule fills A = strategist where the tool gives none
    DemoTask("budskab", "Fastlæg kampagnebudskab for Q1", ((K, "Strategi"),), assignee="jonas",
             consulted=("anders",), timer=4, due="2026-12-11", creator="mette"),
    DemoTask("personas", "Definér målgrupper og personas", ((K, "Strategi"),), assignee="mette",
             accountable=("mette",), consulted=("jonas", "anders", "freja", "sofie"), timer=5,
             due="2026-12-15", creator="mette"),
    DemoTask("kanaler", "Vælg kanaler og fordel mediebudget", ((K, "Strategi"),),
             accountable=("mette",), timer=3, due="2026-12-18", creator="mette"),
    DemoTask("kpi", "KPI'er og måltal for Q1-kampagnen", ((K, "Strategi"), (A, "Rapporter")),
             assignee="jonas", accountable=("mette",), consulted=("sofie",), timer=2,
             due="2026-12-10", creator="mette", modified="2026-12-03T08:40:00.000Z"),
    # Produktion
    DemoTask("video", "Produktion af kampagnevideo", ((K, "Produktion"),), assignee="anders",
             accountable=("mette",), timer=2, kanal="Web", due="2026-12-18",
             modified="2026-12-05T13:02:00.000Z", subtasks=(
                 DemoTask("manus", "Skriv manuskript til kampagnevideo", assignee="anders",
                          accountable=("jonas",), timer=4, due="2026-12-09"),
                 DemoTask("klip", "Klip video til Instagram og Reels", assignee="freja",
                          accountable=("mette",), timer=6, kanal="Instagram",
                          due="2026-12-17"),
             )),
    DemoTask("karrusel", "Instagram-karrusel: julens kaffeblend", ((K, "Produktion"),),
             assignee="freja", accountable=("mette",), consulted=("sofie",), timer=8,
             kanal="Instagram", due="2026-12-09", tags=("Jul",)),
    DemoTask("reels", "Reels-serie: fra bønne til kop", ((K, "Produktion"),), assignee="freja",
             accountable=("mette",), timer=7, kanal="Instagram", due="2026-12-14"),
    DemoTask("fotos", "Produktfotos af vinterblend", ((K, "Produktion"),), timer=5,
             due="2026-12-16"),
    # Klar til lancering
    DemoTask("nyhedsbrev", "Nyhedsbrev: teaser for Q1-kampagnen", ((K, "Klar til lancering"),),
             assignee="freja", accountable=("mette",), timer=6, kanal="Nyhedsbrev",
             due="2026-12-19"),
    DemoTask("landingsside", "Landingsside til Q1-kampagnen", ((K, "Klar til lancering"),),
             assignee="anders", accountable=("jonas",), timer=5, kanal="Web", due="2026-12-01",
             modified="2026-11-28T15:30:00.000Z"),
    # Analyse & Rapportering: Sofie's own tasks are all done
    DemoTask("rapport", "Månedsrapport for november", ((A, "Rapporter"),), assignee="sofie",
             accountable=("mette",), timer=4, due="2026-12-03", done="2026-12-03"),
    DemoTask("blackfriday", "Evaluering af Black Friday-kampagnen", ((A, "Rapporter"),),
             assignee="sofie", accountable=("jonas",), timer=3, due="2026-12-04",
             done="2026-12-04"),
    DemoTask("dashboard", "Dashboard til sociale medier", ((A, "Rapporter"),), assignee="jonas",
             accountable=("mette",), consulted=("sofie", "freja"), timer=3),
    DemoTask("utm", "Opsæt UTM-tracking på kampagnelinks", ((A, "Data"),), assignee="sofie",
             accountable=("mette",), timer=2, due="2026-11-30", done="2026-12-02"),
)
# fmt: on


def gid(*key: str) -> str:
    """A stable, real-looking 16-digit Asana gid for a demo object."""
    digest = hashlib.sha256("/".join(key).encode()).hexdigest()
    return "1209" + str(int(digest, 16) % 10**12).zfill(12)


def user(key: str, full: bool = False) -> dict[str, Any]:
    name, email = USERS[key]
    out = {"gid": gid("user", key), "resource_type": "user", "name": name}
    return {**out, "email": email} if full else out


def compact(kind: str, key: str, name: str) -> dict[str, Any]:
    return {"gid": gid(kind, key), "resource_type": kind, "name": name}


FIELD_DEFS = {  # name → (gid, resource_subtype)
    "Accountable": (gid("field", "accountable"), "people"),
    "Consulted": (gid("field", "consulted"), "people"),
    "Timer": (gid("field", "timer"), "number"),
    "Kanal": (gid("field", "kanal"), "enum"),
}


def field_setting(project: str, name: str) -> dict[str, Any]:
    """A project's setting of one of the four custom fields (``CustomFieldSettingResponse``)."""
    field_gid, subtype = FIELD_DEFS[name]
    return {
        "gid": gid("setting", project, name),
        "resource_type": "custom_field_setting",
        "project": compact("project", project, PROJECTS[project][0]),
        "custom_field": {
            "gid": field_gid,
            "resource_type": "custom_field",
            "name": name,
            "resource_subtype": subtype,
        },
    }


def custom_fields(t: DemoTask) -> list[dict[str, Any]]:
    """The four project fields on a task, empty ones included, as Asana lists them."""

    def base(name: str) -> dict[str, Any]:
        field_gid, subtype = FIELD_DEFS[name]
        return {
            "gid": field_gid,
            "resource_type": "custom_field",
            "name": name,
            "resource_subtype": subtype,
            "type": subtype,
        }

    def people(name: str, keys: tuple[str, ...]) -> dict[str, Any]:
        names = ", ".join(USERS[k][0] for k in keys)
        return {
            **base(name),
            "display_value": names or None,
            "people_value": [user(k) for k in keys],
        }

    option = None
    if t.kanal:
        option = {
            **compact("enum_option", f"kanal/{t.kanal}", t.kanal),
            "enabled": True,
            "color": {"Instagram": "purple", "Nyhedsbrev": "blue", "Web": "green"}[t.kanal],
        }
    return [
        people("Accountable", t.accountable),
        people("Consulted", t.consulted),
        {
            **base("Timer"),
            "precision": 0,
            "number_value": t.timer,
            "display_value": None if t.timer is None else f"{t.timer:g}",
        },
        {**base("Kanal"), "enum_value": option, "display_value": t.kanal},
    ]


def task_object(t: DemoTask, parent: DemoTask | None = None) -> dict[str, Any]:
    """The full TaskResponse of a demo task (the fake server projects it on opt_fields)."""
    ws = gid("workspace", WORKSPACE)
    home = f"/project/{gid('project', t.homes[0][0])}" if t.homes else ""
    followers = [u for u in dict.fromkeys((t.creator, t.assignee)) if u]
    return {
        "gid": gid("task", t.key),
        "resource_type": "task",
        "name": t.name,
        "resource_subtype": "default_task",
        "assignee": user(t.assignee) if t.assignee else None,
        "followers": [user(u) for u in followers],
        "completed": t.done is not None,
        "completed_at": f"{t.done}T15:45:00.000Z" if t.done else None,
        "due_on": t.due,
        "due_at": None,
        "start_on": None,
        "start_at": None,
        "created_at": "2026-11-16T09:00:00.000Z",
        "modified_at": f"{t.done}T15:45:00.000Z" if t.done else t.modified,
        "permalink_url": f"https://app.asana.com/1/{ws}{home}/task/{gid('task', t.key)}",
        "memberships": [
            {
                "project": compact("project", p, PROJECTS[p][0]),
                "section": compact("section", f"{p}/{s}", s),
            }
            for p, s in t.homes
        ],
        "tags": [compact("tag", tag, tag) for tag in t.tags],
        "parent": (
            {
                "gid": gid("task", parent.key),
                "resource_type": "task",
                "name": parent.name,
                "resource_subtype": "default_task",
            }
            if parent
            else None
        ),
        "num_subtasks": len(t.subtasks),
        "custom_fields": custom_fields(t),
    }


# -- the fake server ----------------------------------------------------------------------------


def project_fields(obj: dict[str, Any], opt_fields: list[str]) -> dict[str, Any]:
    """``obj`` cut down to ``gid`` plus the dotted ``opt_fields``, as Asana answers."""
    paths = [f.split(".") for f in opt_fields if f]
    return _project(obj, paths)


def _project(obj: dict[str, Any], paths: list[list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {"gid": obj["gid"]} if "gid" in obj else {}
    groups: dict[str, list[list[str]]] = defaultdict(list)
    for path in paths:
        groups[path[0]].append(path[1:])
    for key, rests in groups.items():
        if key in obj:
            out[key] = _project_value(obj[key], rests)
    return out


def _project_value(value: Any, rests: list[list[str]]) -> Any:
    if isinstance(value, list):
        return [_project_value(v, rests) for v in value]
    if not isinstance(value, dict):
        return value
    deeper = [r for r in rests if r]
    if "gid" not in value:  # a plain value object such as date_value: all of it, or a part
        return value if len(deeper) < len(rests) else _project(value, deeper)
    out = _project(value, deeper)
    if len(deeper) < len(rests):  # the object itself was asked for: its compact form
        out.setdefault("resource_type", value.get("resource_type"))
    return out


class FakeAsana:
    """Answers the GETs the connector makes from the demo data, paging by ``limit``."""

    def __init__(self) -> None:
        self.ws = {
            "gid": gid("workspace", WORKSPACE),
            "resource_type": "workspace",
            "name": WORKSPACE,
        }
        self.users = [user(k, full=True) for k in USERS]
        self.projects = [
            {**compact("project", k, name), "archived": False} for k, (name, _) in PROJECTS.items()
        ]
        self.lists: dict[str, list[dict[str, Any]]] = {}
        for p in PROJECTS:
            self.lists[f"/projects/{gid('project', p)}/tasks"] = [
                task_object(t) for t in TASKS if p in {h[0] for h in t.homes}
            ]
        for t in TASKS:
            if t.subtasks:
                self.lists[f"/tasks/{gid('task', t.key)}/subtasks"] = [
                    task_object(s, parent=t) for s in t.subtasks
                ]
        self.counts: dict[str, dict[str, Any]] = {}
        for p in PROJECTS:
            project_gid = gid("project", p)
            self.lists[f"/projects/{project_gid}/custom_field_settings"] = [
                field_setting(p, name) for name in FIELD_DEFS
            ]
            listed = self.lists[f"/projects/{project_gid}/tasks"]
            done = sum(t["completed"] for t in listed)
            self.counts[f"/projects/{project_gid}/task_counts"] = {
                "num_incomplete_tasks": len(listed) - done,
                "num_completed_tasks": done,
            }

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        _method, path, query, _body = request_parts(request)
        rel = path.removeprefix("/api/1.0")
        # without opt_fields Asana answers the compact form: gid, resource_type, name
        fields = query.get("opt_fields", "resource_type,name").split(",")
        if rel == "/users/me":
            return 200, {}, {"data": project_fields(user(ME, full=True), fields)}
        if rel.endswith("/task_counts"):
            counts = self.counts.get(rel)
            if counts is None:
                return 404, {}, {"errors": [{"message": "Unknown object", "help": "demo"}]}
            return 200, {}, {"data": project_fields(counts, fields)}
        items = self.collection(rel, query)
        if items is None:
            return 404, {}, {"errors": [{"message": "Unknown object", "help": "demo"}]}
        return 200, {}, self.page(rel, query, [project_fields(i, fields) for i in items])

    def collection(self, rel: str, query: dict[str, str]) -> list[dict[str, Any]] | None:
        # completed_since (the history cutoff of a full read) leaves nothing out here: every
        # demo task was completed within days of the demo's Monday, so the answers do not
        # depend on the day the recording is made.
        if rel == "/tasks":  # the incremental read: a project's tasks modified since a time
            since = datetime.fromisoformat(query["modified_since"])
            listed = self.lists.get(f"/projects/{query['project']}/tasks", [])
            return [t for t in listed if datetime.fromisoformat(t["modified_at"]) >= since]
        if rel == "/workspaces":
            return [self.ws]
        if rel == "/users" and query.get("workspace") == self.ws["gid"]:
            return self.users
        if rel == "/projects" and query.get("workspace") == self.ws["gid"]:
            return [
                p for p in self.projects if query.get("archived") != "false" or not p["archived"]
            ]
        return self.lists.get(rel)

    @staticmethod
    def page(rel: str, query: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
        if "limit" not in query:
            return {"data": items}
        limit = int(query["limit"])
        start = int(base64.b64decode(query["offset"])) if "offset" in query else 0
        body: dict[str, Any] = {"data": items[start : start + limit], "next_page": None}
        if start + limit < len(items):
            offset = base64.b64encode(str(start + limit).encode()).decode()
            q = "&".join(f"{k}={v}" for k, v in {**query, "offset": offset}.items())
            body["next_page"] = {
                "offset": offset,
                "path": f"{rel}?{q}",
                "uri": f"{DEFAULT_BASE_URL}{rel}?{q}",
            }
        return body


# -- recording ----------------------------------------------------------------------------------


def record() -> Cassette:
    """Run the real connector against FakeAsana and keep every exchange, in order."""
    fake = FakeAsana()
    interactions: list[dict[str, Any]] = []

    def recorder(request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        status, headers, body = fake(request)
        method, path, query, _ = request_parts(request)
        match = {k: query[k] for k in ("project", "offset") if k in query}
        interactions.append(
            {
                "method": method,
                "path": path.removeprefix("/api/1.0"),
                "match": match,
                "status": status,
                "headers": headers,
                "body": body,
            }
        )
        return status, headers, body

    source = SourceConfig(name="demo", kind="asana", token=Secret("demo"), workspace=WORKSPACE)
    http = make_http(
        source, mount=mount_handler(recorder, ["https://app.asana.com/"]), rate_limits=False
    )
    connector = AsanaConnector(source, http, max_workers=1)  # one thread: a stable order
    connector.check()
    connector.check_scope()  # what `raci check-config --online` asks
    connector.fetch(SYNCED_AT, connector.fetch())
    return Cassette("asana", DEFAULT_BASE_URL, interactions)


def main(argv: list[str]) -> int:
    cassette = record()
    text = cassette.to_json() + "\n"
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT} is out of date; run tools/demo_asana.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(cassette.interactions)} interactions)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
