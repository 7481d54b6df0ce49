"""A model client wrapper that keeps each call within the job's budget and the model's rate.

``MeteredChatCompletionClient`` wraps any autogen ``ChatCompletionClient``: before every call
it checks the job's budget, per attempt it waits for the model's global rate slot, and after it
records the call's tokens (``RequestUsage``; a stream's come with its last chunk, which OpenAI
clients are asked for) and latency. A provider 429, 5xx or lost connection is tried again with
backoff, honouring ``Retry-After``, up to ``AGENTJOBS_MODEL_MAX_RETRIES``. ``job_model_client``
is the helper a workflow wraps its own clients with.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any

import anyio._backends._asyncio  # noqa: F401
import openai
import openai.resources.chat
from autogen_core import CancellationToken
from autogen_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    RequestUsage,
)
from autogen_core.tools import Tool, ToolSchema
from autogen_ext.models.openai import BaseOpenAIChatCompletionClient
from autogen_ext.models.replay import ReplayChatCompletionClient
from pydantic import BaseModel

from agentjobs.agentchat.delegating import DelegatingChatCompletionClient
from agentjobs.agentchat.journaled import JournaledChatCompletionClient, ToolChoice
from agentjobs.model_meter import CURRENT_METER, Meter
from agentjobs.ui import CURRENT_UI

__all__ = ["MeteredChatCompletionClient", "job_model_client"]

log = logging.getLogger(__name__)
# The two private-looking imports above: openai (and anyio under it) load them on a process's
# first request, tens of ms that a call which just took its rate-limit turn would spend after
# it. Loaded with the workflows instead, every call leaves right after its turn.

FIRST_BACKOFF_SECONDS = 0.5
"""The first retry's wait without ``Retry-After``; each further one doubles it."""
SCRIPTED_MODEL = "scripted"
"""The model name usage is recorded under for autogen's scripted (replay) client."""


def model_name(client: ChatCompletionClient) -> str:
    """The model ``client`` calls, as the usage and rate limits name it."""
    if isinstance(client, BaseOpenAIChatCompletionClient):
        return str(client._create_args.get("model", "unknown"))
    if isinstance(client, ReplayChatCompletionClient):
        return SCRIPTED_MODEL
    return type(client).__name__


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return True
    return isinstance(exc, openai.APIStatusError) and (
        exc.status_code in (408, 429) or exc.status_code >= 500
    )


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the provider asked to wait (``Retry-After``, ``retry-after-ms``), if it did."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return None if parsed is None else email.utils.mktime_tz(parsed) - time.time()


class MeteredChatCompletionClient(DelegatingChatCompletionClient):
    """Delegates to ``inner`` under ``meter``: budget, global rate, retries, usage."""

    def __init__(self, inner: ChatCompletionClient, meter: Meter, model: str | None = None) -> None:
        super().__init__(inner)
        self._meter = meter
        self.model = model or model_name(inner)
        """The name usage, prices and rate limits use for this client's calls."""

    async def _backoff(self, attempt: int, exc: BaseException) -> None:
        """Wait before retry ``attempt`` (1-based), or re-raise ``exc`` when retries are over."""
        settings = self._meter.settings
        if not _retryable(exc) or attempt > settings.model_max_retries:
            raise exc
        asked = _retry_after(exc)
        if asked is None or asked < 0:
            asked = FIRST_BACKOFF_SECONDS * 2 ** (attempt - 1) * (1 - 0.25 * random.random())
        wait = min(asked, settings.model_max_backoff_seconds)
        log.info("model %s: %r; retry %d in %.2f s", self.model, exc, attempt, wait)
        name = type(exc).__name__
        await self._meter.ui.notice(
            f"model {self.model} is busy ({name}): retry {attempt} in {wait:.1f} s"
        )
        await asyncio.sleep(wait)

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        """A completion within the budget and the model's rate; its usage is recorded."""
        await self._meter.check_budget()
        attempt = 0
        while True:
            await self._meter.wait_turn(self.model)
            started = time.monotonic()
            try:
                result = await self._inner.create(
                    messages,
                    tools=tools,
                    tool_choice=tool_choice,
                    json_output=json_output,
                    extra_create_args=extra_create_args,
                    cancellation_token=cancellation_token,
                )
            except Exception as exc:  # _backoff re-raises what it does not retry
                attempt += 1
                await self._backoff(attempt, exc)
                continue
            await self._record(result.usage, time.monotonic() - started)
            return result

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: ToolChoice = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] = {},
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        """A streamed completion, metered like ``create``; retried only before its first chunk
        (a retry after chunks were shown would show them twice)."""
        await self._meter.check_budget()
        extra = self._with_stream_usage(extra_create_args)
        attempt = 0
        while True:
            await self._meter.wait_turn(self.model)
            started = time.monotonic()
            yielded = False
            try:
                async for item in self._inner.create_stream(
                    messages,
                    tools=tools,
                    tool_choice=tool_choice,
                    json_output=json_output,
                    extra_create_args=extra,
                    cancellation_token=cancellation_token,
                ):
                    if isinstance(item, CreateResult):
                        await self._record(item.usage, time.monotonic() - started)
                    yielded = True
                    yield item
                return
            except Exception as exc:  # _backoff re-raises what it does not retry
                if yielded:
                    raise
                attempt += 1
                await self._backoff(attempt, exc)

    def _with_stream_usage(self, extra: Mapping[str, Any]) -> Mapping[str, Any]:
        # OpenAI streams report usage only when asked (stream_options.include_usage); autogen
        # does not ask by default, and a stream without it would count as zero tokens.
        inner = self._inner
        if not isinstance(inner, BaseOpenAIChatCompletionClient):
            return extra
        if "stream_options" in extra or "stream_options" in inner._create_args:
            return extra
        return {**extra, "stream_options": {"include_usage": True}}

    async def _record(self, usage: RequestUsage, seconds: float) -> None:
        await self._meter.record(self.model, usage.prompt_tokens, usage.completion_tokens, seconds)


def job_model_client(
    client: ChatCompletionClient, *, model: str | None = None
) -> ChatCompletionClient:
    """``client`` as a job's model client: metered (budget, global rate limit, retries, usage)
    and journaled (a replay returns recorded completions without calling or counting again).

    Use it on any autogen ``ChatCompletionClient`` a workflow builds itself, inside the
    workflow (``chat_client`` does it already). ``model`` names the model for usage, prices and
    rate limits (default: the client's configured model). Outside a job it returns ``client``.
    """
    if isinstance(client, JournaledChatCompletionClient | MeteredChatCompletionClient):
        return client
    meter = CURRENT_METER.get()
    wrapped = client if meter is None else MeteredChatCompletionClient(client, meter, model)
    ui = CURRENT_UI.get()
    return wrapped if ui is None else JournaledChatCompletionClient(wrapped, ui.journal)
