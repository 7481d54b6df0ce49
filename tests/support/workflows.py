"""The suite's workflow registry: the examples plus small workflows that exercise edge cases."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

from pydantic import BaseModel, Field

from agentjobs.examples.learning_chat import LearningParams, learning_chat
from agentjobs.examples.registry import registry as examples
from agentjobs.ui import JobUI
from agentjobs.workflows import Workflows
from tests.support import human_workflows, model_workflows

registry = Workflows()
registry.include(examples)
registry.include(human_workflows.registry)
registry.include(model_workflows.registry)


@registry.register(name="secret_echo", description="Asks for a password and reports its length")
async def secret_echo(ui: JobUI, _params: BaseModel) -> str:
    token = await ui.text_input("Your API token?", password=True)
    return f"got a token of {len(token)} characters"


@registry.register(name="failing", description="Raises after one message")
async def failing(ui: JobUI, _params: BaseModel) -> str:
    await ui.text_message("about to fail")
    raise ValueError("the workflow broke on purpose")


class ChattyParams(BaseModel):
    """How many messages to send, the pause between them, and their size (padded)."""

    count: int = Field(default=3, ge=0, le=100_000)
    pause_ms: int = Field(default=0, ge=0, le=60_000)
    size: int = Field(default=0, ge=0, le=64 * 1024)


@registry.register(name="chatty", description="Sends messages, no model", params=ChattyParams)
async def chatty(ui: JobUI, params: ChattyParams) -> int:
    for number in range(params.count):
        await ui.text_message(f"message {number}".ljust(params.size, "."))
        if params.pause_ms:
            await asyncio.sleep(params.pause_ms / 1000)
    return params.count


@registry.register(name="impatient", description="Asks with a short per-request timeout")
async def impatient(ui: JobUI, _params: BaseModel) -> str:
    return await ui.text_input("Quick, your answer?", timeout=0.5)


@registry.register(
    name="hasty", description="A workflow whose questions time out fast", input_timeout=0.5
)
async def hasty(ui: JobUI, _params: BaseModel) -> str:
    return await ui.text_input("Answer within half a second")


@registry.register(name="slowpoke", description="Runs past its time limit", time_limit=0.5)
async def slowpoke(ui: JobUI, _params: BaseModel) -> str:
    await ui.text_message("starting a long task")
    await asyncio.sleep(30)
    return "never"


@registry.register(name="whoami", description="Returns the id of the user who started the job")
async def whoami(ui: JobUI, _params: BaseModel) -> str:
    return ui.user


@registry.register(name="pick_many", description="Asks for several choices and returns them")
async def pick_many(ui: JobUI, _params: BaseModel) -> list[str]:
    picked = await ui.multiple_choice("Which toppings?", ["cheese", "ham", "olives"], single=False)
    return picked if isinstance(picked, list) else [picked]


registry.register(
    name="learning_chat_resumable",
    description="The learning chat, resumed on another worker if its worker dies",
    params=LearningParams,
    on_worker_lost="resume",
)(learning_chat)


@registry.register(name="diverging", description="Asks a question whose wording is random")
async def diverging(ui: JobUI, _params: BaseModel) -> str:
    # Not journaled on purpose: a replay asks a different question than the one answered.
    mood = random.choice(["calm", "curious", "cheerful", "sleepy", "bold", "shy"])
    return await ui.text_input(f"How are you, {mood} human? ({random.random()})")


class ToolParams(BaseModel):
    """How long the tool works."""

    seconds: float = Field(default=2.0, ge=0, le=60)


def _slow_step(ui: JobUI, *, idempotent: bool) -> Callable[[float], Awaitable[str]]:
    async def slow_step(seconds: float) -> str:
        await ui.progress("the tool is working", 0.5)
        await asyncio.sleep(seconds)
        return f"worked {seconds:g} s"

    return ui.tool(slow_step, idempotent=idempotent)


@registry.register(
    name="fragile_tool",
    description="Runs a tool that must not run twice",
    params=ToolParams,
    on_worker_lost="resume",
)
async def fragile_tool(ui: JobUI, params: ToolParams) -> str:
    return await _slow_step(ui, idempotent=False)(params.seconds)


@registry.register(
    name="idempotent_tool",
    description="Runs a tool that may safely run again",
    params=ToolParams,
    on_worker_lost="resume",
)
async def idempotent_tool(ui: JobUI, params: ToolParams) -> str:
    return await _slow_step(ui, idempotent=True)(params.seconds)


class StreamParams(BaseModel):
    """How many chunks the answer streams, and after how many it stops to ask (0: never)."""

    chunks: int = Field(default=2000, ge=1, le=100_000)
    ask_after: int = Field(default=0, ge=0)


@registry.register(
    name="streamer", description="Streams a long answer chunk by chunk", params=StreamParams
)
async def streamer(ui: JobUI, params: StreamParams) -> int:
    # The pause lets a test watch the job mid-stream, with a question logged between chunks.
    parts = [f"t{n} " for n in range(params.chunks)]
    for n, part in enumerate(parts):
        if n == params.ask_after and n:
            await ui.text_input("Go on?")
        await ui.stream_chunk(part, sender="Writer")
    await ui.text_message("".join(parts), sender="Writer")
    return params.chunks
