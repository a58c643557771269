"""Connectors: one package per tool over one shared HTTP layer (``http.py``).

``KINDS`` maps each kind name to the :class:`~raci_sync.connectors.kind.Kind` record its package
declares. Importing this package imports only those records, never a client: the config reader
learns the tools from here without pulling in HTTP code (``base.make_connector`` imports a
client when a source of its kind is read).
"""

from raci_sync.connectors import asana, monday, trello
from raci_sync.connectors.kind import Budget, Kind

KINDS: dict[str, Kind] = {k.name: k for k in (trello.KIND, asana.KIND, monday.KIND)}

__all__ = ["KINDS", "Budget", "Kind"]
