"""``agentjobs ui``: the Mesop chat page under gunicorn, talking to ``AGENTJOBS_API_URL``."""

from __future__ import annotations

from typing import Annotated

import typer


def ui(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8888,
    workers: Annotated[int, typer.Option(help="gunicorn worker processes")] = 1,
    threads: Annotated[int, typer.Option(help="Threads per worker (pages served at once)")] = 32,
) -> None:
    """Serve the chat UI (gunicorn, threaded workers); it calls the API at AGENTJOBS_API_URL."""
    from frontend_mesop.server import serve

    serve(host=host, port=port, workers=workers, threads=threads)
