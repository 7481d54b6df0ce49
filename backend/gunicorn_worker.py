"""Uvicorn server options of the API, and the gunicorn worker class that applies them.

Several API processes: ``gunicorn backend.main:app -k backend.gunicorn_worker.UvicornWorker``.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker as _BaseUvicornWorker

SERVER_OPTIONS: dict[str, Any] = {"ws_per_message_deflate": False}
"""No per-message deflate on WebSockets: events are small JSON, and compressing each one once
per socket cost 13% of the API's CPU in the fan-out benchmark and ~32 KiB of zlib state per
socket (docs/benchmarks.md)."""


class UvicornWorker(_BaseUvicornWorker):  # type: ignore[misc]  # untyped base
    """``uvicorn_worker.UvicornWorker`` with the API's ``SERVER_OPTIONS``."""

    CONFIG_KWARGS = {**_BaseUvicornWorker.CONFIG_KWARGS, **SERVER_OPTIONS}
