"""The blocking provider (FastAPIProvider.sync()) against a real API, worker and Redis."""

from __future__ import annotations

import pytest

from agentjobs.client import ApiError, FastAPIProvider
from agentjobs.protocol import Event, TextInput


def test_sync_provider_polls_a_job_to_its_end(api_url: str) -> None:
    sync = FastAPIProvider(api_url).sync()
    assert "chatty" in {w.name for w in sync.list_workflows()}
    job = sync.start_job("learning_chat", {"turns": 2})
    events: list[Event] = []
    while not events or events[-1].type != "workflow_completed":
        batch = sync.poll_events(job.job_id, events[-1].id if events else "0", wait=5)
        assert batch, "no event within 5 s"
        events += batch
        if isinstance(batch[-1], TextInput):
            # Nothing happens until the question is answered: a short poll comes back empty.
            assert sync.poll_events(job.job_id, batch[-1].id, wait=0.2) == []
            sync.answer(job.job_id, batch[-1].request_id, "prime numbers")
    ids = [e.id for e in events]
    # Stream chunks were live previews: the log keeps the complete messages only.
    logged = [e.id for e in events if e.type != "stream_chunk"]
    assert logged == [e.id for e in sync.read_events(job.job_id).events]
    assert sync.get_job(job.job_id).status == "succeeded"
    # The job is over and fully read: polling after its last event returns at once.
    assert sync.poll_events(job.job_id, ids[-1], wait=30) == []
    assert job.job_id in {j.job_id for j in sync.list_jobs().jobs}
    assert sync.health()["status"] == "ok"


async def test_sync_provider_works_inside_a_running_loop(api_url: str) -> None:
    # Mesop may call handlers from a thread that runs a loop; the wrapper must not refuse.
    sync = FastAPIProvider(api_url).sync()
    assert sync.health()["status"] == "ok"
    with pytest.raises(ApiError) as missing:
        sync.cancel("no-such-job")
    assert missing.value.status_code == 404


def test_sync_provider_filters_and_deletes(api_url: str) -> None:
    sync = FastAPIProvider(api_url).sync()
    job = sync.start_job("chatty", {"count": 1})
    events: list[Event] = []
    while not events or events[-1].type != "workflow_completed":
        batch = sync.poll_events(job.job_id, events[-1].id if events else "0", wait=5)
        assert batch, "no event within 5 s"
        events += batch
    # Newest first: the job just made leads the filtered page.
    assert sync.list_jobs(limit=1, status="succeeded").jobs[0].job_id == job.job_id
    assert all(j.status == "succeeded" for j in sync.list_jobs(status=["succeeded"]).jobs)
    sync.delete_job(job.job_id)
    with pytest.raises(ApiError) as missing:
        sync.get_job(job.job_id)
    assert missing.value.status_code == 404
