"""The benchmarks' workflow registry: the test suite's workflows plus a gated broadcast."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field

from agentjobs.ui import JobUI
from agentjobs.workflows import Workflows
from tests.support.workflows import registry as suite

registry = Workflows()
registry.include(suite)


class BroadcastParams(BaseModel):
    """How many messages to send once told to go, and the pause between them."""

    count: int = Field(default=10, ge=0, le=100_000)
    pause_ms: int = Field(default=0, ge=0, le=60_000)


@registry.register(
    name="bench_broadcast",
    description="Waits for 'go', then sends messages (watchers connect first: no replay)",
    params=BroadcastParams,
)
async def bench_broadcast(ui: JobUI, params: BroadcastParams) -> int:
    # The question is the gate: every watcher is connected and live before the first message,
    # so each measured delivery is a live relay, never a replay from the log.
    await ui.text_input("go?")
    for number in range(params.count):
        await ui.text_message(f"message {number}")
        if params.pause_ms:
            await asyncio.sleep(params.pause_ms / 1000)
    return params.count
