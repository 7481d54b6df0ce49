"""``GET /usage``: the caller's model use per day, grouped by workflow, model or user."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Query
from pydantic import BeforeValidator

from agentjobs import keys
from agentjobs.protocol.bodies import UsageReport, UsageRow
from backend.deps import CurrentUser, ServicesDep

router = APIRouter(tags=["usage"])

GroupBy = Literal["user", "workflow", "model"]
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: object) -> object:
    """Only ``YYYY-MM-DD`` is a day (pydantic alone would take ``0`` as 1970-01-01)."""
    if isinstance(value, str) and not _DAY.fullmatch(value):
        raise ValueError("expected a UTC day as YYYY-MM-DD")
    return value


@router.get(
    "/usage",
    responses={
        422: {"description": "`since` is not a day, or `group_by` none of the groups"},
        503: {"description": "The job store is unavailable (Redis down, restarting or full)"},
    },
)
async def read_usage(
    services: ServicesDep,
    user: CurrentUser,
    since: Annotated[
        date | None,
        BeforeValidator(_iso_day),
        Query(
            description="The first UTC day counted (YYYY-MM-DD; default: today); one before "
            "`AGENTJOBS_USAGE_RETENTION_DAYS` counts from the oldest day kept"
        ),
    ] = None,
    group_by: Annotated[GroupBy, Query(description="One row per user, workflow or model")] = (
        "workflow"
    ),
) -> UsageReport:
    """The caller's model calls, tokens and cost from ``since`` to now, grouped."""
    today = datetime.now(UTC).date()
    # Days before the retention are gone: counting from the oldest kept says so in ``since``.
    oldest = today - timedelta(days=services.settings.usage_retention_days - 1)
    first = max(since or today, oldest)
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    async with services.redis.pipeline(transaction=False) as pipe:
        for day in days:
            pipe.hgetall(keys.user_day_usage(user, day.isoformat()))
        hashes = cast(list[dict[str, str]], await pipe.execute())
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for raw in hashes:
        for name, value in raw.items():
            if not name.startswith("["):
                continue  # the day's totals, for the budgets
            workflow, model, counter = json.loads(name)
            key = {"user": user, "workflow": workflow, "model": model}[group_by]
            totals[key][counter] += float(value)
    rows = [
        UsageRow(
            key=key,
            model_calls=int(counters["calls"]),
            prompt_tokens=int(counters["prompt"]),
            completion_tokens=int(counters["completion"]),
            # No call of the group had a price: its cost is unknown, not nothing.
            cost_usd=round(counters["cost"], 9) if "cost" in counters else None,
        )
        for key, counters in sorted(totals.items())
    ]
    return UsageReport(since=first.isoformat(), group_by=group_by, rows=rows)
