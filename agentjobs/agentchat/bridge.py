"""Run autogen-agentchat teams and agents with everything they say relayed through a ``JobUI``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterator, Mapping
from typing import Any

from autogen_agentchat.agents import UserProxyAgent
from autogen_agentchat.base import ChatAgent, TaskResult, Team
from autogen_agentchat.messages import (
    BaseAgentEvent,
    BaseChatMessage,
    HandoffMessage,
    ModelClientStreamingChunkEvent,
    ToolCallExecutionEvent,
    ToolCallRequestEvent,
)
from autogen_core import CancellationToken

from agentjobs.agentchat.asking import HumanTurns, InputFunc
from agentjobs.ui import JobUI

__all__ = ["InputFunc", "input_func_for", "run_agent", "run_team"]

_Item = BaseAgentEvent | BaseChatMessage | TaskResult
_Runner = Team | ChatAgent


def input_func_for(ui: JobUI, sender: str) -> InputFunc:
    """An ``input_func`` for ``UserProxyAgent`` that asks the job's human through ``ui``.

    On its own it asks at once with the agent's prompt; ``run_team`` and ``run_agent`` install
    their own, which keep the transcript's order. The wait is linked to the agent's
    cancellation token: without that, cancelling a team blocked on a human never finishes.
    """

    async def ask(prompt: str, cancellation_token: CancellationToken | None) -> str:
        waiting = asyncio.ensure_future(
            ui.text_input(prompt.strip() or "Your reply", sender=sender)
        )
        if cancellation_token is not None:
            cancellation_token.link_future(waiting)
        return await waiting

    return ask


async def run_team(
    ui: JobUI, team: Team, task: str, *, prompts: Mapping[str, str] | None = None
) -> TaskResult:
    """Run ``team`` on ``task``, relaying its messages, tool calls and chunks; return its result.

    Every ``UserProxyAgent`` in the team that still reads the console asks through ``ui``
    instead: after everything the team said before its turn, with the question from
    ``prompts`` (by the proxy's name) or else the last line of the message it answers. Its
    answer shows once, as the request's ``input_received``. Cancelling the calling task
    cancels the team and waits for it to stop.
    """
    token = CancellationToken()
    turns = HumanTurns(ui, token, task=task, prompts=prompts or {})
    for agent in _user_proxies(team):
        turns.take_over(agent)
    return await _run(ui, team, task, turns, token)


async def run_agent(
    ui: JobUI, agent: ChatAgent, task: str, *, prompts: Mapping[str, str] | None = None
) -> TaskResult:
    """Run one agent on ``task`` like ``run_team`` does a team (a lone proxy is asked ``task``)."""
    token = CancellationToken()
    turns = HumanTurns(ui, token, task=task, prompts=prompts or {})
    if isinstance(agent, UserProxyAgent):
        turns.take_over(agent)
    return await _run(ui, agent, task, turns, token)


def _user_proxies(team: Team) -> Iterator[UserProxyAgent]:
    # Teams keep their participants private; nested teams are participants too.
    participants: list[Any] = list(getattr(team, "_participants", []))
    for participant in participants:
        if isinstance(participant, UserProxyAgent):
            yield participant
        elif isinstance(participant, Team):
            yield from _user_proxies(participant)


async def _run(
    ui: JobUI, runner: _Runner, task: str, turns: HumanTurns, token: CancellationToken
) -> TaskResult:
    stream = runner.run_stream(task=task, cancellation_token=token, output_task_messages=False)
    # A lone agent runs only as far as the relay reads; a team runs on by itself.
    pulled = not isinstance(runner, Team)
    relay = asyncio.ensure_future(_relay(ui, stream, token, turns, pulled))
    try:
        # Shielded so a cancel reaches the team through its token: cancelling the generator
        # directly would run its cleanup, which waits for a runtime still blocked on a human.
        return await asyncio.shield(relay)
    except asyncio.CancelledError:
        token.cancel()
        await asyncio.wait([relay])
        if not relay.cancelled():
            relay.exception()  # the cancel wins; mark the team's own ending as seen, not lost
        raise


async def _relay(
    ui: JobUI,
    stream: AsyncGenerator[_Item, None],
    token: CancellationToken,
    turns: HumanTurns,
    pulled: bool,
) -> TaskResult:
    result: TaskResult | None = None
    try:
        async for item in stream:
            if isinstance(item, TaskResult):
                result = item
            elif await turns.relayed(item, pulled=pulled):
                await _show(ui, item)
    except BaseException:
        # Closing the stream waits for the team to go idle, so stop the team first. Whatever
        # the stopped team raises while closing (usually CancelledError) only echoes this
        # failure and must not replace it.
        token.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await stream.aclose()
        raise
    if result is None:
        raise RuntimeError("the agent run ended without a TaskResult")
    return result


async def _show(ui: JobUI, item: BaseAgentEvent | BaseChatMessage) -> None:
    if isinstance(item, BaseChatMessage):
        recipient = item.target if isinstance(item, HandoffMessage) else None
        await ui.text_message(item.to_text(), sender=item.source, recipient=recipient)
    elif isinstance(item, ModelClientStreamingChunkEvent):
        await ui.stream_chunk(item.content, sender=item.source)
    elif isinstance(item, ToolCallRequestEvent):
        for call in item.content:
            await ui.tool_call(
                sender=item.source,
                call_id=call.id,
                function_name=call.name,
                arguments=call.arguments,
            )
    elif isinstance(item, ToolCallExecutionEvent):
        for outcome in item.content:
            await ui.tool_result(
                sender=item.source,
                call_id=outcome.call_id,
                function_name=outcome.name,
                content=outcome.content,
                is_error=bool(outcome.is_error),
            )
    # Everything else is bookkeeping or private reasoning: UserInputRequestedEvent (the
    # input function shows the request), ThoughtEvent, selector and memory events. Showing
    # thoughts as messages would put words in an agent's mouth.
