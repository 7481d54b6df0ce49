"""The servers of the FastAgency comparison: FastAgency's adapter and agentjobs, one or four
processes each, with the process ids whose CPU a round is charged.

FastAgency runs from a venv of its own (its pins clash with ours), built by the compatibility
tests' code (``tests/support/fastagency_env.py``) with the same uvicorn, gunicorn and
uvicorn-worker versions agentjobs runs under, so the servers differ in the app only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import httpx
import psutil

from agentjobs.cli.redis_server import free_port
from bench.stack import API_ENV, WORKER_ENV, BenchEnv
from tests.support.fastagency_env import ensure_venv
from tests.support.stack import ROOT, base_env, celery_worker, running, wait_until

BENCH_VENV = ROOT / ".run" / "fastagency-bench-venv"
FASTAGENCY_APP = "bench.fastagency_app:app"
AGENTJOBS_APP = "backend.main:app"
_SERVER_PACKAGES = ("uvicorn[standard]", "gunicorn", "uvicorn-worker", "psutil")


def fastagency_python() -> Path:
    """The FastAgency venv's python (built on first use: about a minute, needs the registry)."""
    pins = tuple(f"{name}=={version(name.split('[')[0])}" for name in _SERVER_PACKAGES)
    return ensure_venv(BENCH_VENV, pins)


@dataclass
class Server:
    """A running server under test: where it answers and whose CPU its rounds cost."""

    name: str
    url: str
    pids: dict[str, int] = field(default_factory=dict)
    """Process name -> pid; a gunicorn master's entry covers its workers too (see cpu_seconds)."""


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """User + system CPU of a process and (unless told not to) of its live children: a gunicorn
    master's workers. The bench process itself is the raw client and the parent of every server:
    count it alone."""
    proc = psutil.Process(pid)
    total = 0.0
    for one in (proc, *(proc.children(recursive=True) if children else ())):
        try:
            times = one.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _wait_served(url: str, path: str, log: Path, proc: subprocess.Popen[bytes]) -> None:
    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early; see {log}")
        try:
            return httpx.get(url + path, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, 60, f"{url}{path}")


def _server_argv(python: str, app: str, port: int, processes: int, extra: list[str]) -> list[str]:
    if processes == 1:
        return [python, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), *extra]
    worker = "uvicorn_worker.UvicornWorker"
    argv = [python, "-m", "gunicorn", app, "-w", str(processes), "-k", worker]
    return [*argv, "-b", f"127.0.0.1:{port}", *extra]


@contextmanager
def fastagency_server(env: BenchEnv, processes: int) -> Iterator[Server]:
    """FastAgency 0.10.2's ``FastAPIAdapter`` as its docs run it: uvicorn, or gunicorn with
    uvicorn workers (its defaults: WebSocket compression on, as a FastAgency user gets)."""
    python = str(fastagency_python())
    port = free_port()
    argv = _server_argv(python, FASTAGENCY_APP, port, processes, [])
    log = env.logs / f"fastagency-{processes}p.log"
    child_env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    child_env["PATH"] = f"{Path(python).parent}:{child_env.get('PATH', '')}"
    with running(argv, child_env, log) as proc:
        url = f"http://127.0.0.1:{port}"
        _wait_served(url, "/fastagency/discovery", log, proc)
        yield Server("fastagency", url, {"api": proc.pid})


@contextmanager
def agentjobs_server(env: BenchEnv, processes: int, db: int) -> Iterator[Server]:
    """The agentjobs stack on database ``db``: one Celery worker (32 threads, as ``agentjobs up``)
    and the API as one uvicorn process or, as README runs it, gunicorn with the API's uvicorn
    worker class and a shared Prometheus directory."""
    redis_url = f"redis://127.0.0.1:{env.redis.port}/{db}"
    with ExitStack() as exits:
        worker_log = env.logs / f"agentjobs-{processes}p-worker.log"
        worker = exits.enter_context(celery_worker(redis_url, worker_log, 32, **WORKER_ENV))
        port = free_port()
        log = env.logs / f"agentjobs-{processes}p-api.log"
        extra = {**API_ENV}
        if processes == 1:
            argv = [sys.executable, "-m", "agentjobs.cli", "api", "--host", "127.0.0.1"]
            argv += ["--port", str(port)]
        else:
            metrics = env.logs / f"agentjobs-{processes}p-metrics"
            extra["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
            argv = [sys.executable, "-m", "gunicorn", AGENTJOBS_APP, "-w", str(processes)]
            argv += ["-k", "backend.gunicorn_worker.UvicornWorker", "-b", f"127.0.0.1:{port}"]
            argv += ["-c", "python:backend.gunicorn_conf"]
        proc = exits.enter_context(running(argv, base_env(redis_url, **extra), log))
        url = f"http://127.0.0.1:{port}"
        _wait_served(url, "/fastagency/discovery", log, proc)
        redis_pid = int(env.redis.client().info("server")["process_id"])
        pids = {"api": proc.pid, "worker": worker.pid, "redis": redis_pid}
        yield Server("agentjobs", url, pids)
