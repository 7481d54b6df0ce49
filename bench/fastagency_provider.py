"""FastAgency 0.10.2's ``FastAPIProvider`` as a benchmark client, driven over stdin/stdout.

Runs in the FastAgency venv and imports nothing of agentjobs. Each stdin line is a JSON
command ``{"url", "name", "params", "runs"}``; it runs that many runs one after another, as
FastAgency's UI does, and answers with one JSON line: per run, milliseconds from calling
``run`` to the first message the UI was shown and to ``workflow_completed``, and the CPU this
process spent. EOF ends it.
"""

import contextlib
import json
import sys
import time
import uuid
from typing import Any

from fastagency.adapters.fastapi import FastAPIProvider
from fastagency.base import CreateWorkflowUIMixin
from fastagency.messages import IOMessage, MessageProcessorMixin, WorkflowCompleted


class TimingUI(MessageProcessorMixin, CreateWorkflowUIMixin):  # type: ignore[misc]  # other venv
    """Notes when the first message and the completion arrive; answers nothing."""

    def __init__(self) -> None:
        self.began = 0.0
        self.first: float | None = None
        self.done: float | None = None

    def visit_default(self, message: IOMessage) -> str | None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        if isinstance(message, WorkflowCompleted):
            self.done = now
        return None


def one_run(provider: FastAPIProvider, name: str, params: dict[str, Any]) -> tuple[float, float]:
    """(first message ms, completed ms) of one run; NaN where it never came."""
    ui = TimingUI()
    ui.began = time.perf_counter()
    # Every run ends in an exception: the server closes (or drops) the socket under the client.
    with contextlib.suppress(Exception):
        provider.run(name=name, ui=ui.create_workflow_ui(uuid.uuid4().hex), **params)
    first = float("nan") if ui.first is None else (ui.first - ui.began) * 1000
    done = float("nan") if ui.done is None else (ui.done - ui.began) * 1000
    return first, done


def main() -> None:
    for line in sys.stdin:
        command = json.loads(line)
        provider = FastAPIProvider(fastapi_url=command["url"])
        firsts, dones = [], []
        began = time.perf_counter()
        for _ in range(command["runs"]):
            first, done = one_run(provider, command["name"], command["params"])
            firsts.append(first)
            dones.append(done)
        seconds = time.perf_counter() - began
        out = {"first_ms": firsts, "done_ms": dones, "seconds": seconds}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
