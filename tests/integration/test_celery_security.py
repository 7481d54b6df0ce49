"""The worker accepts JSON task messages only: a pickled message is refused and nothing runs."""

from __future__ import annotations

import pathlib
from pathlib import Path

import httpx
from celery import Celery

from agentjobs import keys
from agentjobs.connection import connect
from agentjobs.settings import RedisSettings
from backend.store import JobStore
from tests.support.client import job_socket, start_job
from tests.support.stack import RedisServer, wait_until

REFUSAL = "Refusing to deserialize untrusted content of type pickle"


class TouchOnUnpickle:
    """Unpickling this creates ``path``: proof that the worker never unpickled it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return pathlib.Path.touch, (self.path,)


def pickle_producer(redis_url: str) -> Celery:
    """A Celery client configured, unlike agentjobs, to send pickle."""
    app = Celery("attacker", broker=redis_url)
    app.conf.update(task_serializer="pickle", accept_content=["pickle", "json"])
    return app


async def test_a_pickled_task_is_refused_and_nothing_runs(
    redis_srv: RedisServer,
    worker_proc: None,
    logs_dir: Path,
    tmp_path: Path,
    http: httpx.AsyncClient,
    api_url: str,
) -> None:
    worker_log = logs_dir / "worker.log"
    log_start = len(worker_log.read_text())
    redis = connect(RedisSettings(redis_url=redis_srv.url))
    store = JobStore(redis, RedisSettings(redis_url=redis_srv.url))
    try:
        # A real queued job, with no JSON task sent for it: only the pickled one could start it.
        job_id = "pickled" + tmp_path.name.replace("_", "")[-20:]
        await store.create(job_id, "chatty", {"count": 1}, "mallory")
        marker = tmp_path / "unpickled"
        producer = pickle_producer(redis_srv.url)
        try:
            for args in ([job_id, "chatty"], [job_id, TouchOnUnpickle(marker)]):
                producer.send_task(
                    keys.RUN_WORKFLOW_TASK, args=args, queue="agentjobs", serializer="pickle"
                )
        finally:
            producer.close()

        def refusals() -> int:
            return worker_log.read_text()[log_start:].count(REFUSAL)

        wait_until(lambda: refusals() >= 2, 15, "the worker to refuse both pickled messages")
        refused = worker_log.read_text()[log_start:]
        assert "ContentDisallowed" in refused
        assert "application/x-python-serialize" in refused

        # The worker is alive and past those messages: a JSON job runs to the end.
        after = await start_job(http, "chatty", count=1)
        async with job_socket(api_url, after) as ws:
            assert (await ws.until_end())["type"] == "workflow_completed"

        record = await store.get(job_id)
        assert record is not None
        assert (record.status, record.started_at, record.worker) == ("queued", None, None)
        events = (await store.read_page(job_id, "0", None)).events
        assert [event.type for event in events] == ["job_queued"]
        assert not marker.exists()
        assert f"run_workflow[{job_id}]" not in worker_log.read_text()[log_start:]
    finally:
        await store.cancel(job_id, by="test")
        await redis.aclose()
