"""``GET /usage``: the caller's model use per day, grouped by workflow, model or user."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal, cast

from fastapi import APIRouter, HTTPException, Query

from agentjobs import keys
from agentjobs.protocol.bodies import UsageReport, UsageRow
from backend.deps import CurrentUser, ServicesDep

router = APIRouter(tags=["usage"])

GroupBy = Literal["user", "workflow", "model"]


@router.get(
    "/usage",
    responses={
        422: {"description": "`since` is not a day, lies in the future, or before what is kept"},
        503: {"description": "The job store is unavailable (Redis down, restarting or full)"},
    },
)
async def read_usage(
    services: ServicesDep,
    user: CurrentUser,
    since: Annotated[
        date | None,
        Query(description="The first UTC day counted (YYYY-MM-DD); default: today"),
    ] = None,
    group_by: Annotated[GroupBy, Query(description="One row per user, workflow or model")] = (
        "workflow"
    ),
) -> UsageReport:
    """The caller's model calls, tokens and cost from ``since`` to now, grouped."""
    today = datetime.now(UTC).date()
    first = since or today
    kept = services.settings.usage_retention_days
    if first > today:
        raise HTTPException(422, f"since {first.isoformat()} is in the future (UTC)")
    if (today - first).days >= kept:
        raise HTTPException(
            422, f"usage is kept {kept} days (AGENTJOBS_USAGE_RETENTION_DAYS): since is too old"
        )
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
            cost_usd=round(counters["cost"], 9),
        )
        for key, counters in sorted(totals.items())
    ]
    return UsageReport(since=first.isoformat(), group_by=group_by, rows=rows)
