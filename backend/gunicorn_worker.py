"""Uvicorn server options of the API, and the gunicorn worker class that applies them.

Several API processes: ``gunicorn backend.main:app -k backend.gunicorn_worker.UvicornWorker``.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker as _BaseUvicornWorker

from backend.settings import ApiSettings, get_api_settings


def server_options(settings: ApiSettings) -> dict[str, Any]:
    """Uvicorn's options for the API.

    No per-message deflate on WebSockets: events are small JSON, and compressing each one once
    per socket cost 13% of the API's CPU in the fan-out benchmark and ~32 KiB of zlib state per
    socket (docs/benchmarks.md). ``ws_max_size`` follows the frame limit: uvicorn's default
    (16 MiB) let every socket buffer a whole oversized frame before the limit was checked (30
    sockets sending 16 MiB each took the API from 80 to 988 MB). Twice the limit, so a frame
    just over it still reaches the socket, which refuses it its own way (a FastAgency socket
    answers with an error and stays open); past that the WebSocket library closes with 1009
    while reading, having buffered at most this much.
    """
    return {"ws_per_message_deflate": False, "ws_max_size": 2 * settings.max_frame_bytes}


class UvicornWorker(_BaseUvicornWorker):  # type: ignore[misc]  # untyped base
    """``uvicorn_worker.UvicornWorker`` with the API's ``server_options``."""

    CONFIG_KWARGS = {**_BaseUvicornWorker.CONFIG_KWARGS, **server_options(get_api_settings())}
