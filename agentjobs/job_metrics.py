"""Deployment-wide job metrics kept in one Redis hash: workers count job ends, the API reports them.

Workers come and go (and scale with ``--scale worker=N`` or across hosts), so they do not serve
metrics themselves: the script that ends a job (a worker's last event, a cancel, the reaper)
adds it to the ``keys.METRICS`` hash in the same atomic step, and every API process turns that
hash into Prometheus counters and histograms at scrape time. The numbers
are the same on every API process; see docs/operations.md.

A field of the hash is the JSON array ``[metric, {labels}, part]``; histogram buckets are stored
non-cumulative (one ``HINCRBY`` per observation) and summed up when read.
"""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

from agentjobs.protocol import JobRecord, JobStatus

JOBS_FINISHED = "agentjobs_jobs_finished"
JOB_DURATION = "agentjobs_job_duration_seconds"
JOB_QUEUE_WAIT = "agentjobs_job_queue_wait_seconds"

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600)
"""Seconds from start to end; workflows that wait for humans run for minutes or hours."""
QUEUE_WAIT_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800)
"""Seconds from ``POST /jobs`` to a worker starting the job: the sign of too few workers."""

_DOCS = {
    JOBS_FINISHED: "Jobs that reached a final state, by workflow and outcome",
    JOB_DURATION: "Run time of finished jobs (start to end, human waits included)",
    JOB_QUEUE_WAIT: "Time finished jobs spent queued before a worker started them",
}
_BUCKETS = {JOB_DURATION: DURATION_BUCKETS, JOB_QUEUE_WAIT: QUEUE_WAIT_BUCKETS}


def field(metric: str, labels: Mapping[str, str], part: str) -> str:
    """The hash field of one counter or histogram part (``count``, ``sum``, ``bucket:<i>``)."""
    return json.dumps([metric, dict(sorted(labels.items())), part], separators=(",", ":"))


@dataclass(frozen=True)
class Increment:
    """One change to the metrics hash."""

    field: str
    amount: float


def _observe(metric: str, labels: Mapping[str, str], value: float) -> list[Increment]:
    index = bisect.bisect_left(_BUCKETS[metric], value)  # len(buckets) is the +Inf bucket
    return [
        Increment(field(metric, labels, f"bucket:{index}"), 1),
        Increment(field(metric, labels, "sum"), value),
    ]


def finished_increments(record: JobRecord) -> list[Increment]:
    """What a job's end adds to the metrics hash; nothing while the job is not finished."""
    if not record.status.is_terminal:
        return []
    outcome = {"workflow": record.workflow, "outcome": record.status.value}
    changes = [Increment(field(JOBS_FINISHED, outcome, "count"), 1)]
    by_workflow = {"workflow": record.workflow}
    if record.started_at is not None:
        queued = (record.started_at - record.created_at).total_seconds()
        changes += _observe(JOB_QUEUE_WAIT, by_workflow, max(queued, 0.0))
        if record.finished_at is not None:
            ran = (record.finished_at - record.started_at).total_seconds()
            changes += _observe(JOB_DURATION, outcome, max(ran, 0.0))
    return changes


def end_increments(
    record: JobRecord | None, status: JobStatus, finished_at: datetime
) -> dict[str, str]:
    """What ending ``record`` with ``status`` at ``finished_at`` adds to the metrics hash, as
    the field/amount pairs a terminal script applies (nothing when there is no record)."""
    if record is None:
        return {}
    ended = record.model_copy(update={"status": status, "finished_at": finished_at})
    return {change.field: repr(change.amount) for change in finished_increments(ended)}


def families(raw: Mapping[str, str]) -> list[Metric]:
    """Prometheus metric families from the metrics hash as read with ``HGETALL``."""
    counts: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
    buckets: dict[str, dict[tuple[tuple[str, str], ...], list[float]]] = defaultdict(dict)
    sums: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
    for key, value in raw.items():
        try:
            metric, labels, part = json.loads(key)
        except (ValueError, TypeError):
            continue  # not ours: ignore rather than break the scrape
        label_key = tuple(sorted(labels.items()))
        if metric in _BUCKETS and part.startswith("bucket:"):
            slots = buckets[metric].setdefault(label_key, [0.0] * (len(_BUCKETS[metric]) + 1))
            index = int(part.removeprefix("bucket:"))
            if 0 <= index < len(slots):
                slots[index] += float(value)
        elif metric in _BUCKETS and part == "sum":
            sums[metric][label_key] = float(value)
        elif metric == JOBS_FINISHED and part == "count":
            counts[metric][label_key] = float(value)
    histograms = (JOB_DURATION, JOB_QUEUE_WAIT)
    return [_counter(counts[JOBS_FINISHED])] + [
        _histogram(metric, buckets[metric], sums[metric]) for metric in histograms
    ]


def _counter(values: Mapping[tuple[tuple[str, str], ...], float]) -> CounterMetricFamily:
    family = CounterMetricFamily(
        JOBS_FINISHED, _DOCS[JOBS_FINISHED], labels=["workflow", "outcome"]
    )
    for labels, value in sorted(values.items()):
        named = dict(labels)
        family.add_metric([named.get("workflow", ""), named.get("outcome", "")], value)
    return family


def _histogram(
    metric: str,
    per_labels: Mapping[tuple[tuple[str, str], ...], list[float]],
    sums: Mapping[tuple[tuple[str, str], ...], float],
) -> HistogramMetricFamily:
    names = ["workflow", "outcome"] if metric == JOB_DURATION else ["workflow"]
    family = HistogramMetricFamily(metric, _DOCS[metric], labels=names)
    for labels, slots in sorted(per_labels.items()):
        named = dict(labels)
        family.add_metric(
            [named.get(name, "") for name in names],
            buckets=list(_cumulative(_BUCKETS[metric], slots)),
            sum_value=sums.get(labels, 0.0),
        )
    return family


def _cumulative(bounds: Iterable[float], slots: list[float]) -> Iterable[tuple[str, float]]:
    total = 0.0
    for bound, count in zip([*map(str, map(float, bounds)), "+Inf"], slots, strict=True):
        total += count
        yield bound, total
