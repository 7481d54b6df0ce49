"""Workflows the ``agentjobs.testing`` tests run: every way a run can end."""

from __future__ import annotations

import asyncio
from typing import Any

from autogen_agentchat.agents import AssistantAgent, UserProxyAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from pydantic import BaseModel, ConfigDict, Field

from agentjobs.agentchat import models
from agentjobs.ui import JobUI
from agentjobs.workflows import Workflows

registry = Workflows()


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: int = Field(default=1, ge=1, le=5)


@registry.register(name="order", description="Asks a name and a drink", params=Order)
async def order(ui: JobUI, params: Order) -> dict[str, Any]:
    name = await ui.text_input("Your name?")
    drink = await ui.multiple_choice("Which drink?", ["tea", "coffee"], default="tea")
    extras = await ui.multiple_choice("Extras?", ["milk", "sugar", "lemon"], single=False)
    await ui.progress("ordered", 1.0)
    return {"name": name, "drink": drink, "extras": extras, "size": params.size}


@registry.register(name="boom", description="Fails after saying something")
async def boom(ui: JobUI, params: Any) -> None:
    await ui.text_message("about to fail")
    raise ValueError("the oven is on fire")


@registry.register(name="slow", description="Takes its time", time_limit=0.2)
async def slow(ui: JobUI, params: Any) -> str:
    await asyncio.sleep(30)
    return "too late"


class Room:
    """Not JSON: a worker cannot journal it."""


def book_room() -> Room:
    return Room()


@registry.register(name="bad_tool", description="Its tool returns what JSON cannot carry")
async def bad_tool(ui: JobUI, params: Any) -> str:
    await ui.tool(book_room)()
    return "booked"


waiting: dict[str, Any] = {}


@registry.register(name="wait_forever", description="Waits until cancelled")
async def wait_forever(ui: JobUI, params: Any) -> None:
    waiting["started"].set()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        waiting["cancelled"] = True
        raise


@registry.register(name="odd_result", description="Returns what JSON cannot carry as is")
async def odd_result(ui: JobUI, params: Any) -> Any:
    return {"pair": (1, 2), "when": object}


@registry.register(name="chat", description="An assistant talks with the job's human")
async def chat(ui: JobUI, params: Any) -> str:
    client = models.chat_client(["Hello! What brings you here?"])
    assistant = AssistantAgent("Assistant", model_client=client)
    team = RoundRobinGroupChat(
        [assistant, UserProxyAgent("Human")], termination_condition=MaxMessageTermination(3)
    )
    result = await ui.run_team(team, "Greet the human.")
    return f"{type(client).__name__}: {result.messages[-1].to_text()}"
