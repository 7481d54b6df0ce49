"""The agentchat bridge relays what agents and teams do as job events, and cancels cleanly."""

from __future__ import annotations

import asyncio

import pytest
from autogen_agentchat.agents import AssistantAgent, UserProxyAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.messages import HandoffMessage
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core import CancellationToken
from autogen_core.models import CreateResult, RequestUsage
from autogen_ext.models.openai import OpenAIChatCompletionClient
from autogen_ext.models.replay import ReplayChatCompletionClient

from agentjobs.agentchat import bridge
from agentjobs.agentchat.models import chat_client, is_offline, scripted_tool_call
from agentjobs.protocol import Event, InputRequest
from agentjobs.ui import EmitKind
from tests.support.memory_sink import MemorySink, memory_ui
from worker.settings import WorkerSettings

OFFLINE = WorkerSettings(openai_api_key=None, _env_file=None)


def _team_with_human(reply: str = "Hello, human.") -> RoundRobinGroupChat:
    assistant = AssistantAgent("Assistant", model_client=chat_client([reply], settings=OFFLINE))
    human = UserProxyAgent("Human")
    return RoundRobinGroupChat([assistant, human], termination_condition=MaxMessageTermination(3))


async def test_run_agent_streams_chunks_then_the_message_without_echoing_the_task() -> None:
    sink = MemorySink()
    agent = AssistantAgent(
        "Teacher",
        model_client=chat_client(["Two plus two is four."], settings=OFFLINE),
        model_client_stream=True,
    )

    result = await bridge.run_agent(memory_ui(sink), agent, "What is 2 + 2?")

    chunks = sink.of_type("stream_chunk")
    assert len(chunks) > 1
    assert {c.sender for c in chunks} == {"Teacher"}
    assert "".join(c.content for c in chunks) == "Two plus two is four."
    assert sink.types == ["stream_chunk"] * len(chunks) + ["text_message"]
    [message] = sink.of_type("text_message")
    assert (message.sender, message.content) == ("Teacher", "Two plus two is four.")
    assert [m.to_text() for m in result.messages if m.source == "Teacher"][-1] == message.content
    assert all(m.source != "user" for m in result.messages)


async def test_tool_calls_and_results_are_relayed_one_per_call() -> None:
    async def add(a: int, b: int) -> str:
        """Add two numbers."""
        return str(a + b)

    async def explode(reason: str) -> str:
        """Always fails."""
        raise ValueError(reason)

    both = CreateResult(
        finish_reason="function_calls",
        content=[
            *scripted_tool_call("c1", "add", {"a": 2, "b": 3}).content,
            *scripted_tool_call("c2", "explode", {"reason": "boom"}).content,
        ],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )
    agent = AssistantAgent(
        "Calc",
        model_client=chat_client([both], settings=OFFLINE, function_calling=True),
        tools=[add, explode],
    )
    sink = MemorySink()

    await bridge.run_agent(memory_ui(sink), agent, "Add 2 and 3, then explode.")

    assert sink.types == ["tool_call", "tool_call", "tool_result", "tool_result", "text_message"]
    calls = sink.of_type("tool_call")
    assert [(c.sender, c.call_id, c.function_name) for c in calls] == [
        ("Calc", "c1", "add"),
        ("Calc", "c2", "explode"),
    ]
    assert calls[0].arguments == '{"a": 2, "b": 3}'
    results = {r.call_id: r for r in sink.of_type("tool_result")}
    assert (results["c1"].function_name, results["c1"].content, results["c1"].is_error) == (
        "add",
        "5",
        False,
    )
    assert results["c2"].is_error is True
    assert "boom" in results["c2"].content
    # Without reflection the agent answers with a ToolCallSummaryMessage: shown as text.
    [summary] = sink.of_type("text_message")
    assert summary.sender == "Calc"
    assert "5" in summary.content


async def test_user_proxy_in_a_team_asks_the_job_human() -> None:
    seen: list[InputRequest] = []

    def answer(request: InputRequest) -> str:
        seen.append(request)
        return "Hello back!"

    sink = MemorySink([answer])
    result = await bridge.run_team(memory_ui(sink), _team_with_human(), "Say hello.")

    # The answer shows once, as the request's input_received (not again as Human's message).
    assert sink.types == ["text_message", "text_input", "input_received"]
    assert [(r.sender, r.prompt) for r in seen] == [("Human", "Hello, human.")]
    said = [(m.sender, m.content) for m in sink.of_type("text_message")]
    assert said == [("Assistant", "Hello, human.")]
    assert sink.of_type("input_received")[0].value == "Hello back!"
    assert result.messages[-1].to_text() == "Hello back!"
    assert result.stop_reason is not None
    assert "Maximum number of messages" in result.stop_reason


async def test_run_agent_on_a_user_proxy_asks_the_job_human() -> None:
    sink = MemorySink(["fine, thanks"])
    result = await bridge.run_agent(memory_ui(sink), UserProxyAgent("Visitor"), "How are you?")

    assert [(r.sender, r.prompt) for r in sink.of_type("text_input")] == [
        ("Visitor", "How are you?")
    ]
    assert sink.types == ["text_input", "input_received"]
    assert result.messages[-1].to_text() == "fine, thanks"


async def test_an_input_func_the_author_chose_is_kept() -> None:
    async def approve(prompt: str, cancellation_token: CancellationToken | None) -> str:
        return "approved"

    sink = MemorySink()
    assistant = AssistantAgent("Assistant", model_client=chat_client(["Deploy?"], settings=OFFLINE))
    reviewer = UserProxyAgent("Reviewer", input_func=approve)
    team = RoundRobinGroupChat(
        [assistant, reviewer], termination_condition=MaxMessageTermination(3)
    )

    await bridge.run_team(memory_ui(sink), team, "Ask for approval.")

    assert "text_input" not in sink.types
    assert sink.of_type("text_message")[-1].content == "approved"


async def test_input_func_for_asks_with_the_given_sender() -> None:
    sink = MemorySink(["blue"])
    ask = bridge.input_func_for(memory_ui(sink), "Painter")

    assert await ask("Which colour? ", CancellationToken()) == "blue"
    [request] = sink.of_type("text_input")
    assert (request.sender, request.prompt) == ("Painter", "Which colour?")


async def test_cancelling_a_team_waiting_for_a_human_ends_promptly() -> None:
    sink = MemorySink()  # no scripted answer: the Human waits until cancelled
    running = asyncio.create_task(bridge.run_team(memory_ui(sink), _team_with_human(), "Hi."))
    request = await sink.next_waiting()
    assert request.sender == "Human"

    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 5)
    assert sink.abandoned == [request.request_id]


async def test_a_failing_sink_stops_the_team_instead_of_hanging() -> None:
    class FailsOnAssistant(MemorySink):
        async def emit(self, event: Event, kind: EmitKind = "plain") -> str:
            if event.type == "text_message" and event.sender == "Assistant":
                raise ConnectionError("redis went away")
            return await super().emit(event, kind)

    # Human is asked right after Assistant spoke, so the team is blocked on a human
    # when the relay fails; the relay must cancel it before closing the stream.
    sink = FailsOnAssistant()
    with pytest.raises(ConnectionError):
        await asyncio.wait_for(bridge.run_team(memory_ui(sink), _team_with_human(), "Hi."), 5)


async def test_an_agent_error_propagates() -> None:
    agent = AssistantAgent("Mute", model_client=chat_client([], settings=OFFLINE))
    with pytest.raises(ValueError, match="No more mock responses"):
        await asyncio.wait_for(bridge.run_agent(memory_ui(MemorySink()), agent, "Speak."), 5)


async def test_a_handoff_is_shown_as_a_message_to_its_target() -> None:
    sink = MemorySink()
    handoff = HandoffMessage(source="Triage", target="Billing", content="Over to Billing.")

    await bridge._show(memory_ui(sink), handoff)

    [message] = sink.of_type("text_message")
    assert (message.sender, message.recipient, message.content) == (
        "Triage",
        "Billing",
        "Over to Billing.",
    )


def test_chat_client_is_openai_with_a_key_and_scripted_without() -> None:
    online = WorkerSettings(
        openai_api_key="x", openai_base_url="http://127.0.0.1:9/v1", _env_file=None
    )

    client = chat_client(["unused"], settings=online)

    assert isinstance(client, OpenAIChatCompletionClient)
    assert client.model_info["function_calling"] is True
    assert not is_offline(online)
    assert is_offline(OFFLINE)
    offline = chat_client(["hi"], settings=OFFLINE, function_calling=True)
    assert isinstance(offline, ReplayChatCompletionClient)
    assert offline.model_info["function_calling"] is True
    assert chat_client(["hi"], settings=OFFLINE).model_info["function_calling"] is False


def test_scripted_tool_call_is_a_function_call_result() -> None:
    result = scripted_tool_call("call_9", "get_weather", {"city": "Oslo"})

    assert result.finish_reason == "function_calls"
    assert not result.cached
    assert isinstance(result.content, list)
    [call] = result.content
    assert (call.id, call.name, call.arguments) == ("call_9", "get_weather", '{"city": "Oslo"}')
