"""``python -m cli``: the same as the ``agentjobs`` command."""

from cli.main import app

app()
