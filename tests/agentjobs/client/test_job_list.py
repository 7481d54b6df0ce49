"""The job list through FastAPIProvider: filtering by status and deleting finished jobs.

A user of its own (a token for this module's API on the session Redis and worker), so the list
holds only the jobs made here.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from agentjobs.client import ApiError, FastAPIProvider
from agentjobs.protocol import JobStatus, TextInput
from tests.support.stack import RedisServer, api_server

TOKEN = f"lister-{secrets.token_urlsafe(8)}"


@pytest.fixture(scope="module")
def lister_api(redis_srv: RedisServer, worker_proc: None, logs_dir: Path) -> Iterator[str]:
    """An API where ``TOKEN`` belongs to a user with no jobs yet."""
    user = f"lister{secrets.token_hex(4)}"
    env = {"AGENTJOBS_API_TOKENS": f"{TOKEN}:{user}"}
    with api_server(redis_srv.url, logs_dir / "api-job-list.log", **env) as url:
        yield url


@pytest.fixture
async def provider(lister_api: str) -> AsyncIterator[FastAPIProvider]:
    async with FastAPIProvider(lister_api, token=TOKEN) as client:
        yield client


async def _finished(provider: FastAPIProvider, workflow: str = "chatty") -> str:
    job = await provider.start_job(workflow, {"count": 1})
    async for _ in provider.events(job.job_id):
        pass
    return job.job_id


async def _waiting(provider: FastAPIProvider) -> str:
    job = await provider.start_job("learning_chat")
    async for event in provider.events(job.job_id):
        if isinstance(event, TextInput):
            break
    return job.job_id


async def test_the_list_filters_by_one_or_several_statuses(
    provider: FastAPIProvider, lister_api: str
) -> None:
    old_done = await _finished(provider)
    waiting = await _waiting(provider)
    cancelled = await _waiting(provider)
    await provider.cancel(cancelled)
    new_done = await _finished(provider)
    try:
        done = await provider.list_jobs(status="succeeded")
        assert [j.job_id for j in done.jobs] == [new_done, old_done] and done.total == 2
        ended = await provider.list_jobs(status=[JobStatus.SUCCEEDED, "cancelled"])
        assert [j.job_id for j in ended.jobs] == [new_done, cancelled, old_done]
        assert ended.total == 3
        # Paging counts and slices the matching jobs only.
        page = await provider.list_jobs(offset=1, limit=1, status=("succeeded", "cancelled"))
        assert ([j.job_id for j in page.jobs], page.total) == ([cancelled], 3)
        asking = await provider.list_jobs(status=JobStatus.AWAITING_INPUT)
        assert [j.job_id for j in asking.jobs] == [waiting] and asking.total == 1
        assert (await provider.list_jobs()).total == 4
        assert (await provider.list_jobs(status="queued")).jobs == []

        # On the wire: a comma list and repeated parameters mean the same.
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with httpx.AsyncClient(base_url=lister_api, headers=headers) as http:
            comma = (await http.get("/jobs?status=succeeded,awaiting_input")).json()
            repeated = (await http.get("/jobs?status=succeeded&status=awaiting_input")).json()
        assert comma == repeated
        assert [j["job_id"] for j in comma["jobs"]] == [new_done, waiting, old_done]
    finally:
        await provider.cancel(waiting)  # it holds one of the session worker's threads


async def test_an_unknown_status_is_a_422_naming_the_allowed_ones(
    provider: FastAPIProvider,
) -> None:
    with pytest.raises(ApiError) as unknown:
        await provider.list_jobs(status=["succeeded", "done"])
    assert unknown.value.status_code == 422
    assert "unknown status 'done'" in unknown.value.message
    assert "allowed: queued, running, awaiting_input, succeeded, failed, cancelled" in (
        unknown.value.message
    )
    with pytest.raises(ApiError) as empty_part:
        await provider.list_jobs(status="succeeded,")
    assert empty_part.value.status_code == 422


async def test_deleting_a_finished_job_removes_it_with_its_log(
    provider: FastAPIProvider, redis_srv: RedisServer
) -> None:
    job_id = await _finished(provider)
    kept = await _finished(provider)
    redis = Redis.from_url(redis_srv.url, decode_responses=True)
    try:
        assert [key async for key in redis.scan_iter(match=f"*{{{job_id}}}*")]
        assert await provider.delete_job(job_id) is None
        assert [key async for key in redis.scan_iter(match=f"*{{{job_id}}}*")] == []
    finally:
        await redis.aclose()
    for gone in (provider.get_job(job_id), provider.read_events(job_id)):
        with pytest.raises(ApiError) as missing:
            await gone
        assert missing.value.status_code == 404
    with pytest.raises(ApiError) as socket_missing:
        async for _ in provider.events(job_id):
            pass
    assert socket_missing.value.status_code == 404
    listed = {j.job_id for j in (await provider.list_jobs(limit=200)).jobs}
    assert kept in listed and job_id not in listed
    with pytest.raises(ApiError) as again:
        await provider.delete_job(job_id)
    assert again.value.status_code == 404


async def test_an_unfinished_job_is_not_deleted(provider: FastAPIProvider) -> None:
    waiting = await _waiting(provider)
    try:
        with pytest.raises(ApiError) as refused:
            await provider.delete_job(waiting)
        assert refused.value.status_code == 409 and "cancel it first" in refused.value.message
        assert (await provider.get_job(waiting)).status == "awaiting_input"
    finally:
        await provider.cancel(waiting)
    await provider.delete_job(waiting)  # cancelled is finished
    with pytest.raises(ApiError) as missing:
        await provider.get_job(waiting)
    assert missing.value.status_code == 404
