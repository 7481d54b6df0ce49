"""FastAPIProvider.events across failures: cut connections, a restarted API, a trimmed log."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from agentjobs.cli.redis_server import free_port
from agentjobs.client import ApiError, ApiUnreachable, FastAPIProvider
from agentjobs.protocol import Event
from tests.support.client import logged_ids
from tests.support.stack import (
    RedisServer,
    api_server,
    base_env,
    celery_worker,
    running,
    wait_until,
)
from tests.support.tcp_proxy import tcp_proxy

pytestmark = pytest.mark.heavy


async def test_stream_survives_cut_connections_without_gap_or_duplicate(
    api_url: str, http: httpx.AsyncClient
) -> None:
    port = int(api_url.rsplit(":", 1)[1])
    async with tcp_proxy(port) as proxy:
        provider = FastAPIProvider(proxy.url, max_backoff=0.2)
        job = await provider.start_job("chatty", {"count": 60, "pause_ms": 20})
        retries: list[BaseException] = []
        seen: list[str] = []
        async for event in provider.events(job.job_id, on_retry=lambda e, _d: retries.append(e)):
            seen.append(event.id)
            # Cut the socket three times while the job is still producing messages.
            if len(seen) in (5, 20, 35):
                assert proxy.cut() >= 1
    assert len(retries) >= 3
    assert seen == await logged_ids(http, job.job_id)
    assert len(seen) == len(set(seen)) == 63


@contextmanager
def _api_on(port: int, redis_url: str, log: Path) -> Iterator[None]:
    """An API process on a fixed port, so a restarted one is reachable at the same URL."""
    argv = [
        sys.executable,
        "-m",
        "agentjobs.cli",
        "api",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with running(argv, base_env(redis_url), log) as proc:

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                assert proc.poll() is None, f"API exited early; see {log}"
                return False

        wait_until(healthy, 30, "the restarted API's /health")
        yield
        proc.kill()  # a crash, not a graceful stop: clients see their sockets die


async def test_stream_resumes_on_a_restarted_api(
    api_url: str, http: httpx.AsyncClient, redis_srv: RedisServer, logs_dir: Path
) -> None:
    port = free_port()
    first = _api_on(port, redis_srv.url, logs_dir / "api-restart-1.log")
    second = _api_on(port, redis_srv.url, logs_dir / "api-restart-2.log")
    await asyncio.to_thread(first.__enter__)
    provider = FastAPIProvider(f"http://127.0.0.1:{port}", max_backoff=0.2)
    job = await provider.start_job("chatty", {"count": 100, "pause_ms": 20})
    seen: list[Event] = []
    ten_seen, api_down = asyncio.Event(), asyncio.Event()

    def on_retry(exc: BaseException, _delay: float) -> None:
        if isinstance(exc, ApiUnreachable):
            api_down.set()

    async def consume() -> None:
        async for event in provider.events(job.job_id, on_retry=on_retry):
            seen.append(event)
            if len(seen) == 10:
                ten_seen.set()

    consumer = asyncio.create_task(consume())
    with ExitStack() as cleanup:
        cleanup.callback(consumer.cancel)
        await ten_seen.wait()
        await asyncio.to_thread(first.__exit__, None, None, None)  # the API crashes mid-stream
        await api_down.wait()  # the provider found nothing listening and keeps retrying
        await asyncio.to_thread(cleanup.enter_context, second)
        await asyncio.wait_for(consumer, 30)
    ids = [e.id for e in seen]
    assert ids == await logged_ids(http, job.job_id)
    assert seen[-1].type == "workflow_completed" and len(ids) == 103


TRIM_ENV = {"AGENTJOBS_EVENT_LOG_MAXLEN": "100"}
"""About 100 events kept per job: most of a 1000-message job is trimmed from its log."""


async def test_a_trimmed_log_is_a_410_that_says_where_to_resume(
    isolated_db: str, logs_dir: Path
) -> None:
    with (
        api_server(isolated_db, logs_dir / "api-provider-trim.log") as api,
        celery_worker(isolated_db, logs_dir / "worker-provider-trim.log", 1, **TRIM_ENV),
    ):
        provider = FastAPIProvider(api)
        job = await provider.start_job("chatty", {"count": 1000})
        sync = provider.sync()
        await asyncio.to_thread(
            wait_until, lambda: sync.get_job(job.job_id).status.is_terminal, 30, "the job's end"
        )
        with pytest.raises(ApiError) as gone:
            await provider.read_events(job.job_id)
        assert gone.value.status_code == 410 and gone.value.resume_after is not None
        with pytest.raises(ApiError) as closed:
            async for _ in provider.events(job.job_id):
                pass
        assert closed.value.status_code == 410
        assert closed.value.resume_after == gone.value.resume_after

        resume_after = gone.value.resume_after
        rest = [e.id async for e in provider.events(job.job_id, after=resume_after)]
        kept = await provider.read_events(job.job_id, after=resume_after)
        assert rest == [e.id for e in kept.events] and 100 <= len(rest) < 1000
        assert kept.events[-1].type == "workflow_completed"
