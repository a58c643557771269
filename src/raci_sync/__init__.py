"""raci-sync: RACI roles across Trello, Asana and monday.com."""

__version__ = "0.1.0"
