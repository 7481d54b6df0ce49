"""How a run's ``UserProxyAgent``s ask the job's human: in the transcript's order, with the
question the conversation actually asks, and with the answer shown once.

A team's ``UserProxyAgent`` calls its input function as soon as its turn comes, while the team's
earlier messages (the plan the question is about, a tool result) may still wait in the stream
the relay reads. So the input function does not ask at once: it waits until the relay reaches
the proxy's ``UserInputRequestedEvent`` (everything before it is then in the log), and the relay
waits until the question is logged before it reads on. The order is the stream's, every time,
which a replayed run relies on (it drops the events an earlier attempt logged, by position).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from autogen_agentchat.agents import UserProxyAgent
from autogen_agentchat.agents._user_proxy_agent import cancellable_input
from autogen_agentchat.messages import BaseChatMessage, UserInputRequestedEvent
from autogen_core import CancellationToken

from agentjobs.ui import JobUI

InputFunc = Callable[[str, CancellationToken | None], Awaitable[str]]
"""The async ``input_func`` signature ``UserProxyAgent`` accepts."""

QUESTION_LIMIT = 500
"""A question taken from the conversation is cut to this many characters."""

_OURS = "_agentjobs_asks"
"""Marks the input functions a run installed, so the next run replaces them with its own."""


class HumanTurns:
    """One run's proxies: orders their questions after what the relay emitted, words them,
    and recognises their answers coming back through the team, so they are shown once."""

    def __init__(
        self, ui: JobUI, token: CancellationToken, *, task: str, prompts: Mapping[str, str]
    ) -> None:
        """``token`` is the run's (cancelling it ends every wait); ``prompts`` maps a proxy's
        name to the question to show at its turns."""
        self._ui = ui
        self._token = token
        self._prompts = dict(prompts)
        self._said = task  # what the conversation said last, before the human's turn
        self._proxies: set[str] = set()
        self._reached: dict[str, asyncio.Future[None]] = {}
        self._asked: dict[str, asyncio.Future[None]] = {}
        self._answers: list[tuple[str, str]] = []

    def take_over(self, agent: UserProxyAgent) -> None:
        """Make ``agent`` ask through the job, unless its author gave it an input function."""
        # A worker has no console, so the defaults (``input``, ``cancellable_input``) can only
        # hang; an input function the author chose (an auto-approver, say) is left alone. One
        # an earlier run installed is replaced: it belongs to that run.
        func = agent.input_func
        if func in (input, cancellable_input) or getattr(func, _OURS, False):
            agent.input_func = self._input_func(agent.name)
            agent._is_async = True
            self._proxies.add(agent.name)

    async def relayed(self, item: object, *, pulled: bool) -> bool:
        """Called by the relay before it shows ``item``; False when it must not be shown.

        At a taken-over proxy's request in a team this returns once its question is logged.
        ``pulled`` says the relay's reading drives the proxy (a lone ``UserProxyAgent`` asks
        only when the relay reads on): then it must not wait, and nothing can come between.
        """
        if isinstance(item, UserInputRequestedEvent) and item.source in self._proxies:
            _settle(_future(self._reached, item.request_id))
            if not pulled:
                asked = _future(self._asked, item.request_id)
                self._token.link_future(asked)
                await asked
                self._asked.pop(item.request_id, None)
            return False
        if isinstance(item, BaseChatMessage):
            said = (item.source, item.to_text())
            if said in self._answers:
                # The human's answer, coming back as the proxy's message: the log already has
                # it as the request's input_received (masked, for a password).
                self._answers.remove(said)
                return False
            self._said = said[1]
        return True

    def _input_func(self, sender: str) -> InputFunc:
        async def ask(prompt: str, cancellation_token: CancellationToken | None) -> str:
            request_id = _request_id()
            if request_id is None:  # called outside a proxy's turn: nothing to wait for
                return await self._ask(sender, prompt, cancellation_token, None)
            reached = _future(self._reached, request_id)
            for token in (self._token, cancellation_token):
                if token is not None:
                    token.link_future(reached)
            await reached
            self._reached.pop(request_id, None)
            asked = _future(self._asked, request_id)
            try:
                return await self._ask(sender, prompt, cancellation_token, asked)
            finally:
                _settle(asked)  # if the question never went out, the relay reads on anyway

        setattr(ask, _OURS, True)
        return ask

    async def _ask(
        self,
        sender: str,
        prompt: str,
        cancellation_token: CancellationToken | None,
        asked: asyncio.Future[None] | None,
    ) -> str:
        question = self._prompts.get(sender) or _question(self._said) or prompt.strip()
        waiting = asyncio.ensure_future(
            self._ui.text_input(
                question or "Your reply",
                sender=sender,
                on_asked=None if asked is None else lambda: _settle(asked),
            )
        )
        if cancellation_token is not None:
            cancellation_token.link_future(waiting)
        answer = await waiting
        self._answers.append((sender, answer))
        return answer


def _question(said: str) -> str:
    """The conversation's question: the last line of what was said before the human's turn."""
    lines = [line.strip() for line in said.strip().splitlines() if line.strip()]
    return lines[-1][:QUESTION_LIMIT] if lines else ""


def _request_id() -> str | None:
    try:
        return UserProxyAgent.InputRequestContext.request_id()
    except RuntimeError:
        return None


def _future(table: dict[str, asyncio.Future[None]], key: str) -> asyncio.Future[None]:
    # Whichever side comes first (the relay or the input function) makes the future.
    if key not in table:
        table[key] = asyncio.get_running_loop().create_future()
    return table[key]


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
