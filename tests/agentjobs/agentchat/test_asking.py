"""A team's ``UserProxyAgent`` asks after everything said before its turn, with the question
the conversation asks (or the workflow's), and its answer shows once."""

from __future__ import annotations

import asyncio

import pytest
from autogen_agentchat.agents import AssistantAgent, UserProxyAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat

from agentjobs.agentchat import bridge
from agentjobs.agentchat.asking import QUESTION_LIMIT
from agentjobs.agentchat.models import chat_client, scripted_tool_call
from agentjobs.examples.trip_planner import TripParams, trip_planner
from agentjobs.protocol import Event
from agentjobs.ui import EmitKind
from tests.support.memory_sink import MemorySink, memory_ui
from worker.settings import WorkerSettings

OFFLINE = WorkerSettings(openai_api_key=None, _env_file=None)
PLAN = "Day 1: the old town.\nDay 2: the museum.\nDoes this look good?"


class LaggingSink(MemorySink):
    """Takes a few turns of the event loop per event, as a write to Redis does: the team runs
    ahead of the relay meanwhile (with an instant sink the question could never overtake)."""

    async def emit(self, event: Event, kind: EmitKind = "plain") -> str:
        for _ in range(5):
            await asyncio.sleep(0)
        return await super().emit(event, kind)


def _planner_and_traveler(plan: str = PLAN) -> RoundRobinGroupChat:
    async def get_weather(city: str) -> str:
        """Today's weather."""
        return f"{city}: sunny"

    planner = AssistantAgent(
        "Planner",
        model_client=chat_client(
            [scripted_tool_call("c1", "get_weather", {"city": "Oslo"}), plan],
            settings=OFFLINE,
            function_calling=True,
        ),
        tools=[get_weather],
        reflect_on_tool_use=True,
    )
    traveler = UserProxyAgent("Traveler")
    return RoundRobinGroupChat([planner, traveler], termination_condition=MaxMessageTermination(3))


async def test_the_question_comes_after_the_tool_result_and_the_plan_it_is_about() -> None:
    for run in range(10):
        sink = LaggingSink([f"fine {run}"])

        await bridge.run_team(memory_ui(sink), _planner_and_traveler(), "Plan Oslo.")

        assert sink.types == [
            "tool_call",
            "tool_result",
            "text_message",
            "text_input",
            "input_received",
        ], run
        [question] = sink.of_type("text_input")
        assert (question.sender, question.prompt) == ("Traveler", "Does this look good?")


async def test_the_question_is_the_last_line_of_what_was_said_cut_to_a_limit() -> None:
    sink = MemorySink(["ok"])
    long_line = "Shall we " + "really " * 200 + "go?"

    await bridge.run_team(memory_ui(sink), _planner_and_traveler(f"Plan.\n\n{long_line}\n"), "Go.")

    [question] = sink.of_type("text_input")
    assert question.prompt == long_line[:QUESTION_LIMIT]


async def test_a_prompt_the_workflow_gives_is_the_question() -> None:
    sink = MemorySink(["yes"])
    prompts = {"Traveler": "What do you think of the plan?"}

    await bridge.run_team(memory_ui(sink), _planner_and_traveler(), "Plan.", prompts=prompts)

    assert [q.prompt for q in sink.of_type("text_input")] == ["What do you think of the plan?"]


async def test_a_proxy_in_a_second_run_asks_through_that_run() -> None:
    traveler = UserProxyAgent("Traveler")
    for run, answer in enumerate(["first", "second"]):
        sink = MemorySink([answer])
        assistant = AssistantAgent(
            "Assistant", model_client=chat_client([f"Question {run}?"], settings=OFFLINE)
        )
        team = RoundRobinGroupChat(
            [assistant, traveler], termination_condition=MaxMessageTermination(3)
        )

        result = await bridge.run_team(memory_ui(sink), team, "Ask.")

        assert [q.prompt for q in sink.of_type("text_input")] == [f"Question {run}?"]
        assert result.messages[-1].to_text() == answer


async def test_an_agent_repeating_the_answer_is_still_shown() -> None:
    # Only the proxy's own message is the echo of its answer: the same words from another
    # agent afterwards are that agent's.
    sink = MemorySink(["ok"])
    assistant = AssistantAgent(
        "Assistant", model_client=chat_client(["Say ok?", "ok"], settings=OFFLINE)
    )
    human = UserProxyAgent("Human")
    team = RoundRobinGroupChat([assistant, human], termination_condition=MaxMessageTermination(4))

    await bridge.run_team(memory_ui(sink), team, "Talk.")

    said = [(m.sender, m.content) for m in sink.of_type("text_message")]
    assert said == [("Assistant", "Say ok?"), ("Assistant", "ok")]
    assert sink.types == ["text_message", "text_input", "input_received", "text_message"]


async def test_the_trip_planner_transcript_is_in_order_with_the_planner_s_question() -> None:
    for run in range(5):
        sink = LaggingSink(["Tokyo", "Lovely"])

        await trip_planner(memory_ui(sink), TripParams(days=2))

        compact = [(e.type, getattr(e, "sender", None)) for e in sink.events]
        assert compact[-6:] == [
            ("tool_call", "Planner"),
            ("tool_result", "Planner"),
            ("text_message", "Planner"),
            ("text_input", "Traveler"),
            ("input_received", None),
            ("progress", None),
        ], run
        plan = sink.of_type("text_message")[-1].content
        [question] = sink.of_type("text_input")
        assert question.prompt == plan.splitlines()[-1]


async def test_a_question_that_cannot_be_logged_fails_the_team_instead_of_hanging() -> None:
    class RefusesQuestions(LaggingSink):
        async def emit(self, event: Event, kind: EmitKind = "plain") -> str:
            if event.type == "text_input":
                raise ConnectionError("redis went away")
            return await super().emit(event, kind)

    sink = RefusesQuestions()
    with pytest.raises(RuntimeError, match="redis went away"):
        await asyncio.wait_for(bridge.run_team(memory_ui(sink), _planner_and_traveler(), "Go."), 5)
    assert sink.types == ["tool_call", "tool_result", "text_message"]
