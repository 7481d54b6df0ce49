"""Every Redis key name and the Celery task name, built in one place.

The braces are literal: ``{<job id>}`` is a Redis Cluster hash tag, so all keys of one job live
in one slot.
"""

from __future__ import annotations

import hashlib

PREFIX = "agentjobs"
RUN_WORKFLOW_TASK = "agentjobs.run_workflow"
"""The one Celery task; the API sends it by this name and never imports worker code."""

WORKFLOWS = f"{PREFIX}:workflows"
"""Hash: workflow name -> catalog entry JSON (with its params schema) of every workflow a worker
ever published; which workers serve it now is in ``workflow_workers(name)``."""
WORKERS = f"{PREFIX}:workers"
"""Hash: worker name -> last heartbeat (epoch seconds)."""
HEALTH_PROBE = f"{PREFIX}:health-probe"
"""Never created: ``/health`` sends it ``SET ... XX``, refused when Redis is full, else a no-op."""
INPUT_DEADLINES = f"{PREFIX}:input-deadlines"
"""Sorted set: suspended job id -> when its pending question times out (epoch ms)."""
LEASES = f"{PREFIX}:leases"
"""Sorted set: running job id -> its lease deadline (ms, Redis clock); the reaper's index."""
CELERY_QUEUE = "agentjobs"
"""The default Celery queue every worker consumes (tasks sent without a route; run tasks sent
there by an older API are forwarded to their workflow's queue). With the Redis broker a queue's
backlog is a list of the queue's name."""
WORKFLOW_QUEUE_PREFIX = f"{PREFIX}.wf."
"""Run tasks go to ``agentjobs.wf.<workflow>``, consumed only by workers serving that workflow."""
SENDING = f"{PREFIX}:sending"
"""Sorted set: id of a created job whose task may not have reached the broker yet -> when the
reaper sends it again (epoch ms, Redis clock); removed once the broker took the task."""
CELERY_UNACKED = "unacked"
"""kombu's hash (Redis transport): delivery tag -> ``[message, exchange, routing_key]`` of every
message delivered to a worker and not acked yet (for run tasks: reserved, not started)."""
METRICS = f"{PREFIX}:metrics"
"""Hash: deployment-wide job metrics, added to by the scripts that end jobs, read by
the API's ``/metrics`` (``agentjobs.job_metrics``)."""


UNFINISHED = f"{PREFIX}:unfinished"
"""Hash: ``version_field(workflow, version)`` -> how many jobs pinned to that version have not
ended. The scripts keep it (``count_unfinished`` in ``agentjobs/scripts/prelude.py`` builds the
same field from the record): +1 when a job is pinned to a version, -1 at its end."""


def version_field(workflow: str, version: str) -> str:
    """``<workflow>@<version>``: a workflow version's field in ``UNFINISHED`` (and queue suffix)."""
    return f"{workflow}@{version}"


def workflow_queue(workflow: str, version: str | None = None) -> str:
    """The Celery queue of one workflow's run tasks, or of one version's.

    ``agentjobs.wf.<workflow>@<version>`` is consumed only by workers serving that version (the
    jobs pinned to it: new jobs while it is the newest served, and every replay);
    ``agentjobs.wf.<workflow>`` by every worker of the workflow (jobs not pinned yet).
    """
    name = workflow if version is None else version_field(workflow, version)
    return f"{WORKFLOW_QUEUE_PREFIX}{name}"


def run_task_label(workflow: str) -> str:
    """The name a run task shows in Flower and Celery's logs (Celery's ``shadow``)."""
    return f"{RUN_WORKFLOW_TASK}:{workflow}"


def workflow_workers(workflow: str) -> str:
    """Sorted set: worker name -> its last heartbeat (epoch seconds) while serving ``workflow``."""
    return f"{PREFIX}:workflow:{workflow}:workers"


def workflow_versions(workflow: str) -> str:
    """Hash: version -> catalog entry JSON of every version of ``workflow`` a worker published."""
    return f"{PREFIX}:workflow:{workflow}:versions"


def version_workers(workflow: str, version: str) -> str:
    """Sorted set: worker name -> its last heartbeat (epoch seconds) while serving that version."""
    return f"{PREFIX}:workflow:{workflow}:version:{version}:workers"


def job(job_id: str) -> str:
    """Hash holding the job record."""
    return f"{PREFIX}:job:{{{job_id}}}"


def events(job_id: str) -> str:
    """Stream holding the job's event log; entry id = event cursor."""
    return f"{job(job_id)}:events"


def partial(job_id: str) -> str:
    """Stream of the stream chunks of messages still being generated (not the event log): the
    emit script drops a sender's chunks once its complete message is logged; entry ids share
    the log's id space, so chunks and logged events interleave by cursor."""
    return f"{job(job_id)}:partial"


def journal(job_id: str) -> str:
    """List of the outside results the job's workflow received, in order (for replay)."""
    return f"{job(job_id)}:journal"


def live(job_id: str) -> str:
    """Pub/sub channel carrying each event right after it is appended."""
    return f"{job(job_id)}:live"


def reply(job_id: str, request_id: str) -> str:
    """List the API pushes the human's answer onto; the worker pops it."""
    return f"{job(job_id)}:reply:{request_id}"


def control(job_id: str) -> str:
    """List of control commands (``cancel``) for the worker running the job."""
    return f"{job(job_id)}:control"


def lease(job_id: str) -> str:
    """String with a TTL, refreshed by the worker while it runs the job."""
    return f"{job(job_id)}:lease"


def user_jobs(user: str) -> str:
    """Sorted set of a user's job ids scored by creation time."""
    return f"{PREFIX}:user:{user}:jobs"


def user_active(user: str) -> str:
    """Set of the user's possibly active job ids (the create script prunes finished ones)."""
    return f"{PREFIX}:user:{user}:active"


def user_sockets(user: str) -> str:
    """Sorted set: one member per job WebSocket the user has open, scored by when it lapses
    (ms, Redis clock) unless its API process renews it; the per-user socket cap counts it."""
    return f"{PREFIX}:user:{user}:sockets"


def user_inbox(user: str) -> str:
    """Sorted set: id of each job whose pending request is ``user``'s to answer -> when it was
    asked (epoch ms, Redis clock). The scripts that set and clear a pending request keep it."""
    return f"{PREFIX}:user:{user}:inbox"


def user_inbox_live(user: str) -> str:
    """Pub/sub channel nudged whenever ``user_inbox(user)`` changes (``WS /inbox/ws``)."""
    return f"{user_inbox(user)}:live"


def request_job(request_id: str) -> str:
    """String: the job a request was asked in (``POST /inbox/{request_id}`` finds it here); it
    lapses with the job's retention."""
    return f"{PREFIX}:request:{request_id}"


def user_create_rate(user: str) -> str:
    """String: the user's theoretical arrival time (ms, Redis clock) for the create rate."""
    return f"{PREFIX}:user:{user}:create-rate"


def agui_thread(user: str, thread_id: str) -> str:
    """Hash: the job an AG-UI thread of ``user`` runs and where its current run starts.

    The thread id is the client's own text (any length): it is hashed into the name.
    """
    digest = hashlib.sha256(thread_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{PREFIX}:user:{user}:agui-thread:{digest}"


def job_key_affixes() -> tuple[str, str]:
    """The text before and after the id in ``job()``, for scripts that build job keys from ids."""
    before, _, after = job("\0").partition("\0")
    return before, after


def inbox_key_affixes() -> tuple[str, str]:
    """The text before and after the user in ``user_inbox()``, for scripts that build it."""
    before, _, after = user_inbox("\0").partition("\0")
    return before, after


def job_id_from_live_channel(channel: str) -> str:
    """Invert ``live()``: the job id inside a live channel name."""
    start = channel.index("{") + 1
    return channel[start : channel.index("}", start)]


def user_day_usage(user: str, day: str) -> str:
    """Hash: what ``user``'s model calls used on the UTC ``day`` (``YYYY-MM-DD``): totals
    ``calls``, ``tokens``, ``cost`` (the daily budgets read them) and, for ``GET /usage``, field
    ``[workflow, model, counter]`` JSON -> amount (``agentjobs/scripts/usage.py`` adds both)."""
    return f"{PREFIX}:user:{user}:usage:{day}"


def model_rate(model: str) -> str:
    """String: the model's next free request slot (ms, Redis clock), the global request limit."""
    return f"{PREFIX}:model:{model}:requests"


def model_tokens(model: str) -> str:
    """String: when the model's token debt is paid off (ms, Redis clock), the token limit."""
    return f"{PREFIX}:model:{model}:tokens"


DELIVER_WEBHOOK_TASK = "agentjobs.deliver_webhook"
"""The Celery task that makes one attempt at one webhook delivery."""
WEBHOOK_QUEUE = "agentjobs.webhooks"
"""The queue of webhook deliveries (every worker consumes it unless told otherwise)."""
WEBHOOKS_DUE = f"{PREFIX}:webhooks:due"
"""Sorted set: ``webhook_due_member(job, id)`` of each unfinished delivery -> when its next
attempt is due (epoch ms, Redis clock); a claimed one is pushed ahead by the claim's lease."""


def job_webhooks(job_id: str) -> str:
    """Sorted set: the job's webhook ids -> when each was recorded (epoch ms)."""
    return f"{job(job_id)}:webhooks"


def webhook(job_id: str, webhook_id: str) -> str:
    """Hash: one delivery (target, url, body, status, attempts, last error)."""
    return f"{job(job_id)}:webhook:{webhook_id}"


def webhook_due_member(job_id: str, webhook_id: str) -> str:
    """A delivery's member in ``WEBHOOKS_DUE``; ``split(" ")`` gives the two back."""
    return f"{job_id} {webhook_id}"
