"""The example workflows run end to end on their scripted models and produce every event type."""

from __future__ import annotations

from typing import Any

import pytest

from agentjobs.agentchat import models
from agentjobs.examples.learning_chat import LearningParams, learning_chat
from agentjobs.examples.registry import registry
from agentjobs.examples.trip_planner import TripParams, get_weather, trip_planner
from agentjobs.protocol import InputRequest
from tests.support.memory_sink import MemorySink, memory_ui
from worker.settings import WorkerSettings


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # The examples read the process settings; a key in the environment must not reach a network.
    settings = WorkerSettings(openai_api_key=None, _env_file=None)
    monkeypatch.setattr(models, "get_model_settings", lambda: settings)


def _compact(sink: MemorySink) -> list[tuple[str, Any]]:
    """(type, sender) per event, with runs of stream chunks folded into one entry."""
    out: list[tuple[str, Any]] = []
    for event in sink.events:
        entry = (event.type, getattr(event, "sender", None))
        if entry[0] == "stream_chunk" and out and out[-1] == entry:
            continue
        out.append(entry)
    return out


async def test_learning_chat_relays_a_streamed_lesson_on_the_chosen_topic() -> None:
    def topic(request: InputRequest) -> str:
        assert request.type == "text_input"
        assert "Pythagorean theorem" in request.suggestions
        return "fractions"

    sink = MemorySink([topic])

    summary = await learning_chat(memory_ui(sink), LearningParams(turns=4))

    assert _compact(sink) == [
        ("text_message", "agentjobs"),
        ("text_input", "workflow"),
        ("input_received", None),
        ("text_message", "Student"),
        ("stream_chunk", "Teacher"),
        ("text_message", "Teacher"),
        ("text_message", "Student"),
        ("stream_chunk", "Teacher"),
        ("text_message", "Teacher"),
    ]
    messages = sink.of_type("text_message")
    assert "offline" in messages[0].content
    assert "fractions" in messages[1].content
    assert not any(m.sender == "user" or "Student, ask" in m.content for m in messages)
    # The streamed chunks add up to the Teacher's first message.
    first_teacher = next(i for i, e in enumerate(sink.events) if e.type == "stream_chunk")
    chunks = []
    for event in sink.events[first_teacher:]:
        if event.type != "stream_chunk":
            break
        chunks.append(event.content)
    assert "".join(chunks) == next(m.content for m in messages if m.sender == "Teacher")
    assert "fractions" in summary
    assert "4 messages" in summary
    assert messages[-1].content[:40] in summary


async def test_learning_chat_runs_as_many_turns_as_asked() -> None:
    sink = MemorySink(["prime numbers"])

    summary = await learning_chat(memory_ui(sink), LearningParams(turns=10))

    senders = [m.sender for m in sink.of_type("text_message")][1:]
    assert senders == ["Student", "Teacher"] * 5
    assert "10 messages about prime numbers" in summary


async def test_trip_planner_uses_every_kind_of_event() -> None:
    asked: list[InputRequest] = []

    def destination(request: InputRequest) -> str:
        asked.append(request)
        assert request.type == "multiple_choice"
        assert request.default == "Paris"
        return "Lisbon"

    def feedback(request: InputRequest) -> str:
        asked.append(request)
        return "Looks great, thanks!"

    sink = MemorySink([destination, feedback])

    summary = await trip_planner(memory_ui(sink), TripParams(days=2))

    assert _compact(sink) == [
        ("text_message", "agentjobs"),
        ("progress", None),
        ("multiple_choice", "workflow"),
        ("input_received", None),
        ("progress", None),
        ("tool_call", "Planner"),
        ("tool_result", "Planner"),
        ("text_message", "Planner"),
        ("text_input", "Traveler"),
        ("input_received", None),
        ("progress", None),
    ]
    assert [p.fraction for p in sink.of_type("progress")] == [0.1, 0.4, 1.0]
    [call] = sink.of_type("tool_call")
    [result] = sink.of_type("tool_result")
    assert (call.function_name, result.function_name) == ("get_weather", "get_weather")
    assert call.call_id == result.call_id
    assert "Lisbon" in call.arguments
    assert "Lisbon" in result.content
    assert not result.is_error
    assert result.content == await get_weather("Lisbon")
    plan = sink.of_type("text_message")[1].content
    assert "Lisbon" in plan
    assert "Day 2" in plan
    assert "Day 3" not in plan
    assert (asked[1].sender, asked[1].prompt) == ("Traveler", plan.splitlines()[-1])
    assert sink.of_type("input_received")[-1].value == "Looks great, thanks!"
    assert "Lisbon" in summary
    assert "2-day" in summary
    assert "Looks great" in summary


async def test_get_weather_is_stable_and_differs_between_cities() -> None:
    assert await get_weather("Tokyo") == await get_weather("Tokyo")
    assert await get_weather("Tokyo") != await get_weather("Paris")


def test_the_registry_serves_both_examples_with_their_params() -> None:
    assert [w.name for w in registry] == ["learning_chat", "trip_planner"]
    learning = registry.get("learning_chat")
    trip = registry.get("trip_planner")
    assert learning is not None
    assert trip is not None
    assert (learning.func, learning.params) == (learning_chat, LearningParams)
    assert (trip.func, trip.params) == (trip_planner, TripParams)
    turns = learning.info().params_schema["properties"]["turns"]
    assert (turns["default"], turns["minimum"], turns["maximum"]) == (4, 2, 10)
    assert trip.info().params_schema["properties"]["days"]["default"] == 3
    assert "Teacher" in learning.description
