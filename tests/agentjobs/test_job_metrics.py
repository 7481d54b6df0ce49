"""Job metrics kept in a Redis hash: what a job's end adds, and how the hash reads back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from agentjobs import job_metrics
from agentjobs.protocol import JobRecord, JobStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def record(status: JobStatus, started: float | None, finished: float | None) -> JobRecord:
    return JobRecord(
        job_id="j1",
        workflow="wf",
        user="u",
        status=status,
        created_at=T0,
        started_at=T0 + timedelta(seconds=started) if started is not None else None,
        finished_at=T0 + timedelta(seconds=finished) if finished is not None else None,
    )


def apply(hash_: dict[str, str], rec: JobRecord) -> None:
    """What the worker's HINCRBYFLOATs do."""
    for change in job_metrics.finished_increments(rec):
        hash_[change.field] = str(float(hash_.get(change.field, "0")) + change.amount)


class _Families(Collector):
    def __init__(self, raw: dict[str, str]) -> None:
        self.raw = raw

    def collect(self):  # type: ignore[no-untyped-def]
        return job_metrics.families(self.raw)


def samples(raw: dict[str, str]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    registry = CollectorRegistry()
    registry.register(_Families(raw))
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_running_job_adds_nothing() -> None:
    assert job_metrics.finished_increments(record(JobStatus.RUNNING, 1, None)) == []


def test_finished_jobs_read_back_as_counters_and_cumulative_histograms() -> None:
    raw: dict[str, str] = {}
    apply(raw, record(JobStatus.SUCCEEDED, 0.02, 3))  # ran ~3 s
    apply(raw, record(JobStatus.SUCCEEDED, 0.02, 100))  # ran ~100 s
    apply(raw, record(JobStatus.CANCELLED, None, None))  # cancelled while queued
    got = samples(raw)
    ok = (("outcome", "succeeded"), ("workflow", "wf"))
    assert got[("agentjobs_jobs_finished_total", ok)] == 2
    cancelled = (("outcome", "cancelled"), ("workflow", "wf"))
    assert got[("agentjobs_jobs_finished_total", cancelled)] == 1
    assert got[("agentjobs_job_duration_seconds_bucket", (("le", "5.0"), *ok))] == 1
    assert got[("agentjobs_job_duration_seconds_bucket", (("le", "120.0"), *ok))] == 2
    assert got[("agentjobs_job_duration_seconds_bucket", (("le", "+Inf"), *ok))] == 2
    assert got[("agentjobs_job_duration_seconds_count", ok)] == 2
    assert abs(got[("agentjobs_job_duration_seconds_sum", ok)] - (2.98 + 99.98)) < 1e-6
    # The never-started job has no duration and no queue wait.
    assert got[("agentjobs_job_queue_wait_seconds_count", (("workflow", "wf"),))] == 2


def test_a_value_above_every_bucket_lands_in_inf_only() -> None:
    raw: dict[str, str] = {}
    apply(raw, record(JobStatus.FAILED, 0, 10**6))
    got = samples(raw)
    labels = (("outcome", "failed"), ("workflow", "wf"))
    assert got[("agentjobs_job_duration_seconds_bucket", (("le", "21600.0"), *labels))] == 0
    assert got[("agentjobs_job_duration_seconds_bucket", (("le", "+Inf"), *labels))] == 1


def test_foreign_fields_do_not_break_the_scrape() -> None:
    raw = {"not json": "1", '["other",{},"count"]': "5"}
    apply(raw, record(JobStatus.SUCCEEDED, 0, 1))
    got = samples(raw)
    ok = (("outcome", "succeeded"), ("workflow", "wf"))
    assert got[("agentjobs_jobs_finished_total", ok)] == 1
    assert not any(name.startswith("other") for name, _ in got)
