"""The formats of AGENTJOBS_MODEL_PRICES and AGENTJOBS_MODEL_RATE_LIMITS."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from agentjobs.model_limits import ModelPrice, ModelRate, for_model
from agentjobs.settings import ModelSettings


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
