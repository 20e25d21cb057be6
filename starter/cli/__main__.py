"""``python -m starter.cli``: how ``triage up``, bench and tests start the stack's parts."""

from starter.cli.app import app

app()
