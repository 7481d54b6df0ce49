"""What a job's model calls may spend, and what they spent: budgets, global rate, usage.

A worker binds a ``Meter`` to each run (``CURRENT_METER``); the metered model client
(``agentjobs.agentchat.metered``) asks it before every call (``check_budget``, then
``wait_turn`` per attempt) and tells it each call's tokens (``record``). Nothing here imports
AutoGen.
"""

from __future__ import annotations

import asyncio
import logging
import random
from contextvars import ContextVar

from redis.asyncio import Redis

from agentjobs import keys
from agentjobs.budgets import BudgetExceeded, daily_limits_reached, utc_day
from agentjobs.model_limits import for_model
from agentjobs.protocol.bodies import Budget
from agentjobs.records import USAGE_FIELDS, usage_from_hash
from agentjobs.scripts.model_rate import charge_model_tokens, take_model_slot
from agentjobs.scripts.usage import record_usage
from agentjobs.settings import ModelSettings
from agentjobs.ui import JobUI
from agentjobs.usage_metrics import call_increments

log = logging.getLogger(__name__)

WAITING_FOR_CAPACITY = "waiting for model capacity"
"""The start of the notice a job shows while a call waits for its model's rate limit."""
NOTICE_AFTER_MS = 500
"""Shorter waits pass without a notice: they would only add noise to the job's log."""


class Meter:
    """One run's budget, rate limits and usage counters."""

    def __init__(
        self, redis: Redis, ui: JobUI, settings: ModelSettings, budget: Budget | None
    ) -> None:
        self.redis = redis
        self.ui = ui
        self.settings = settings
        self.budget = budget or Budget()
        has_daily = settings.user_daily_tokens or settings.user_daily_cost_usd
        self._checks = bool(self.budget.model_dump(exclude_none=True) or has_daily)

    async def check_budget(self) -> None:
        """Raise ``BudgetExceeded`` when the job or its user's day reached a limit."""
        if not self._checks:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hmget(keys.job(self.ui.job_id), list(USAGE_FIELDS))
            pipe.hmget(keys.user_day_usage(self.ui.user, utc_day()), ["tokens", "cost"])
            job_raw, day_raw = await pipe.execute()
        usage = usage_from_hash(
            {name: value for name, value in zip(USAGE_FIELDS, job_raw, strict=True) if value}
        )
        checks = (
            ("max_model_calls", self.budget.max_model_calls, usage.model_calls),
            ("max_tokens", self.budget.max_tokens, usage.tokens),
            ("max_cost_usd", self.budget.max_cost_usd, usage.cost_usd or 0.0),
        )
        exceeded = next(
            (
                BudgetExceeded(name, allowed, used)
                for name, allowed, used in checks
                if allowed is not None and used >= allowed
            ),
            None,
        ) or daily_limits_reached(self.settings, float(day_raw[0] or 0), float(day_raw[1] or 0))
        if exceeded is not None:
            # Agent frameworks wrap what a model client raises: the runner looks here first.
            self.ui.stopped_by = exceeded
            raise exceeded

    async def wait_turn(self, model: str) -> None:
        """Wait until ``model``'s global rate limit lets a call start (if it has one); the job
        shows one notice once the wait passes ``NOTICE_AFTER_MS``."""
        rate = for_model(self.settings.model_rate_limits, model)
        if rate is None:
            return
        waited_ms, shown = 0.0, False
        while (wait_ms := await take_model_slot(self.redis, model, rate)) > 0:
            if not shown and waited_ms + wait_ms >= NOTICE_AFTER_MS:
                await self.ui.notice(f"{WAITING_FOR_CAPACITY} ({model})")
                shown = True
            # Waiters of all workers wake together: a little jitter spreads their retries.
            pause = wait_ms * (1 + 0.25 * random.random())
            await asyncio.sleep(pause / 1000)
            waited_ms += pause

    async def record(
        self, model: str, prompt_tokens: int, completion_tokens: int, seconds: float
    ) -> None:
        """Count one finished call everywhere (job, user's day, deployment, metrics)."""
        price = for_model(self.settings.model_prices, model)
        cost = price.cost(prompt_tokens, completion_tokens) if price else None
        await record_usage(
            self.redis,
            job_id=self.ui.job_id,
            user=self.ui.user,
            workflow=self.ui.workflow,
            model=model,
            day=utc_day(),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost,
            ttl_seconds=self.settings.usage_retention_days * 86400,
            metrics=call_increments(
                model=model,
                workflow=self.ui.workflow,
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                cost_usd=cost,
                seconds=seconds,
            ),
        )
        rate = for_model(self.settings.model_rate_limits, model)
        if rate is not None:
            await charge_model_tokens(self.redis, model, rate, prompt_tokens + completion_tokens)
        log.debug(
            "job %s: model %s: %d + %d tokens in %.3f s",
            self.ui.job_id,
            model,
            prompt_tokens,
            completion_tokens,
            seconds,
        )


CURRENT_METER: ContextVar[Meter | None] = ContextVar("agentjobs_current_meter", default=None)
"""The ``Meter`` of the run in progress (set by the worker), so model clients built in it are
metered."""
