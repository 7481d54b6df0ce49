"""``agentjobs flower`` next to the session's real worker: jobs are recognisable in Flower's API."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentjobs import keys
from agentjobs.cli.redis_server import free_port
from tests.support.client import job_socket, start_job
from tests.support.stack import (
    ROOT,
    RedisServer,
    api_server,
    base_env,
    celery_worker,
    redis_server,
    running,
    wait_until,
)

LOGIN = ("ops", "flower-test-secret")


@dataclass(frozen=True)
class Flower:
    """A running Flower with basic auth."""

    url: str

    def get(self, path: str, auth: tuple[str, str] | None = LOGIN) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", auth=auth, timeout=10)

    def json(self, path: str) -> Any:
        response = self.get(path)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, logs_dir: Path) -> Iterator[tuple[str, str]]:
    """A Redis, worker and API of this module's own (Redis URL, API URL): Flower sees only its
    events, not the rest of the suite's (in a full run it missed this module's task events on
    the shared stack, twice; alone it never did)."""
    with (
        redis_server(tmp_path_factory.mktemp("flower-redis")) as redis,
        celery_worker(redis.url, logs_dir / "worker-flower.log", concurrency=2),
        api_server(redis.url, logs_dir / "api-flower.log") as api,
    ):
        yield redis.url, api


@pytest.fixture(scope="module")
def flower(stack: tuple[str, str], logs_dir: Path) -> Iterator[Flower]:
    port = free_port()
    argv = [sys.executable, "-m", "agentjobs.cli", "flower", "--port", str(port)]
    env = base_env(stack[0], FLOWER_BASIC_AUTH=":".join(LOGIN))
    with running(argv, env, logs_dir / "flower.log") as proc:
        server = Flower(f"http://127.0.0.1:{port}")

        def events_flowing() -> bool:
            # Flower's own metrics count the events it consumed: once the session worker's
            # heartbeats show up there (a worker online), no task event of ours can be missed.
            if proc.poll() is not None:
                raise RuntimeError(f"flower exited early; see {logs_dir / 'flower.log'}")
            try:
                return "flower_worker_online{" in server.get("/metrics", auth=None).text
            except httpx.HTTPError:
                return False

        wait_until(events_flowing, 30, "Flower to receive the worker's events")
        yield server


def _task(flower: Flower, job_id: str) -> dict[str, Any] | None:
    tasks = flower.json(f"/api/tasks?taskname={keys.run_task_label('learning_chat')}")
    found: dict[str, Any] | None = tasks.get(job_id)
    return found


def _state(flower: Flower, job_id: str) -> str:
    state: str = flower.json(f"/api/task/result/{job_id}")["state"]
    return state


async def test_a_job_shows_in_flower_with_its_workflow_and_waiting_state(
    flower: Flower, stack: tuple[str, str]
) -> None:
    api_url = stack[1]
    async with httpx.AsyncClient(base_url=api_url, timeout=10) as http:
        await _a_job_shows_in_flower(flower, http, api_url)


async def _a_job_shows_in_flower(flower: Flower, http: httpx.AsyncClient, api_url: str) -> None:
    job_id = await start_job(http, "learning_chat")
    async with job_socket(api_url, job_id) as ws:
        question = await ws.until("text_input")

        wait_until(lambda: _task(flower, job_id) is not None, 15, "the task in Flower's list")
        task = _task(flower, job_id)
        assert task is not None
        # The task list names the workflow (Celery's shadow name): no need to open the task.
        assert task["name"] == "agentjobs.run_workflow:learning_chat"
        assert job_id in task["args"] and "learning_chat" in task["args"]
        assert task["worker"].startswith("agentjobs-")

        # The task mirrors the job in the result backend while it waits for the human.
        wait_until(lambda: _state(flower, job_id) == "AWAITING_INPUT", 15, "AWAITING_INPUT")
        assert flower.json(f"/api/task/result/{job_id}")["task-id"] == job_id

        await ws.send({"type": "input", "request_id": question["request_id"], "value": "tides"})
        end = await ws.until_end()
    assert end["type"] == "workflow_completed"
    wait_until(lambda: _state(flower, job_id) == "SUCCESS", 15, "SUCCESS in Flower")


def test_flower_api_needs_the_login(flower: Flower) -> None:
    assert flower.get("/api/workers", auth=None).status_code == 401
    assert flower.get("/api/workers", auth=("ops", "wrong")).status_code == 401
    workers = flower.json("/api/workers?refresh=1")
    assert any(name.startswith("agentjobs-") for name in workers), workers


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "FLOWER_BASIC_AUTH"),
        (["--basic-auth", "no-password"], {}, "user:password"),
        ([], {"FLOWER_BASIC_AUTH": "admin:"}, "user:password"),
    ],
)
def test_flower_refuses_to_start_without_credentials(
    redis_srv: RedisServer, tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    inherited = base_env(redis_srv.url, PYTHONPATH=str(ROOT), COLUMNS="200")
    child_env = {k: v for k, v in inherited.items() if not k.startswith("FLOWER_")} | env
    done = subprocess.run(
        [sys.executable, "-m", "agentjobs.cli", "flower", "--port", str(free_port()), *args],
        cwd=tmp_path,  # away from any developer .env
        env=child_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert message in done.stderr
    assert "Visit me" not in done.stdout + done.stderr  # Flower itself never started
