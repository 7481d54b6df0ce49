"""The job record's Redis hash codec, and the flat field lists the Lua scripts take."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import TypeAdapter

from agentjobs.protocol import InputRequest, JobRecord, JobStatus
from agentjobs.protocol.bodies import Budget, Usage

_PENDING_ADAPTER: TypeAdapter[InputRequest] = TypeAdapter(InputRequest)


def field_pairs(fields: dict[str, str]) -> list[str]:
    """Flatten a field mapping into the ``n, k1, v1, ...`` tail the scripts expect."""
    flat: list[str] = [str(len(fields))]
    for name, value in fields.items():
        flat += [name, value]
    return flat


def record_from_hash(raw: dict[str, str]) -> JobRecord:
    """Build a job record from its Redis hash."""
    pending = raw.get("pending")
    return JobRecord(
        job_id=raw["job_id"],
        workflow=raw["workflow"],
        params=json.loads(raw.get("params", "{}")),
        user=raw["user"],
        status=JobStatus(raw["status"]),
        created_at=datetime.fromisoformat(raw["created_at"]),
        started_at=_optional_time(raw.get("started_at")),
        finished_at=_optional_time(raw.get("finished_at")),
        worker=raw.get("worker"),
        workflow_version=raw.get("workflow_version"),
        attempt=int(raw.get("attempt", "0")),
        pending=_PENDING_ADAPTER.validate_json(pending) if pending else None,
        suspended=raw.get("suspended") == "1",
        waiting_for_worker=raw.get("waiting_for_worker") == "1",
        result=json.loads(raw["result"]) if "result" in raw else None,
        error=raw.get("error"),
        reason=raw.get("reason"),  # type: ignore[arg-type]
        trace_id=_trace_id(raw.get("traceparent")),
        traceparent=raw.get("traceparent"),
        last_event_id=raw.get("last_event_id"),
        budget=Budget.model_validate_json(raw["budget"]) if raw.get("budget") else None,
        usage=usage_from_hash(raw),
    )


USAGE_FIELDS = ("usage_calls", "usage_prompt", "usage_completion", "usage_cost")
"""The job hash's usage counters (``agentjobs/scripts/usage.py`` adds to them)."""


def usage_from_hash(raw: dict[str, str]) -> Usage:
    """A job's usage from its hash (missing counters are 0; no cost: null)."""
    calls, prompt, completion, cost = (raw.get(name) for name in USAGE_FIELDS)
    return Usage(
        model_calls=int(calls or 0),
        prompt_tokens=int(prompt or 0),
        completion_tokens=int(completion or 0),
        cost_usd=round(float(cost), 9) if cost else None,
    )


def _trace_id(traceparent: str | None) -> str | None:
    """The trace id in a W3C ``traceparent`` (``00-<trace id>-<span id>-<flags>``)."""
    parts = (traceparent or "").split("-")
    return parts[1] if len(parts) == 4 else None


def _optional_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
