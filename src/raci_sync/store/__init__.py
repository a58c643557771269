"""The store: SQLite schema, migrations and snapshots (PRODUCT §6)."""

from raci_sync.store.fixes import FixChange
from raci_sync.store.history import Retention, Thinned
from raci_sync.store.notifications import Notified
from raci_sync.store.sqlite import SourceHistory, Store, StoredSnapshot, default_store_path

__all__ = [
    "FixChange",
    "Notified",
    "Retention",
    "SourceHistory",
    "Store",
    "StoredSnapshot",
    "Thinned",
    "default_store_path",
]
