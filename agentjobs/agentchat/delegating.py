"""A model client that wraps another: what it does not change, the wrapped client answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autogen_core.models import (
    ChatCompletionClient,
    LLMMessage,
    ModelCapabilities,
    ModelInfo,
    RequestUsage,
)


class DelegatingChatCompletionClient(ChatCompletionClient):
    """Base of the job's model-client wrappers (journaled, metered): usage, token counts,
    capabilities and close come from ``inner``; subclasses give ``create`` and
    ``create_stream``."""

    def __init__(self, inner: ChatCompletionClient) -> None:
        self._inner = inner

    @property
    def wrapped(self) -> ChatCompletionClient:
        """The client this one delegates to."""
        return self._inner

    async def close(self) -> None:
        """Close the wrapped client."""
        await self._inner.close()

    def actual_usage(self) -> RequestUsage:
        """Usage of the wrapped client (calls a wrapper answered itself cost nothing)."""
        return self._inner.actual_usage()

    def total_usage(self) -> RequestUsage:
        """Total usage of the wrapped client."""
        return self._inner.total_usage()

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        """Token count, from the wrapped client."""
        return self._inner.count_tokens(messages, tools=tools)

    def remaining_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Any] = ()) -> int:
        """Remaining tokens, from the wrapped client."""
        return self._inner.remaining_tokens(messages, tools=tools)

    @property
    def capabilities(self) -> ModelCapabilities:
        """Capabilities of the wrapped client (deprecated upstream; kept for compatibility)."""
        return self._inner.capabilities

    @property
    def model_info(self) -> ModelInfo:
        """Model info of the wrapped client."""
        return self._inner.model_info
