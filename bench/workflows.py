"""The benchmarks' workflow registry: the test suite's workflows, a gated broadcast, and the
FastAgency comparison's plain run of text messages."""

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


class TextMessagesParams(BaseModel):
    """How many text messages the run sends."""

    count: int = Field(default=20, ge=0, le=100_000)


@registry.register(
    name="bench_text_messages",
    description="Sends `count` text messages, then ends",
    params=TextMessagesParams,
)
async def bench_text_messages(ui: JobUI, params: TextMessagesParams) -> str:
    # The same workflow bench/fastagency_app.py gives FastAgency's adapter, message for message.
    for number in range(params.count):
        await ui.text_message(f"message {number}", sender="bench", recipient="User")
    return str(params.count)


@registry.register(
    name="bench_stream",
    description="Waits for 'go', then streams tokens w0 w1 ... at a pace, then the message",
    params=BroadcastParams,
)
async def bench_stream(ui: JobUI, params: BroadcastParams) -> int:
    # Gated like bench_broadcast: the page is attached and live before the first token.
    await ui.text_input("go?")
    tokens = [f"w{number} " for number in range(params.count)]
    for token in tokens:
        await ui.stream_chunk(token, sender="Streamer")
        if params.pause_ms:
            await asyncio.sleep(params.pause_ms / 1000)
    await ui.text_message("".join(tokens), sender="Streamer")
    return params.count
