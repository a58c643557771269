"""``python -m raci_sync`` runs the CLI."""

from raci_sync.cli import main

main()
