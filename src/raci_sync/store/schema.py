"""The store's schema as named migrations, applied in order, each in its own transaction.

A store records which migrations it has; opening it applies the missing ones. Migrations are
never edited once released: a change is a new migration appended here.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_initial",
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running'      -- running | ok | partial | failed
        );
        CREATE TABLE source_runs (
            run_id INTEGER NOT NULL REFERENCES runs(id),
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,                       -- ok | failed | skipped
            error TEXT,
            tasks INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            snapshot_id INTEGER REFERENCES snapshots(id),
            finished_at TEXT NOT NULL,
            PRIMARY KEY (run_id, source)
        );
        -- One complete read of one source. Rows of a snapshot are written in the same
        -- transaction as the snapshot itself, so a snapshot is either whole or absent.
        CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            taken_at TEXT NOT NULL,
            tasks INTEGER NOT NULL,
            containers TEXT NOT NULL DEFAULT '[]',     -- JSON list of board/project names
            state TEXT NOT NULL DEFAULT '{}'           -- JSON: cursors for incremental sync
        );
        CREATE INDEX snapshots_by_source ON snapshots(source, id);
        CREATE TABLE tasks (
            snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            title TEXT NOT NULL,
            url TEXT,
            container TEXT,
            container_id TEXT,
            grp TEXT,
            state TEXT NOT NULL,
            due TEXT,
            start TEXT,
            updated TEXT,
            parent_id TEXT,
            labels TEXT NOT NULL DEFAULT '[]',
            fields TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (snapshot_id, id)
        );
        CREATE TABLE accounts (
            snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
            id TEXT NOT NULL,
            name TEXT,
            username TEXT,
            email TEXT,
            PRIMARY KEY (snapshot_id, id)
        );
        -- What a run concluded, kept for week-over-week trends.
        CREATE TABLE evaluations (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            as_of TEXT NOT NULL,
            generated_at TEXT NOT NULL
        );
        CREATE TABLE assignments (
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            source TEXT NOT NULL,
            task_id TEXT NOT NULL,
            person TEXT NOT NULL,
            person_name TEXT NOT NULL,
            letter TEXT NOT NULL,
            via TEXT NOT NULL
        );
        CREATE TABLE findings (
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            check_id TEXT NOT NULL,
            severity TEXT NOT NULL,
            source TEXT,
            task_id TEXT,
            task TEXT,
            person TEXT,
            message TEXT NOT NULL,
            suggestion TEXT
        );
        CREATE TABLE workload (
            evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
            person TEXT NOT NULL,
            load REAL NOT NULL,
            capacity REAL,
            utilisation REAL,
            status TEXT NOT NULL,
            open_tasks INTEGER NOT NULL
        );
        """,
    ),
    (
        "0002_history",
        """
        -- Trends pick the last evaluation per ISO week of as_of; retention walks them in order.
        CREATE INDEX evaluations_by_as_of ON evaluations(as_of, generated_at, id);
        -- Deleting an evaluation cascades to these: without an index each cascade scans the table.
        CREATE INDEX assignments_by_evaluation ON assignments(evaluation_id);
        CREATE INDEX findings_by_evaluation ON findings(evaluation_id, check_id);
        CREATE INDEX workload_by_evaluation ON workload(evaluation_id);
        -- Thinning clears source_runs.snapshot_id of a removed snapshot before deleting it.
        CREATE INDEX source_runs_by_snapshot ON source_runs(snapshot_id);
        -- Store.history(): the latest run of one source.
        CREATE INDEX source_runs_by_source ON source_runs(source, run_id);
        """,
    ),
    (
        "0003_email_sends",
        """
        -- Who the weekly email reached, per ISO week in the configured timezone: the email goes
        -- out once a week, and a retry in the same week only to those not yet reached.
        CREATE TABLE email_sends (
            week TEXT NOT NULL,                         -- "2026-W50"
            recipient TEXT NOT NULL,                    -- the address, lower case
            sent_at TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'sent',          -- sent | skipped (all clear, skip_empty)
            subject TEXT,
            PRIMARY KEY (week, recipient)
        );
        """,
    ),
    (
        "0004_run_errors_finding_keys",
        """
        -- Why a run ended as it did: interrupted by a signal, or stopped by a store error
        -- (a full disk). A run left 'running' by a killed process is marked 'interrupted'
        -- by the next run, which holds the lock.
        ALTER TABLE runs ADD COLUMN error TEXT;
        -- Since when a finding is open: its key across evaluations (PRODUCT §10, §12).
        CREATE INDEX findings_by_key ON findings(check_id, source, task_id, person);
        """,
    ),
    (
        "0005_notifications",
        """
        -- Each successful post to a [[notify]] target, with what was open then: the next post
        -- carries only what is new since (PRODUCT §12). Only the last few per target are kept.
        CREATE TABLE notify_posts (
            id INTEGER PRIMARY KEY,
            target TEXT NOT NULL,                       -- the [[notify]] name (never its URL)
            kind TEXT NOT NULL,                         -- slack | teams | webhook
            posted_at TEXT NOT NULL,
            errors TEXT NOT NULL DEFAULT '[]',          -- JSON: keys of open ownership errors
            overloaded TEXT NOT NULL DEFAULT '[]'       -- JSON: keys of people over capacity
        );
        CREATE INDEX notify_posts_by_target ON notify_posts(target, id);
        -- Who had their personal digest ([email] personal), per ISO week in the configured
        -- timezone: once a week, like the team email (email_sends), kept apart from it.
        CREATE TABLE digest_sends (
            week TEXT NOT NULL,
            recipient TEXT NOT NULL,                    -- the address, lower case
            sent_at TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'sent',          -- sent | skipped (nothing, skip_empty)
            PRIMARY KEY (week, recipient)
        );
        """,
    ),
    (
        "0006_fixes",
        """
        -- What `raci fix --apply` and `raci fix --undo` did in the tools: one row per change
        -- written, skipped or failed, in the run (runs.id) of that command. `before` and
        -- `after` are JSON lists of what the field held (account ids, or the names a dropdown
        -- or text field gave); `target` is the field, as JSON (ref, key, id, title, type).
        CREATE TABLE fix_changes (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs(id),
            action TEXT NOT NULL,                      -- set | undo
            status TEXT NOT NULL,                      -- written | skipped | failed
            source TEXT NOT NULL,
            kind TEXT NOT NULL,
            task_id TEXT NOT NULL,
            task TEXT NOT NULL,                        -- the task's title
            letter TEXT NOT NULL,
            person TEXT,                               -- who the letter was given to
            target TEXT,
            before TEXT NOT NULL DEFAULT '[]',
            after TEXT NOT NULL DEFAULT '[]',
            actor TEXT NOT NULL,                       -- who ran raci fix (the OS user)
            at TEXT NOT NULL,
            reason TEXT,                               -- why it was skipped or failed
            undoes INTEGER REFERENCES fix_changes(id)  -- the change an undo puts back
        );
        CREATE INDEX fix_changes_by_run ON fix_changes(run_id);
        CREATE INDEX fix_changes_by_undoes ON fix_changes(undoes);
        """,
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)
