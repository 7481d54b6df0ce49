"""``python -m agentjobs.cli``: the same as the ``agentjobs`` command."""

from agentjobs.cli.main import app

app()
