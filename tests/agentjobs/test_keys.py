"""Unit tests for Redis key names in ``agentjobs.keys``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from agentjobs import keys

JOB_A = "3f2b9c1e-8d4a-4c6b-9e0f-1a2b3c4d5e6f"
JOB_B = "9a8b7c6d-0000-4000-8000-000000000001"

PER_JOB: dict[str, Callable[[str], str]] = {
    "job": keys.job,
    "events": keys.events,
    "partial": keys.partial,
    "live": keys.live,
    "reply": lambda job_id: keys.reply(job_id, "req-1"),
    "control": keys.control,
    "lease": keys.lease,
}


def _hash_tag(key: str) -> str:
    """The part of a key Redis Cluster hashes (first non-empty ``{...}``), as in the spec."""
    start = key.find("{")
    if start == -1:
        return key
    end = key.find("}", start + 1)
    if end == -1 or end == start + 1:
        return key
    return key[start + 1 : end]


@pytest.mark.parametrize("name", PER_JOB)
@pytest.mark.parametrize("job_id", [JOB_A, JOB_B, "j1"])
def test_per_job_key_has_hash_tag_once(name: str, job_id: str) -> None:
    key = PER_JOB[name](job_id)
    assert key.count(f"{{{job_id}}}") == 1
    assert key.count("{") == 1
    assert key.count("}") == 1
    assert _hash_tag(key) == job_id
    assert key.startswith(f"{keys.PREFIX}:")


def test_all_keys_of_a_job_share_one_slot_and_are_distinct() -> None:
    built = [make(JOB_A) for make in PER_JOB.values()]
    assert {_hash_tag(key) for key in built} == {JOB_A}
    assert len(set(built)) == len(built)


@pytest.mark.parametrize("name", PER_JOB)
def test_keys_differ_between_jobs(name: str) -> None:
    make = PER_JOB[name]
    assert make(JOB_A) != make(JOB_B)
    assert _hash_tag(make(JOB_A)) != _hash_tag(make(JOB_B))


def test_reply_key_depends_on_request_id() -> None:
    assert keys.reply(JOB_A, "req-1") != keys.reply(JOB_A, "req-2")
    assert _hash_tag(keys.reply(JOB_A, "req-2")) == JOB_A


@pytest.mark.parametrize("job_id", [JOB_A, JOB_B, "j1", "a:b-c"])
def test_job_id_from_live_channel_inverts_live(job_id: str) -> None:
    assert keys.job_id_from_live_channel(keys.live(job_id)) == job_id


def test_global_keys() -> None:
    assert keys.RUN_WORKFLOW_TASK == "agentjobs.run_workflow"
    assert keys.WORKFLOWS != keys.WORKERS
    assert keys.WORKFLOWS.startswith(f"{keys.PREFIX}:")
    assert keys.WORKERS.startswith(f"{keys.PREFIX}:")
    assert keys.user_jobs("alice") != keys.user_jobs("bob")
    assert "alice" in keys.user_jobs("alice")
