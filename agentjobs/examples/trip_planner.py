"""A Planner agent checks the weather with a tool and plans a trip the human then reviews."""

from __future__ import annotations

import zlib

from autogen_agentchat.agents import AssistantAgent, UserProxyAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.messages import BaseChatMessage
from autogen_agentchat.teams import RoundRobinGroupChat
from pydantic import BaseModel, ConfigDict, Field

from agentjobs.agentchat.models import (
    OFFLINE_NOTICE,
    chat_client,
    is_offline,
    scripted_tool_call,
)
from agentjobs.ui import JobUI

DESTINATIONS = ["Paris", "Tokyo", "Lisbon"]
_SKIES = ["sunny", "partly cloudy", "breezy", "light rain"]
_ACTIVITIES = [
    "walk the old town and find a bakery",
    "visit the main museum in the morning, then a long lunch",
    "take a day trip out of the city",
    "explore the markets and try the street food",
    "a slow day: a park, a bookshop and an early dinner",
]


class TripParams(BaseModel):
    """How long the trip is."""

    model_config = ConfigDict(extra="forbid")

    days: int = Field(default=3, ge=1, le=14, description="How many days the trip lasts.")


async def get_weather(city: str) -> str:
    """Today's weather forecast for a city."""
    # Made up but stable, so offline runs and tests see the same answer every time.
    seed = zlib.crc32(city.strip().lower().encode())
    return f"{city}: {_SKIES[seed % len(_SKIES)]}, {12 + seed % 15} °C"


async def trip_planner(ui: JobUI, params: TripParams) -> str:
    """Ask where to go, let the Planner check the weather and plan, then ask the traveler."""
    if is_offline():
        await ui.text_message(OFFLINE_NOTICE, sender="agentjobs")
    await ui.progress("Choosing a destination", 0.1)
    choice = await ui.multiple_choice("Where would you like to go?", DESTINATIONS, default="Paris")
    city = choice if isinstance(choice, str) else choice[0]
    await ui.progress(f"Planning {params.days} days in {city}", 0.4)

    # Built per run: the scripted client hands out each reply once. Its script is the tool
    # call and then the plan written after reading the tool's result (reflect_on_tool_use).
    planner = AssistantAgent(
        "Planner",
        model_client=chat_client(
            [
                scripted_tool_call("call_1", "get_weather", {"city": city}),
                _offline_plan(city, params.days),
            ],
            function_calling=True,
        ),
        # Journaled: a resumed run reuses the forecast instead of asking for it again.
        tools=[ui.tool(get_weather, idempotent=True)],
        reflect_on_tool_use=True,
        description="A travel planner.",
        system_message=(
            "You are a travel planner. Call get_weather for the destination first, then give "
            "a short day-by-day plan that suits the weather and ask the traveler what they think."
        ),
    )
    # The bridge makes this agent ask the job's human, not a console: after the plan is shown,
    # with the plan's closing question (give ``prompts={"Traveler": ...}`` to ask another).
    traveler = UserProxyAgent("Traveler", description="The human who is travelling.")
    # Three chat messages: the task, the Planner's plan, the Traveler's answer. Tool calls are
    # events and do not count, so the Planner calls, reflects, and the Traveler is asked once.
    team = RoundRobinGroupChat([planner, traveler], termination_condition=MaxMessageTermination(3))
    result = await ui.run_team(
        team, task=f"Plan a {params.days}-day trip to {city}. Check the weather there first."
    )
    await ui.progress("Done", 1.0)

    said = [m for m in result.messages if isinstance(m, BaseChatMessage)]
    feedback = [m.to_text() for m in said if m.source == "Traveler"]
    verdict = f" The traveler said: {feedback[-1][:200]}" if feedback else ""
    return f"Planned a {params.days}-day trip to {city}.{verdict}"


def _offline_plan(city: str, days: int) -> str:
    lines = [f"Here is a {days}-day plan for {city}, with the weather in mind:"]
    lines += [f"Day {n}: {_ACTIVITIES[(n - 1) % len(_ACTIVITIES)]}." for n in range(1, days + 1)]
    lines.append("Does this look good, or should I change anything?")
    return "\n".join(lines)
