"""A generated workspace for the fake APIs: people, boards/projects and tasks of all three tools.

Deterministic from a seed: the same arguments give the same ids, names, states and people. Each
tool gets its own ``tasks`` top-level tasks (or ``tasks[tool]``) spread evenly over ``containers`` projects/boards
(plus subtasks/subitems for Asana and monday when ``subtask_share`` > 0); the people are shared,
each with an id in every tool. The fakes in ``tests.fakes`` render this one model in each
vendor's shape, and tests compare what a connector read with :meth:`Workspace.expected`.

Trello boards hold a template card and a card with a ``cardRole`` in every 50 cards (served,
never kept by a read). Asana's completed tasks are mostly older than the default history
cutoff of 90 days (they are generated in 2026-01 … 2026-10), so :meth:`Workspace.expected`
leaves them out, as a read does.

Times: every generated creation and change lies between ``EPOCH`` and ``LATEST`` (both in the
past), so an incremental sync right after a full one finds nothing changed; :meth:`touch`
changes a task "now".
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

TOOLS = ("asana", "trello", "monday")
EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
LATEST = datetime(2026, 10, 30, 16, 0, tzinfo=UTC)

FIRST_NAMES = (
    "Mette",
    "Jonas",
    "Anders",
    "Sofie",
    "Freja",
    "Kasper",
    "Line",
    "Mads",
    "Ida",
    "Rasmus",
    "Emma",
    "Mikkel",
    "Laura",
    "Frederik",
    "Julie",
    "Christian",
    "Sara",
    "Oliver",
    "Anna",
    "Magnus",
    "Clara",
    "Emil",
    "Maja",
    "Lucas",
    "Signe",
    "Nikolaj",
    "Astrid",
    "Tobias",
)
LAST_NAMES = (
    "Sørensen",
    "Kristensen",
    "Holm",
    "Lund",
    "Nørgaard",
    "Vinther",
    "Bech",
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Larsen",
    "Rasmussen",
    "Madsen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Møller",
    "Dahl",
    "Kjær",
    "Friis",
    "Bak",
    "Skov",
)
CONTAINER_NAMES = (
    "Indhold & SoMe",
    "Kampagner",
    "Webshop",
    "Events",
    "Presse",
    "Analyse & Rapportering",
    "Emballage",
    "Partnere",
    "Nyhedsbrev",
    "Video",
)
VERBS = ("Skriv", "Planlæg", "Opdatér", "Gennemgå", "Fotografér", "Udgiv", "Design", "Test")
THINGS = (
    "blogindlæg om julekaffe",
    "Instagram-opslag",
    "nyhedsbrev",
    "pressemeddelelse",
    "produktside",
    "kampagnebudget",
    "smagsnoter",
    "video fra risteriet",
    "kundeundersøgelse",
    "butiksskilt",
    "SEO-tekster",
    "podcast-afsnit",
)
GROUP_NAMES = {
    "asana": ("Backlog", "I gang", "Review", "Færdig"),
    "trello": ("Backlog", "I gang", "Review", "Udgivet"),
    "monday": ("Denne uge", "Næste uge", "Senere", "Færdig"),
}
DONE_GROUP = {"asana": None, "trello": "Udgivet", "monday": None}  # Trello: a done list
LABELS = ("Kampagne", "Intern", "Kunde")
CARD_ROLES = ("separator", "link", "board", "mirror")  # Trello cards that are no work
PRIORITIES = ("Lav", "Mellem", "Høj")
STATUS_LABELS = (("I gang", 0, False), ("Færdig", 1, True), ("Fastlåst", 2, False))
TEAM_NAMES = ("Marketing", "Design", "Salg")
_ASCII = str.maketrans({"ø": "oe", "æ": "ae", "å": "aa", "Ø": "Oe", "Æ": "Ae", "Å": "Aa"})


@dataclass
class Person:
    """One human, with an account in every tool."""

    index: int
    name: str
    email: str
    username: str  # Trello username
    asana_gid: str
    trello_id: str
    monday_id: str

    def account(self, tool: str) -> str:
        """This person's account id in ``tool``."""
        return {"asana": self.asana_gid, "trello": self.trello_id, "monday": self.monday_id}[tool]


@dataclass
class Team:
    """A monday team: a people column may name it instead of its members."""

    id: str
    name: str
    members: tuple[int, ...]  # person indexes


@dataclass
class Group:
    """An Asana section, a Trello list or a monday group."""

    id: str
    name: str
    done: bool = False  # Trello: the done list


@dataclass
class Container:
    """An Asana project or a Trello/monday board."""

    id: str
    name: str
    groups: list[Group]
    created: datetime
    subitems_board_id: str = ""  # monday: the board that holds this board's subitems
    option_ids: dict[int, str] = field(default_factory=dict)  # Trello: person → dropdown option
    field_ids: dict[str, str] = field(default_factory=dict)  # Trello: custom field ids
    label_ids: dict[str, str] = field(default_factory=dict)  # Trello: label name → id


@dataclass
class Task:
    """One task/card/item of one tool, in tool-neutral terms (person indexes, not ids)."""

    id: str
    title: str
    container: Container
    group: Group
    created: datetime
    updated: datetime
    state: str  # open | done | archived (archived: Trello only)
    responsible: tuple[int, ...] = ()  # Asana assignee (0-1), Trello members, monday people col
    team: str | None = None  # monday: a team id in the people column (expands to its members)
    followers: tuple[int, ...] = ()  # Asana followers, monday subscribers
    accountable: int | None = None
    consulted: tuple[int, ...] = ()
    effort: float | None = None  # "Timer"
    due: date | None = None
    start: date | None = None
    priority: str | None = None  # Asana enum field
    status: str | None = None  # monday status label
    labels: tuple[str, ...] = ()  # Trello labels, Asana tags
    due_complete: bool = False  # Trello: done by its due checkbox instead of the done list
    parent: Task | None = None
    subtasks: list[Task] = field(default_factory=list)
    deleted: bool = False
    deleted_at: datetime | None = None
    completed_at: datetime | None = None
    due_at: datetime | None = None  # a due time (Asana due_at, Trello due), beside ``due``
    template: bool = False  # Trello: a template card (isTemplate): not work
    card_role: str | None = None  # Trello: separator, link, board or mirror card: not work

    @property
    def is_work(self) -> bool:
        """Whether a read keeps it: Trello's templates and cards with a role are no work."""
        return not self.template and self.card_role is None


@dataclass
class ToolData:
    """The containers and tasks of one tool."""

    tool: str
    containers: list[Container]
    tasks: list[Task]  # every task (subtasks too), in creation order
    field_ids: dict[str, str] = field(default_factory=dict)  # Asana custom field gids
    enum_ids: dict[str, str] = field(default_factory=dict)  # Asana enum option gids
    tag_ids: dict[str, str] = field(default_factory=dict)  # Asana tag gids

    def __post_init__(self) -> None:
        self._by_id = {t.id: t for t in self.tasks}

    def task(self, task_id: str) -> Task:
        return self._by_id[task_id]

    def container(self, container_id: str) -> Container | None:
        return next((c for c in self.containers if c.id == container_id), None)

    def live(self) -> Iterator[Task]:
        """Tasks that exist (not deleted), in creation order."""
        return (t for t in self.tasks if not t.deleted)

    def top_level(self, container: Container) -> list[Task]:
        """The container's live top-level tasks, in creation order."""
        return [
            t for t in self.tasks if t.container is container and t.parent is None and not t.deleted
        ]

    def add(self, task: Task) -> None:
        self.tasks.append(task)
        self._by_id[task.id] = task


@dataclass
class Workspace:
    """People, teams and the three tools' data, generated from one seed."""

    seed: int
    people: list[Person]
    teams: list[Team]
    tools: dict[str, ToolData]
    workspace_gid: str = "1208000000000001"  # Asana
    workspace_name: str = "Nordlys Kaffe"
    me: int = 0  # the person whose token the fakes serve

    @property
    def asana(self) -> ToolData:
        return self.tools["asana"]

    @property
    def trello(self) -> ToolData:
        return self.tools["trello"]

    @property
    def monday(self) -> ToolData:
        return self.tools["monday"]

    def person(self, tool: str, account_id: str) -> Person | None:
        return next((p for p in self.people if p.account(tool) == account_id), None)

    def team(self, team_id: str) -> Team:
        return next(t for t in self.teams if t.id == team_id)

    def touch(
        self, tool: str, task_id: str, when: datetime | None = None, **changes: object
    ) -> Task:
        """Change a task now (or at ``when``): set attributes from ``changes``, bump ``updated``."""
        task = self.tools[tool].task(task_id)
        for name, value in changes.items():
            if not hasattr(task, name):
                raise AttributeError(f"a task has no attribute {name!r}")
            setattr(task, name, value)
        task.updated = when or datetime.now(UTC)
        if changes.get("state") == "done":
            task.completed_at = task.updated
        return task

    def delete(self, tool: str, task_id: str, when: datetime | None = None) -> None:
        """Delete a task (and its subtasks): it no longer appears in any listing."""
        task = self.tools[tool].task(task_id)
        for t in (task, *task.subtasks):
            t.deleted, t.deleted_at = True, when or datetime.now(UTC)

    def responsible_accounts(self, tool: str, task: Task) -> tuple[str, ...]:
        """Account ids the tool's R field names (a monday team expanded to its members)."""
        people = list(task.responsible)
        if task.team is not None:
            people += [p for p in self.team(task.team).members if p not in people]
        return tuple(self.people[p].account(tool) for p in people)

    def expected(
        self, tool: str, *, history_days: int = 90, now: datetime | None = None
    ) -> dict[str, Expected]:
        """What a complete read of ``tool`` must return, by task id: no Trello templates or cards
        with a role; in Asana no task completed before the history cutoff (``history_days``
        before ``now``) and no subtask below one (PRODUCT §7 "Cheap on old workspaces")."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=history_days)
        out: dict[str, Expected] = {}
        for t in self.tools[tool].live():
            if not t.is_work or (tool == "asana" and _beyond_history(t, cutoff)):
                continue
            acc = None if t.accountable is None else self.people[t.accountable]
            out[t.id] = Expected(
                id=t.id,
                state=t.state,
                parent_id=t.parent.id if t.parent else None,
                container_id=t.container.id,
                responsible=frozenset(self.responsible_accounts(tool, t)),
                accountable=None
                if acc is None
                else (acc.name if tool == "trello" else acc.account(tool)),
                effort=t.effort,
            )
        return out


def _beyond_history(task: Task, cutoff: datetime) -> bool:
    """An Asana task a read leaves out: a top-level task completed before ``cutoff`` (the
    listing's ``completed_since``), or anything below a task completed before it (its
    subtasks are never listed)."""
    if task.parent is None:
        return completed_before(task, cutoff)
    parent = task.parent
    while parent is not None:
        if completed_before(parent, cutoff):
            return True
        parent = parent.parent
    return False


def completed_before(task: Task, cutoff: datetime) -> bool:
    """Whether a task was completed before ``cutoff``: history a read does not look below."""
    return task.state == "done" and task.completed_at is not None and task.completed_at < cutoff


@dataclass(frozen=True)
class Expected:
    """One task as a connector must normalize it (the parts tests compare)."""

    id: str
    state: str
    parent_id: str | None
    container_id: str
    responsible: frozenset[str]  # account ids of the R field
    accountable: str | None  # account id (Trello: the dropdown option's text, a name)
    effort: float | None


class _Ids:
    """Deterministic, realistic-looking ids: Asana 16-digit gids, Trello ObjectIds, monday ints."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.gid = 1208000000000100
        self.monday = {"board": 1800000000, "item": 1900000000, "user": 50000000, "team": 600000}

    def asana(self) -> str:
        self.gid += self.rng.randint(1, 9999)
        return str(self.gid)

    def trello(self, at: datetime) -> str:
        return f"{int(at.timestamp()):08x}{self.rng.getrandbits(64):016x}"

    def monday_id(self, kind: str) -> str:
        self.monday[kind] += self.rng.randint(1, 999)
        return str(self.monday[kind])


def generate(
    tasks: int | Mapping[str, int] = 100,
    *,
    containers: int = 4,
    people: int = 20,
    seed: int = 1,
    subtask_share: float = 0.03,
) -> Workspace:
    """A workspace with ``tasks`` top-level tasks per tool (or ``{tool: tasks}``) spread evenly
    over ``containers`` boards/projects per tool."""
    sizes = tasks if isinstance(tasks, Mapping) else dict.fromkeys(TOOLS, tasks)
    if min(sizes.get(t, 0) for t in TOOLS) < 0 or containers < 1 or people < 4:
        raise ValueError("need tasks >= 0, containers >= 1 and people >= 4")
    rng = random.Random(seed)
    ids = _Ids(rng)
    persons = _people(people, rng, ids)
    teams = [
        Team(
            ids.monday_id("team"),
            name,
            tuple(sorted(rng.sample(range(people), rng.randint(2, min(5, people))))),
        )
        for name in TEAM_NAMES
    ]
    tools = {
        tool: _tool(tool, sizes.get(tool, 0), containers, people, teams, subtask_share, rng, ids)
        for tool in TOOLS
    }
    return Workspace(seed=seed, people=persons, teams=teams, tools=tools)


def add_history(
    ws: Workspace,
    tasks: int,
    *,
    subtask_share: float = 0.4,
    open_below: int = 0,
    seed: int = 99,
) -> list[Task]:
    """An aged Asana workspace: ``tasks`` top-level tasks completed one to two years before
    ``EPOCH`` (long before any history cutoff), spread over the projects, ``subtask_share`` of
    them with 1–3 completed subtasks, and ``open_below`` of those with one *open* subtask too —
    what the history cutoff leaves out. They go first (the oldest). Returns the new top-level
    tasks."""
    rng = random.Random(seed)
    ids = _Ids(rng)
    ids.gid = 1205000000000000  # below every generated gid: no clash
    data = ws.asana
    n_people = len(ws.people)
    span = timedelta(days=365)
    old: list[Task] = []
    for i in range(tasks):
        container = data.containers[i % len(data.containers)]
        created = EPOCH - 2 * span + span * i / max(tasks, 1)
        task = _task("asana", container, created, n_people, ws.teams, rng, ids)
        _complete(task, created + timedelta(days=10), container)
        old.append(task)
        if rng.random() < subtask_share:
            for _ in range(rng.randint(1, 3)):
                sub = _task("asana", container, created, n_people, ws.teams, rng, ids, parent=task)
                _complete(sub, created + timedelta(days=9), container)
                task.subtasks.append(sub)
    for task in [t for t in old if t.subtasks][:open_below]:
        sub = _task(
            "asana", task.container, task.created, n_people, ws.teams, rng, ids, parent=task
        )
        sub.state, sub.completed_at = "open", None
        task.subtasks.append(sub)
    every = [x for t in old for x in (t, *t.subtasks)]
    data.tasks[:0] = every
    for t in every:
        data._by_id[t.id] = t
    return old


def _complete(task: Task, when: datetime, container: Container) -> None:
    task.state, task.completed_at, task.updated = "done", when, when
    task.group = container.groups[-1]


def _people(n: int, rng: random.Random, ids: _Ids) -> list[Person]:
    out: list[Person] = []
    seen: set[str] = set()
    for i in range(n):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
        name = f"{first} {last}"
        suffix = 2
        while name in seen:
            name, suffix = f"{first} {last} {suffix}", suffix + 1
        seen.add(name)
        ascii_name = name.translate(_ASCII).lower().replace(" ", ".")
        out.append(
            Person(
                index=i,
                name=name,
                email=f"{ascii_name}@nordlys.example",
                username=ascii_name.replace(".", "")[:20] + str(i),
                asana_gid=ids.asana(),
                trello_id=ids.trello(EPOCH - timedelta(days=400 - i)),
                monday_id=ids.monday_id("user"),
            )
        )
    return out


def _tool(
    tool: str,
    n: int,
    n_containers: int,
    n_people: int,
    teams: list[Team],
    subtask_share: float,
    rng: random.Random,
    ids: _Ids,
) -> ToolData:
    containers = [_container(tool, i, n_people, rng, ids) for i in range(n_containers)]
    data = ToolData(tool, containers, [])
    if tool == "asana":
        for key in ("accountable", "consulted", "effort", "priority"):
            data.field_ids[key] = ids.asana()
        data.enum_ids = {p: ids.asana() for p in PRIORITIES}
        data.tag_ids = {label: ids.asana() for label in LABELS}
    span = (LATEST - timedelta(days=30) - EPOCH).total_seconds()
    step = span / max(n, 1)
    for i in range(n):
        created = EPOCH + timedelta(seconds=int(i * step + rng.random() * step * 0.5))
        container = containers[i % n_containers]
        task = _task(tool, container, created, n_people, teams, rng, ids)
        data.add(task)
        if tool != "trello" and rng.random() < subtask_share:
            for _ in range(rng.randint(1, 3)):
                sub = _task(tool, container, created, n_people, teams, rng, ids, parent=task)
                task.subtasks.append(sub)
                data.add(sub)
        if tool == "trello" and i % 50 == 23:  # (without the rng: the rest stays as it was)
            task.template = True
        elif tool == "trello" and i % 50 == 41:
            task.card_role = CARD_ROLES[(i // 50) % len(CARD_ROLES)]
    return data


def _container(tool: str, i: int, n_people: int, rng: random.Random, ids: _Ids) -> Container:
    created = EPOCH - timedelta(days=30 - i)
    name = CONTAINER_NAMES[i % len(CONTAINER_NAMES)]
    if i >= len(CONTAINER_NAMES):
        name = f"{name} {i // len(CONTAINER_NAMES) + 1}"
    if tool == "asana":
        cid, new = ids.asana(), ids.asana
    elif tool == "trello":
        cid = ids.trello(created)

        def new() -> str:
            return ids.trello(created)
    else:
        cid = ids.monday_id("board")

        def new() -> str:
            return f"group_mk{rng.getrandbits(24):06x}"

    groups = [Group(new(), g, done=(g == DONE_GROUP[tool])) for g in GROUP_NAMES[tool]]
    c = Container(id=cid, name=name, groups=groups, created=created)
    if tool == "monday":
        c.subitems_board_id = ids.monday_id("board")
    if tool == "trello":
        c.field_ids = {k: new() for k in ("accountable", "consulted", "effort")}
        c.option_ids = {p: new() for p in range(n_people)}
        c.label_ids = {label: new() for label in LABELS}
    return c


def _task(
    tool: str,
    container: Container,
    created: datetime,
    n_people: int,
    teams: list[Team],
    rng: random.Random,
    ids: _Ids,
    parent: Task | None = None,
) -> Task:
    def some(lo: int, hi: int) -> tuple[int, ...]:
        return tuple(sorted(rng.sample(range(n_people), rng.randint(lo, hi))))

    updated = min(created + timedelta(seconds=rng.randint(0, 20 * 86400)), LATEST)
    roll = rng.random()
    if tool == "trello" and roll < 0.05:
        state = "archived"
    elif roll < 0.35:
        state = "done"
    else:
        state = "open"
    if tool == "asana":
        tid = ids.asana()
        responsible = (rng.randrange(n_people),) if rng.random() < 0.8 else ()
    elif tool == "trello":
        tid = ids.trello(created)
        responsible = some(1, 3) if rng.random() < 0.8 else ()
    else:
        tid = ids.monday_id("item")
        responsible = some(1, 2) if rng.random() < 0.8 else ()
    open_groups = [g for g in container.groups if not g.done]
    group = rng.choice(open_groups)
    due_complete = False
    if tool == "trello" and state == "done":
        if rng.random() < 0.8:
            group = next(g for g in container.groups if g.done)
        else:
            due_complete = True
    elif state == "done" and (tool == "asana" or parent is None):
        group = container.groups[-1]  # Asana's and monday's last section/group is "Færdig"
    due = (EPOCH + timedelta(days=rng.randint(0, 360))).date() if rng.random() < 0.6 else None
    if due_complete and due is None:
        due = created.date() + timedelta(days=7)
    if tool == "monday":
        status = "Færdig" if state == "done" else rng.choice(("I gang", "Fastlåst", None))
    else:
        status = None
    task = Task(
        id=tid,
        title=f"{rng.choice(VERBS)} {rng.choice(THINGS)}",
        container=container,
        group=group,
        created=created,
        updated=updated,
        state=state,
        responsible=responsible,
        team=rng.choice(teams).id if tool == "monday" and rng.random() < 0.05 else None,
        followers=some(0, 3) if tool != "trello" else (),
        accountable=rng.randrange(n_people) if rng.random() < 0.7 else None,
        consulted=some(0, 4) if rng.random() < 0.5 else (),
        effort=rng.randint(1, 32) / 2 if rng.random() < 0.7 else None,
        due=due,
        start=due - timedelta(days=3) if due and rng.random() < 0.3 else None,
        priority=rng.choice(PRIORITIES) if tool == "asana" and rng.random() < 0.5 else None,
        status=status,
        labels=tuple(sorted(rng.sample(LABELS, rng.randint(1, 2)))) if rng.random() < 0.3 else (),
        due_complete=due_complete,
        parent=parent,
        completed_at=updated if state == "done" else None,
    )
    if parent is not None:  # subtasks/subitems live outside the project/board: no such fields
        task.accountable, task.consulted, task.priority, task.labels = None, (), None, ()
        if tool == "asana":
            task.effort = None
        else:
            task.due, task.start = None, None
    return task
