"""The processes a benchmark runs against: a private Redis, Celery workers and a uvicorn API.

Built on the integration tests' helpers (``tests/support/stack.py``), so the benchmarks run the
same real processes the tests do. Each stack gets a Redis database of its own: a worker left
over from another stack never takes its jobs.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import redis

from bench.profiling import profiled
from tests.support.stack import RedisServer, api_server, celery_worker

WORKFLOWS = "bench.workflows:registry"
"""The test suite's workflows plus the benchmarks' own (see ``bench/workflows.py``)."""
WORKER_ENV = {"AGENTJOBS_WORKFLOWS": WORKFLOWS}
API_ENV = {
    "AGENTJOBS_MAX_ACTIVE_JOBS_PER_USER": "0",
    "AGENTJOBS_CREATE_RATE_PER_USER": "0",
    "AGENTJOBS_MAX_SOCKETS_PER_USER": "0",
}
"""One bench client plays many users: no per-user caps or rates."""
_DATABASES = 16


@dataclass(frozen=True)
class StackSpec:
    """What to run: how many workers with how many threads, and their settings."""

    concurrency: int = 32
    workers: int = 1
    worker_env: dict[str, str] = field(default_factory=dict)
    api_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Stack:
    """A running stack: where the API answers and the processes' ids."""

    redis_url: str
    api_url: str
    api_pid: int
    workers: list[subprocess.Popen[bytes]]
    spec: StackSpec
    _name: str
    _logs: Path
    _exits: ExitStack

    def add_worker(self) -> subprocess.Popen[bytes]:
        """Start one more worker like the others (stopped with the stack)."""
        log = self._logs / f"{self._name}-worker-{len(self.workers)}.log"
        env = {**WORKER_ENV, **self.spec.worker_env}
        worker = self._exits.enter_context(
            celery_worker(self.redis_url, log, self.spec.concurrency, **env)
        )
        self.workers.append(worker)
        return worker

    @property
    def redis_pid(self) -> int | None:
        """The redis-server's process id (from its INFO)."""
        info = redis.Redis.from_url(self.redis_url).info("server")
        return int(info["process_id"])


@dataclass
class BenchEnv:
    """What every benchmark gets: the private Redis, a log directory, and the size preset."""

    redis: RedisServer
    logs: Path
    quick: bool
    profile_dir: Path | None = None
    """Where to write py-spy profiles of the servers (None: no profiling)."""
    _next_db: int = 0

    @contextmanager
    def stack(self, spec: StackSpec, name: str, *, profile: bool = True) -> Iterator[Stack]:
        """Start the workers and the API of ``spec`` on a fresh database; stop them afterwards.

        With ``profile`` (and a ``profile_dir``) its processes are sampled while it runs.
        """
        db = self._next_db % _DATABASES
        self._next_db += 1
        url = f"redis://127.0.0.1:{self.redis.port}/{db}"
        redis.Redis.from_url(url).flushdb()
        with ExitStack() as exits:
            stack = Stack(url, "", 0, [], spec, name, self.logs, exits)
            for _ in range(spec.workers):
                stack.add_worker()
            log = self.logs / f"{name}-api.log"
            api_env = {**API_ENV, **spec.api_env}
            stack.api_url = exits.enter_context(api_server(url, log, None, **api_env))
            stack.api_pid = _child_serving(stack.api_url)
            pids = {"api": stack.api_pid} | {
                f"worker{i}": w.pid for i, w in enumerate(stack.workers)
            }
            with profiled(pids, self.profile_dir if profile else None, name):
                yield stack


def _child_serving(api_url: str) -> int:
    """The id of our child process started with ``--port <the API's port>``."""
    port = api_url.rsplit(":", 1)[1]
    for child in psutil.Process().children():
        argv = child.cmdline()
        if "--port" in argv and argv[argv.index("--port") + 1] == port:
            return int(child.pid)
    raise RuntimeError(f"no child process serves {api_url}")


def rss(pid: int) -> int:
    """Resident memory of a process, in bytes."""
    return int(psutil.Process(pid).memory_info().rss)


def threads(pid: int) -> int:
    """How many threads a process has."""
    return int(psutil.Process(pid).num_threads())


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)
