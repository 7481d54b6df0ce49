"""HTTP bodies of the API: catalog entries, job creation, answers, records and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from agentjobs.protocol.events import (
    Event,
    FailureReason,
    InputRequest,
    JobStatus,
    _Frame,
)
from agentjobs.protocol.utf8 import CheckedAnswer, Utf8Json, Utf8Str
from agentjobs.protocol.webhooks import WebhookUrl

# HTTP bodies.


class WorkflowVersionInfo(_Frame):
    """One version of a workflow in ``GET /workflows``: who serves it, what still needs it."""

    version: str
    workers: int = 0
    """Live workers serving this version (heartbeat within ``AGENTJOBS_WORKER_SEEN_SECONDS``)."""
    unfinished: int = 0
    """Jobs pinned to this version that have not ended (queued, running, waiting, suspended):
    while it is above 0, a worker of this version may still be needed."""
    last_seen: datetime | None = None
    """The last heartbeat of a worker serving this version."""


class WorkflowInfo(_Frame):
    """One catalog entry: what a worker published, and (in ``GET /workflows``) who serves it."""

    name: str
    description: str
    params_schema: dict[str, Any]
    version: str = "1"
    """The version new jobs run on (the newest live one; with none live, the newest published).
    Description and params schema are that version's."""
    versions: list[WorkflowVersionInfo] = Field(default_factory=list)
    """Every version published and not forgotten, oldest first (``GET /workflows`` only)."""
    workers: int = 0
    """How many live workers serve the workflow (heartbeat within the API's
    ``AGENTJOBS_WORKER_SEEN_SECONDS``)."""
    available: bool = True
    """False when no live worker serves it: a job for it is accepted and waits for a worker."""
    last_seen: datetime | None = None
    """The last heartbeat of a worker serving it (null: no worker recorded one)."""


class Budget(_Frame):
    """What one job may spend on models; each limit is checked before every model call."""

    max_tokens: int | None = Field(default=None, ge=1)
    """Prompt plus completion tokens."""
    max_cost_usd: float | None = Field(default=None, gt=0)
    """Cost in USD (counted only for models with a price in ``AGENTJOBS_MODEL_PRICES``)."""
    max_model_calls: int | None = Field(default=None, ge=1)
    """Model calls (a retried call counts once)."""

    def over(self, default: Budget | None) -> Budget:
        """This budget with every limit it leaves out taken from ``default``."""
        if default is None:
            return self
        given = self.model_dump(exclude_none=True)
        return default.model_copy(update=given)


class Usage(_Frame):
    """What a job's model calls used so far."""

    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    """Null while no call was to a model with a known price."""

    @property
    def tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def summary(self) -> str:
        """One line for people: ``4 model calls, 1,200 tokens (900 prompt + 300 completion),
        $0.0012`` (the cost only when known)."""
        calls = f"{self.model_calls} model call{'' if self.model_calls == 1 else 's'}"
        tokens = (
            f"{self.tokens:,} tokens ({self.prompt_tokens:,} prompt + "
            f"{self.completion_tokens:,} completion)"
        )
        cost = "" if self.cost_usd is None else f", ${self.cost_usd:.4f}"
        return f"{calls}, {tokens}{cost}"


class JobCreate(_Frame):
    """Body of ``POST /jobs``."""

    workflow: Utf8Str
    params: Utf8Json = Field(default_factory=dict)
    webhook_url: WebhookUrl | None = None
    """Where this job's webhooks also go (besides ``AGENTJOBS_WEBHOOK_URL``), signed with the
    deployment's ``AGENTJOBS_WEBHOOK_SECRET``; a URL that is not http(s) is a 422."""
    budget: Budget | None = None
    """Limits on the job's model use; a limit left out is the workflow's default, if any."""


class InputAnswer(_Frame):
    """Body of ``POST /jobs/{id}/input``."""

    request_id: Utf8Str
    value: CheckedAnswer


class JobRecord(_Frame):
    """Everything known about one job."""

    job_id: str
    workflow: str
    params: dict[str, Any] = Field(default_factory=dict)
    user: str
    status: JobStatus
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    worker: str | None = None
    workflow_version: str | None = None
    """The version of the workflow the job is pinned to: the newest live one when it was
    created, else the version of the worker that started it (null until then)."""
    attempt: int = 0
    pending: InputRequest | None = None
    suspended: bool = False
    """True while the job waits for a human with no worker holding it (see durable runs)."""
    waiting_for_worker: bool = False
    """True when the job was queued while no live worker served its workflow, until one
    starts it."""
    result: Any = None
    error: str | None = None
    reason: FailureReason | None = None
    trace_id: str | None = None
    """The job's OpenTelemetry trace (32 hex digits) when the API exports traces: every run
    attempt, model call and wait of the job is in it (docs/operations.md, *Traces*)."""
    traceparent: str | None = None
    """The W3C ``traceparent`` of the request that created the job; run attempts join it."""
    last_event_id: str | None = None
    budget: Budget | None = None
    """The limits given in ``POST /jobs`` (the workflow's defaults fill in the rest)."""
    usage: Usage = Field(default_factory=Usage)


class JobCreated(_Frame):
    """Answer of ``POST /jobs``: the new job and where to follow it."""

    job_id: str
    status: JobStatus
    workflow: str
    events_url: str
    ws_url: str


class EventPage(_Frame):
    """Answer of ``GET /jobs/{id}/events``: events after a cursor, oldest first."""

    events: list[Event]
    next_after: str | None
    """Pass as ``after`` to read the next page; null when this page reached the end of the log."""


class UsageRow(_Frame):
    """One group of ``GET /usage``: a user, a workflow or a model, and what it used."""

    key: str
    """The user, workflow or model name."""
    model_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    """Cost of the calls to models with a known price; null when none of them had one."""


class UsageReport(_Frame):
    """Answer of ``GET /usage``: the caller's model use since a UTC day, grouped."""

    since: str
    """The first UTC day counted (``YYYY-MM-DD``)."""
    group_by: str
    rows: list[UsageRow]


class JobList(_Frame):
    """One page of the caller's jobs, newest first."""

    jobs: list[JobRecord]
    total: int
    offset: int
    limit: int
