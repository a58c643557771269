"""Connectors: one module per API over one shared HTTP layer (``http.py``)."""

from raci_sync.connectors.base import (
    CONNECTORS,
    Connector,
    connector_class,
    make_connector,
    make_http,
)

__all__ = ["CONNECTORS", "Connector", "connector_class", "make_connector", "make_http"]
