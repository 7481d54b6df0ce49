"""Serving the UI under gunicorn in-process, as ``agentjobs ui`` does.

The threaded worker (``gthread``) lets one process serve many pages at once: a page whose
browser cannot open the job's socket polls through requests held for about a second (see
``components/live.py``), and with the default sync worker every other page would wait.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from frontend_mesop.wsgi import WSGIApp


class _UiServer(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type hints
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> WSGIApp:
        from frontend_mesop.main import app

        return app


def serve(host: str = "127.0.0.1", port: int = 8888, workers: int = 1, threads: int = 32) -> None:
    """Run the UI until interrupted."""
    _UiServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": threads,
            # A poll takes about a second and attaching to a long log a few: well inside.
            "timeout": 60,
            "graceful_timeout": 5,
            "accesslog": None,
            # gunicorn's control socket has one fixed path per user: two UIs would collide.
            "control_socket_disable": True,
        }
    ).run()
