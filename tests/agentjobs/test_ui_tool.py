"""``ui.tool`` wrappers keep the tool's own types for agent frameworks, and journal results."""

from __future__ import annotations

from autogen_core import CancellationToken
from autogen_core.tools import FunctionTool
from pydantic import BaseModel

from tests.support.memory_sink import MemorySink, memory_ui


class Trip(BaseModel):
    """Known only in this module: ``from __future__`` leaves annotations as strings."""

    city: str
    days: int


calls: list[Trip] = []


async def plan(trip: Trip, budget: float) -> str:
    """Plan a trip."""
    calls.append(trip)
    return f"{trip.city}: {trip.days} days for {budget:g}"


async def test_a_wrapped_tool_keeps_its_schema_and_runs_through_autogen() -> None:
    ui = memory_ui(MemorySink())
    tool = FunctionTool(ui.tool(plan), description="Plan a trip.")
    schema = tool.schema["parameters"]
    assert schema["required"] == ["trip", "budget"]
    assert schema["properties"]["budget"]["type"] == "number"
    assert schema["properties"]["trip"]["required"] == ["city", "days"]
    result = await tool.run_json(
        {"trip": {"city": "Lisbon", "days": 3}, "budget": 900}, CancellationToken()
    )
    assert result == "Lisbon: 3 days for 900"
    assert calls == [Trip(city="Lisbon", days=3)]
