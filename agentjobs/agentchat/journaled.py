"""A model client wrapper that journals every completion, so a replayed run never pays twice.

Wraps any autogen ``ChatCompletionClient``. Live, it calls the model and records the result
(and, for streams, every chunk, so a replay emits the same stream events). Replaying, it returns
the recorded result at once. Each entry carries a hash of the request (messages, tools, options),
so a run whose calls differ from the recorded ones stops as nondeterministic.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from autogen_core import CancellationToken
from autogen_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
)
from autogen_core.tools import Tool, ToolSchema
from autogen_ext.models.replay import ReplayChatCompletionClient
from pydantic import BaseModel

from agentjobs.agentchat.delegating import DelegatingChatCompletionClient
from agentjobs.replay import Journal, fingerprint

ToolChoice = Tool | Literal["auto", "required", "none"]


class JournaledChatCompletionClient(DelegatingChatCompletionClient):
    """Delegates to ``inner``; every completion goes through the job's journal."""

    def __init__(self, inner: ChatCompletionClient, journal: Journal) -> None:
        super().__init__(inner)
        self._journal = journal

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
        """A completion: recorded if this call was made before, else live and then recorded."""
        fp = _request_fingerprint(messages, tools, tool_choice, json_output, extra_create_args)
        recorded = self._journal.take("model", fp)
        if recorded is not None:
            self._skip_scripted_reply()
            return CreateResult.model_validate(recorded.value["result"])
        result = await self._inner.create(
            messages,
            **_options(tools, tool_choice, json_output, extra_create_args, cancellation_token),
        )
        await self._journal.record("model", fp, {"chunks": [], "result": _dump(result)})
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
        """A streamed completion; a replay yields the recorded chunks, then the result."""
        fp = _request_fingerprint(messages, tools, tool_choice, json_output, extra_create_args)
        recorded = self._journal.take("model", fp)
        if recorded is not None:
            self._skip_scripted_reply()
            for chunk in recorded.value["chunks"]:
                yield chunk
            yield CreateResult.model_validate(recorded.value["result"])
            return
        chunks: list[str] = []
        options = _options(tools, tool_choice, json_output, extra_create_args, cancellation_token)
        async for item in self._inner.create_stream(messages, **options):
            if isinstance(item, CreateResult):
                await self._journal.record("model", fp, {"chunks": chunks, "result": _dump(item)})
            else:
                chunks.append(item)
            yield item

    def _skip_scripted_reply(self) -> None:
        # A scripted (offline) model hands out its replies in order: a replayed call must use
        # up its reply too, or the first live call after the replay would get an old one.
        inner = self._inner
        while (nested := getattr(inner, "wrapped", None)) is not None:
            inner = nested  # under a metered client
        if isinstance(inner, ReplayChatCompletionClient):
            inner._current_index += 1


def _options(
    tools: Sequence[Tool | ToolSchema],
    tool_choice: ToolChoice,
    json_output: bool | type[BaseModel] | None,
    extra_create_args: Mapping[str, Any],
    cancellation_token: CancellationToken | None,
) -> dict[str, Any]:
    return {
        "tools": tools,
        "tool_choice": tool_choice,
        "json_output": json_output,
        "extra_create_args": extra_create_args,
        "cancellation_token": cancellation_token,
    }


def _dump(result: CreateResult) -> dict[str, Any]:
    return result.model_dump(mode="json")


def _request_fingerprint(
    messages: Sequence[LLMMessage],
    tools: Sequence[Tool | ToolSchema],
    tool_choice: ToolChoice,
    json_output: bool | type[BaseModel] | None,
    extra: Mapping[str, Any],
) -> str:
    schemas = [tool.schema if isinstance(tool, Tool) else tool for tool in tools]
    choice = tool_choice.name if isinstance(tool_choice, Tool) else tool_choice
    output = json_output.__name__ if isinstance(json_output, type) else json_output
    dumped = [message.model_dump(mode="json") for message in messages]
    return fingerprint(dumped, schemas, choice, output, dict(extra))
