"""agentjobs: serve multi-agent AutoGen workflows as jobs (REST + WebSocket API, Celery workers).

The names users need are importable from here; each is loaded on first use, so
``import agentjobs`` stays cheap (no AutoGen, httpx or Celery until a name asks for it)::

    from agentjobs import Workflows, JobUI, chat_client, FastAPIProvider, ApiError
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentjobs.agentchat.models import chat_client
    from agentjobs.client import ApiError, ApiUnreachable, FastAPIProvider, SyncProvider
    from agentjobs.ui import JobUI
    from agentjobs.workflows import NoParams, Workflow, Workflows

try:
    __version__ = version("agentjobs")
except PackageNotFoundError:  # a source tree on sys.path without an install
    __version__ = "0+unknown"

_LAZY = {
    "Workflows": "agentjobs.workflows",
    "Workflow": "agentjobs.workflows",
    "NoParams": "agentjobs.workflows",
    "JobUI": "agentjobs.ui",
    "chat_client": "agentjobs.agentchat.models",
    "FastAPIProvider": "agentjobs.client",
    "SyncProvider": "agentjobs.client",
    "ApiError": "agentjobs.client",
    "ApiUnreachable": "agentjobs.client",
}

__all__ = [
    "ApiError",
    "ApiUnreachable",
    "FastAPIProvider",
    "JobUI",
    "NoParams",
    "SyncProvider",
    "Workflow",
    "Workflows",
    "__version__",
    "chat_client",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentjobs' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
