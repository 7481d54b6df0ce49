"""Budgets on model use: the error a reached limit raises, and the UTC day budgets count in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agentjobs.settings import UsageLimits


class BudgetExceeded(Exception):
    """A limit on the job's (or its user's daily) model use is reached; the job fails with
    reason ``budget_exceeded``."""

    def __init__(self, limit: str, allowed: float, used: float) -> None:
        super().__init__(f"budget exceeded: {limit} is {allowed:g} and {used:g} is used")
        self.limit = limit
        self.allowed = allowed
        self.used = used


def utc_day(when: datetime | None = None) -> str:
    """The UTC day (``YYYY-MM-DD``) the per-day counters file ``when`` (default: now) under."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")


def next_utc_day(now: datetime | None = None) -> datetime:
    """When the current UTC day ends: the daily budgets reset then."""
    today = (now or datetime.now(UTC)).astimezone(UTC)
    return datetime(today.year, today.month, today.day, tzinfo=UTC) + timedelta(days=1)


def daily_limits_reached(
    settings: UsageLimits, tokens: float, cost: float
) -> BudgetExceeded | None:
    """The first daily limit of a user whose day used ``tokens`` and ``cost`` reached."""
    checks = (
        ("AGENTJOBS_USER_DAILY_TOKENS", settings.user_daily_tokens, tokens),
        ("AGENTJOBS_USER_DAILY_COST_USD", settings.user_daily_cost_usd, cost),
    )
    for name, allowed, used in checks:
        if allowed is not None and used >= allowed:
            return BudgetExceeded(name, allowed, used)
    return None
