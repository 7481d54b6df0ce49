"""Real processes for integration tests: a private Redis, Celery workers and uvicorn API servers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from agentjobs.cli.redis_server import free_port, redis_answers, start_redis
from backend.routes.health import NO_CATALOG

ROOT = Path(__file__).resolve().parents[2]
TEST_WORKFLOWS = "tests.support.workflows:registry"
"""The examples plus the suite's own edge-case workflows."""


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def base_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a child process: this one, minus model keys, plus agentjobs settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTJOBS_", "OPENAI_"))}
    env.update({"AGENTJOBS_REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1", **extra})
    return env


@contextmanager
def running(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run a child process with its output in ``log``; terminate (then kill) it afterwards."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass(frozen=True)
class RedisServer:
    """A private Redis for the test session."""

    url: str
    port: int

    def client(self) -> redis.Redis:
        """A synchronous client with string responses."""
        return redis.Redis.from_url(self.url, decode_responses=True)


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    """Start redis-server on a free loopback port for the duration of the block."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    proc = start_redis(port, workdir)
    try:
        wait_until(lambda: redis_answers(url), 10, "redis-server to answer")
        yield RedisServer(url, port)
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def celery_worker(
    redis_url: str, log: Path, concurrency: int = 8, **env: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A real ``celery worker`` process (threads pool), ready once its heartbeat is in Redis."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    before = set(client.hkeys("agentjobs:workers"))
    argv = [sys.executable, "-m", "agentjobs.cli", "worker", f"--concurrency={concurrency}"]
    env = {"AGENTJOBS_WORKFLOWS": TEST_WORKFLOWS, **env}
    with running(argv, base_env(redis_url, **env), log) as proc:

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited early; see {log}")
            return bool(set(client.hkeys("agentjobs:workers")) - before)

        wait_until(ready, 30, "the worker's first heartbeat")
        yield proc


@contextmanager
def api_server(redis_url: str, log: Path, port: int | None = None, **env: str) -> Iterator[str]:
    """A real uvicorn serving ``backend.main:app`` on loopback; yields its base URL.

    Pass ``port`` to start an API again where a stopped one was (clients reconnect to it).
    """
    port = port or free_port()
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
    base = f"http://127.0.0.1:{port}"
    with running(argv, base_env(redis_url, **env), log) as proc:

        def healthy() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"API exited early; see {log}")
            try:
                answer = httpx.get(f"{base}/health", timeout=1)
            except httpx.HTTPError:
                return False
            # Serving, with Redis up: on a database no worker has published to yet, /health is
            # 503 "no workflows published" until one does (tests start workers after the API).
            return answer.status_code == 200 or answer.json().get("reason") == NO_CATALOG

        wait_until(healthy, 30, "the API's /health")
        yield base
