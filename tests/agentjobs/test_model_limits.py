"""The formats of AGENTJOBS_MODEL_PRICES and AGENTJOBS_MODEL_RATE_LIMITS, and the script that
enforces the limits."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.model_limits import ModelPrice, ModelRate, for_model
from agentjobs.scripts.model_rate import charge_model_tokens, take_model_slot
from agentjobs.settings import ModelSettings
from tests.support.stack import RedisServer


def test_rate_limits_per_minute_and_per_second_with_tokens() -> None:
    settings = ModelSettings(model_rate_limits="gpt-4o-mini=500/min:200000tpm, *=10/s")
    mini = settings.model_rate_limits["gpt-4o-mini"]
    assert mini == ModelRate(requests=500, request_seconds=60, tokens=200_000, token_seconds=60)
    assert mini.request_interval_ms == 120
    assert mini.ms_per_token == pytest.approx(0.3)
    assert for_model(settings.model_rate_limits, "other") == ModelRate(10, 1)
    assert ModelSettings(model_rate_limits="m=100000tpm").model_rate_limits["m"].requests is None


def test_prices_in_usd_per_million_tokens() -> None:
    settings = ModelSettings(model_prices="gpt-4o-mini=0.15/0.60")
    price = settings.model_prices["gpt-4o-mini"]
    assert price == ModelPrice(0.15, 0.60)
    assert price.cost(1_000_000, 500_000) == pytest.approx(0.45)
    assert for_model(settings.model_prices, "gpt-4o") is None


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("model_rate_limits", "m=500/day", "500/day"),
        ("model_rate_limits", "500/min", "<model>=<spec>"),
        ("model_prices", "m=0.15", "0.15"),
        ("model_prices", "m=cheap/dear", "cheap/dear"),
    ],
)
def test_a_bad_setting_names_what_is_wrong(name: str, value: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        ModelSettings(**{name: value})


async def test_the_rate_script_spaces_requests_and_waits_for_token_debt(
    redis_srv: RedisServer,
) -> None:
    redis = Redis.from_url(redis_srv.url, decode_responses=True)
    model = f"test-rate-{uuid.uuid4().hex}"
    try:
        requests = ModelRate(requests=10, request_seconds=1)  # one start per 100 ms
        assert await take_model_slot(redis, model, requests) == 0
        assert 90 <= await take_model_slot(redis, model, requests) <= 100
        # 60 tokens per second: 120 tokens charged are one second over the period's worth.
        tokens = ModelRate(tokens=60, token_seconds=1)
        other = f"{model}-tokens"
        assert await take_model_slot(redis, other, tokens) == 0
        await charge_model_tokens(redis, other, tokens, 120)
        assert 900 <= await take_model_slot(redis, other, tokens) <= 1000
    finally:
        await redis.delete(*(keys.model_rate(m) for m in (model, f"{model}-tokens")))
        await redis.delete(*(keys.model_tokens(m) for m in (model, f"{model}-tokens")))
        await redis.aclose()
