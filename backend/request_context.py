"""ASGI middleware binding the job a request is about (from its path) to the log context."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from agentjobs.logging_setup import bind_job, unbind

_JOB_PATH = re.compile(r"/jobs/([^/]+)")


class JobLogContext:
    """Binds ``job_id`` for every HTTP or WebSocket request under ``/jobs/<id>``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _JOB_PATH.search(scope.get("path", "")) if scope["type"] != "lifespan" else None
        if match is None:
            await self.app(scope, receive, send)
            return
        # Access log lines are written from inside ``send``, so they carry the job id too.
        token = bind_job(job_id=match.group(1))
        try:
            await self.app(scope, receive, send)
        finally:
            unbind(token)
