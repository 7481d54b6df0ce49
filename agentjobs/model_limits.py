"""The model settings' own formats: prices per model and global rate limits per model.

``AGENTJOBS_MODEL_PRICES=gpt-4o-mini=0.15/0.60,gpt-4o=2.5/10`` (USD per million prompt /
completion tokens) and ``AGENTJOBS_MODEL_RATE_LIMITS=gpt-4o-mini=500/min:200000tpm`` (requests
per second or minute, tokens per minute or second; either part may be left out). A model named
``*`` applies to every model not named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

WILDCARD = "*"
_REQUEST_PERIODS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60}
_TOKEN_PERIODS = {"tps": 1, "tpm": 60}


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens, prompt and completion."""

    prompt_per_million: float
    completion_per_million: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """What one call's tokens cost, in USD."""
        return (
            prompt_tokens * self.prompt_per_million
            + completion_tokens * self.completion_per_million
        ) / 1_000_000


@dataclass(frozen=True)
class ModelRate:
    """A model's global limits: requests and tokens per period (None: no limit on that)."""

    requests: int | None = None
    request_seconds: int = 60
    tokens: int | None = None
    token_seconds: int = 60

    @property
    def request_interval_ms(self) -> float:
        """Milliseconds between two request starts (0: no request limit)."""
        return self.request_seconds * 1000 / self.requests if self.requests else 0.0

    @property
    def ms_per_token(self) -> float:
        """Milliseconds of capacity one token uses (0: no token limit)."""
        return self.token_seconds * 1000 / self.tokens if self.tokens else 0.0


def _entries(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in text.split(","):
        if not item.strip():
            continue
        model, sep, spec = item.rpartition("=")
        if not sep or not model.strip() or not spec.strip():
            raise ValueError(f"expected <model>=<spec>, got {item.strip()!r}")
        pairs.append((model.strip(), spec.strip()))
    return pairs


def parse_prices(text: str) -> dict[str, ModelPrice]:
    """``model=<prompt>/<completion>,...`` (USD per million tokens) as a price per model."""
    prices = {}
    for model, spec in _entries(text):
        prompt, sep, completion = spec.partition("/")
        try:
            price = ModelPrice(float(prompt), float(completion))
        except ValueError:
            raise ValueError(
                f"price of {model!r}: expected <prompt>/<completion> USD per million tokens"
                f" such as 0.15/0.60, got {spec!r}"
            ) from None
        if not sep or price.prompt_per_million < 0 or price.completion_per_million < 0:
            raise ValueError(f"price of {model!r}: expected two prices >= 0, got {spec!r}")
        prices[model] = price
    return prices


def _rate_part(model: str, part: str, rate: ModelRate) -> ModelRate:
    lowered = part.strip().lower()
    for suffix, seconds in _TOKEN_PERIODS.items():
        if lowered.endswith(suffix) and lowered.removesuffix(suffix).strip().isdigit():
            tokens = int(lowered.removesuffix(suffix))
            return ModelRate(rate.requests, rate.request_seconds, tokens or None, seconds)
    count, _, period = lowered.partition("/")
    unit = period.strip() or "min"
    if not count.strip().isdigit() or unit not in _REQUEST_PERIODS:
        raise ValueError(
            f"rate limit of {model!r}: expected <count>/<s|min> requests or <count>tpm tokens"
            f" (such as 500/min:200000tpm), got {part!r}"
        )
    return ModelRate(int(count) or None, _REQUEST_PERIODS[unit], rate.tokens, rate.token_seconds)


def parse_rate_limits(text: str) -> dict[str, ModelRate]:
    """``model=500/min:200000tpm,...`` as the limits of each model."""
    limits = {}
    for model, spec in _entries(text):
        rate = ModelRate()
        for part in spec.split(":"):
            rate = _rate_part(model, part, rate)
        limits[model] = rate
    return limits


def for_model(table: Mapping[str, T], model: str) -> T | None:
    """The entry of ``model``, else the ``*`` entry, else None."""
    return table.get(model, table.get(WILDCARD))
