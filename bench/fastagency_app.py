"""FastAgency 0.10.2's own server for the comparison: ``FastAPIAdapter`` over its ``Workflow``.

Runs in the FastAgency venv (``bench/fastagency_servers.py``), so it imports FastAgency and
nothing of agentjobs. Its workflow is the one agentjobs serves from ``bench/workflows.py``:
``bench_text_messages`` sends ``count`` text messages and returns how many it sent. It is
synchronous, as FastAgency workflows are (the adapter runs each in a worker thread).
"""

from typing import Any

from fastagency.adapters.fastapi import FastAPIAdapter
from fastagency.base import UI
from fastagency.runtimes.ag2 import Workflow
from fastapi import FastAPI

wf = Workflow()


@wf.register(  # type: ignore[untyped-decorator]  # FastAgency lives in another venv
    name="bench_text_messages", description="Sends `count` text messages, then ends"
)
def bench_text_messages(ui: UI, params: dict[str, Any]) -> str:
    count = int(params.get("count", 20))
    for number in range(count):
        ui.text_message(sender="bench", recipient="User", body=f"message {number}")
    return str(count)


adapter = FastAPIAdapter(provider=wf)
app = FastAPI()
app.include_router(adapter.router)
