"""The browser-facing parts of ``agentjobs up`` (UI, optional Flower), its wait and its banner."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

import httpx
from rich.console import Console
from rich.panel import Panel

from agentjobs.cli.flower import FlowerSettings
from agentjobs.cli.processes import ProcessGroup, python_module

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Endpoint:
    """A started service: its name, the URL shown to the user, and a URL that answers when ready."""

    name: str
    url: str
    probe: str
    note: str = ""
    ready: Callable[[httpx.Response], bool] = lambda answer: answer.status_code == 200


def _workers_alive(answer: httpx.Response) -> bool:
    # /health lists live workers: the stack is up once the worker has published its workflows.
    return answer.status_code == 200 and bool(answer.json().get("workers"))


def _reachable(host: str) -> str:
    # A server listening on every interface is reached through loopback from here.
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host


def start_frontends(
    group: ProcessGroup, host: str, api_port: int, ui_port: int, flower_port: int | None
) -> list[Endpoint]:
    """Start the UI (and Flower when given its port); returns the endpoints to wait for."""
    api = f"http://{_reachable(host)}:{api_port}"
    ui = f"http://{_reachable(host)}:{ui_port}"
    endpoints = [
        Endpoint("API", api, f"{api}/health", f"docs: {api}/docs", _workers_alive),
        Endpoint("UI", ui, f"{ui}/"),
    ]
    group.start(
        "ui",
        python_module("agentjobs.cli", "ui", "--host", host, "--port", str(ui_port)),
        env={"AGENTJOBS_API_URL": api},
    )
    if flower_port is not None:
        flower = f"http://{_reachable(host)}:{flower_port}"
        args = ["flower", "--address", host, "--port", str(flower_port)]
        note = "login: FLOWER_BASIC_AUTH"
        if FlowerSettings().basic_auth is None and host in LOOPBACK:
            # Reachable from this machine only: a dev stack needs no login (it says so).
            args.append("--insecure")
            note = "no login: loopback only"
        group.start("flower", python_module("agentjobs.cli", *args))
        endpoints.append(Endpoint("Flower", flower, f"{flower}/healthcheck", note))
    return endpoints


def wait_ready(group: ProcessGroup, endpoints: list[Endpoint], timeout: float = 90) -> str | None:
    """Wait until every endpoint answers 200; the name of a child that exited first, else None."""
    deadline = time.monotonic() + timeout
    waiting = list(endpoints)
    with httpx.Client(timeout=2) as client:
        while waiting:
            for name, proc in group.children:
                if proc.poll() is not None:
                    return name
            if time.monotonic() > deadline:
                return f"{waiting[0].name} (not answering after {timeout:.0f} s)"
            try:
                if waiting[0].ready(client.get(waiting[0].probe)):
                    waiting.pop(0)
                    continue
            except (httpx.HTTPError, ValueError):
                pass  # not listening yet, or not answering JSON yet
            time.sleep(0.2)
    return None


def warn_reused_redis(console: Console, redis_url: str) -> None:
    """Say loudly that the stack runs on a Redis it found rather than one it started."""
    # Its jobs, catalog and queue are shared: a worker of another checkout attached to the same
    # Redis takes this stack's jobs, and old jobs show up in the UI. Newcomers hit this after an
    # earlier `agentjobs up` or a test left a Redis on the default port.
    console.print(
        f"[bold yellow]Warning: reusing the Redis that already answers at {redis_url}.[/]\n"
        "[yellow]agentjobs up did not start it and will not stop it. Its jobs, queue and "
        "workflow catalog are shared with whatever else uses it (workers attached to it take "
        "this stack's jobs too). For a private one, stop that Redis or set "
        "AGENTJOBS_REDIS_URL=redis://127.0.0.1:<free port>/0.[/]",
        markup=True,
        highlight=False,
    )


def _console_hint() -> str | None:
    # `scripts/demo` activates its venv for itself only: another shell needs the same line.
    if sys.prefix == sys.base_prefix:
        return None
    return f"{'Console':<10} source {sys.prefix}/bin/activate && agentjobs run <workflow>"


def banner(
    console: Console, redis_url: str, endpoints: list[Endpoint], redis_note: str = ""
) -> None:
    """The URLs of the running stack, and how another shell gets the console client."""
    lines = [f"{e.name:<10} {e.url}" + (f"   ({e.note})" if e.note else "") for e in endpoints]
    lines.append(f"{'Redis':<10} {redis_url}" + (f"   ({redis_note})" if redis_note else ""))
    hint = _console_hint()
    if hint:
        lines.append(hint)
    lines.append("Ctrl-C stops everything.")
    console.print(Panel.fit("\n".join(lines), title="agentjobs is up"), highlight=False)


def stop_on_sigterm() -> None:
    """Treat SIGTERM like Ctrl-C, so the children are stopped rather than orphaned."""

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the stop short
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
