"""``python -m raci_sync`` runs the CLI, as the ``raci`` script does."""

from raci_sync.entry import main

main()
