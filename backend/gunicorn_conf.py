"""Gunicorn hooks for several API processes: their Prometheus metrics add up in one directory.

Use with ``gunicorn backend.main:app -c python:backend.gunicorn_conf`` and
``PROMETHEUS_MULTIPROC_DIR`` set in the environment (prometheus_client reads it at import).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

from backend.settings import get_api_settings


def on_starting(_server: Any) -> None:
    """Start from an empty metrics directory: files of a previous run would be added in."""
    directory = get_api_settings().prometheus_multiproc_dir
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True, exist_ok=True)


def child_exit(_server: Any, worker: Any) -> None:
    """Drop a dead process's live gauges (open WebSockets) from the sums."""
    directory = get_api_settings().prometheus_multiproc_dir
    if directory:
        multiprocess.mark_process_dead(worker.pid, directory)  # type: ignore[no-untyped-call]
