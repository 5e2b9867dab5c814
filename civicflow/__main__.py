"""``python -m civicflow`` runs the ``civicflow`` command."""

from civicflow.cli import main

main()
