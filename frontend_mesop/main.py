"""The WSGI app gunicorn serves: ``gunicorn frontend_mesop.main:app`` (``agentjobs ui`` does)."""

from __future__ import annotations

from frontend_mesop.app import create_app

app = create_app()
