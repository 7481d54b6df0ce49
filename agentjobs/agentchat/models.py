"""Model clients for workflows: an OpenAI-compatible model given a key, else a scripted one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from autogen_core import FunctionCall
from autogen_core.models import (
    ChatCompletionClient,
    CreateResult,
    ModelFamily,
    ModelInfo,
    RequestUsage,
)
from autogen_ext.models.openai import OpenAIChatCompletionClient
from autogen_ext.models.openai.config import OpenAIClientConfiguration
from autogen_ext.models.replay import ReplayChatCompletionClient

from agentjobs.agentchat.metered import job_model_client
from agentjobs.model_meter import CURRENT_METER
from agentjobs.settings import ModelSettings, get_model_settings

__all__ = [
    "OFFLINE_NOTICE",
    "chat_client",
    "is_offline",
    "job_model_client",
    "scripted_tool_call",
]

OFFLINE_NOTICE = "Running on a scripted offline model: set OPENAI_API_KEY for a real one."
"""What a workflow tells its watchers when ``is_offline()``."""


def is_offline(settings: ModelSettings | None = None) -> bool:
    """True when no OpenAI API key is configured, so workflows run on scripted models."""
    settings = settings or get_model_settings()
    return settings.openai_api_key is None


def chat_client(
    offline_replies: Sequence[str | CreateResult],
    *,
    settings: ModelSettings | None = None,
    function_calling: bool = False,
) -> ChatCompletionClient:
    """A model client: the configured OpenAI-compatible model, or ``offline_replies`` in order.

    Inside a job it is metered and journaled (``job_model_client``). The scripted client hands
    out its replies once each, so build one per run.
    """
    return job_model_client(_raw_client(offline_replies, settings, function_calling))


def _raw_client(
    offline_replies: Sequence[str | CreateResult],
    settings: ModelSettings | None,
    function_calling: bool,
) -> ChatCompletionClient:
    settings = settings or get_model_settings()
    if settings.openai_api_key is None:
        return ReplayChatCompletionClient(
            offline_replies, model_info=_model_info(function_calling=function_calling)
        )
    # model_info is required for any name autogen does not know, which is the usual case
    # behind a base_url; passing it always keeps both paths alike.
    config = OpenAIClientConfiguration(
        model=settings.model,
        api_key=settings.openai_api_key.get_secret_value(),
        model_info=_model_info(function_calling=True),
    )
    if CURRENT_METER.get() is not None:
        # In a job agentjobs retries 429s and 5xx itself (agentchat/metered.py): each try takes
        # a rate slot and the job shows the wait; openai's own retries would do neither.
        config["max_retries"] = 0
    if settings.openai_base_url:
        config["base_url"] = settings.openai_base_url
    return OpenAIChatCompletionClient(**config)


def scripted_tool_call(call_id: str, name: str, arguments: dict[str, Any]) -> CreateResult:
    """A scripted model reply asking to call tool ``name`` with ``arguments``."""
    return CreateResult(
        finish_reason="function_calls",
        content=[FunctionCall(id=call_id, name=name, arguments=json.dumps(arguments))],
        usage=RequestUsage(prompt_tokens=0, completion_tokens=0),
        cached=False,
    )


def _model_info(*, function_calling: bool) -> ModelInfo:
    return ModelInfo(
        vision=False,
        function_calling=function_calling,
        json_output=False,
        family=ModelFamily.UNKNOWN,
        structured_output=False,
    )
