"""The store: SQLite schema, migrations and snapshots (PRODUCT §6)."""

from raci_sync.store.sqlite import SourceHistory, Store, StoredSnapshot, default_store_path

__all__ = ["SourceHistory", "Store", "StoredSnapshot", "default_store_path"]
