"""The ``agentjobs`` command: run the API, a worker, or the whole dev stack."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from agentjobs.cli import dev_stack
from agentjobs.cli.console import run
from agentjobs.cli.console_inbox import inbox_app
from agentjobs.cli.flower import flower
from agentjobs.cli.processes import ProcessGroup, python_module
from agentjobs.cli.redis_server import (
    INSTALL_HINT,
    is_loopback,
    port_of,
    redis_answers,
    start_redis,
)
from agentjobs.cli.ui import ui

app = typer.Typer(help="Serve multi-agent AutoGen workflows as jobs.", no_args_is_help=True)
console = Console()


def _print_version(value: bool) -> None:
    if value:
        from agentjobs import __version__

        typer.echo(f"agentjobs {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Serve multi-agent AutoGen workflows as jobs."""


app.command()(flower)
app.command()(run)
app.command()(ui)
app.add_typer(inbox_app, name="inbox")


@app.command()
def api(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on (default: AGENTJOBS_HOST)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: AGENTJOBS_PORT)")] = None,
) -> None:
    """Serve the REST + WebSocket API with uvicorn (use gunicorn for several processes)."""
    import uvicorn

    from backend.gunicorn_worker import server_options
    from backend.settings import get_api_settings

    settings = get_api_settings()
    uvicorn.run(
        "backend.main:app",
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
        **server_options(settings),
    )


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Jobs run at once (threads)")] = None,
    loglevel: Annotated[
        str | None, typer.Option(help="Log level (default: AGENTJOBS_LOG_LEVEL, else INFO)")
    ] = None,
) -> None:
    """Run a Celery worker that executes workflows (the queues of AGENTJOBS_WORKFLOWS' ones)."""
    from worker.app import app as celery_app
    from worker.app import settings
    from worker.serving import RegistryUnusable, queues_of, served_registry

    # Before Celery connects: a worker that cannot run its workflows must take no task.
    try:
        registry = served_registry(settings.workflows)
    except RegistryUnusable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    celery_app.conf.task_queues = queues_of(registry, settings.webhook_deliveries)
    celery_app.worker_main(
        [
            "worker",
            "--pool=threads",
            f"--concurrency={concurrency or settings.concurrency}",
            f"--hostname=agentjobs-{os.getpid()}@%h",
            "--task-events",
            "--without-gossip",
            "--without-mingle",
            f"--loglevel={loglevel or settings.log_level}",
        ]
    )


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface the API listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="API port")] = 8008,
    concurrency: Annotated[int | None, typer.Option(help="Worker threads")] = None,
    ui_port: Annotated[int, typer.Option(help="UI port")] = 8888,
    with_flower: Annotated[bool, typer.Option("--flower", help="Also run Flower")] = False,
    flower_port: Annotated[int, typer.Option(help="Flower port")] = 5555,
) -> None:
    """The whole dev stack in one command: Redis (if none answers), worker, API, UI, Flower."""
    from agentjobs.settings import RedisSettings

    redis_url = RedisSettings().redis_url
    group = ProcessGroup(console)
    dev_stack.stop_on_sigterm()
    try:
        if redis_answers(redis_url):
            dev_stack.warn_reused_redis(console, redis_url)
            redis_note = "found running: not started, and not stopped, by agentjobs up"
        else:
            _start_dev_redis(group, redis_url)
            redis_note = "started here, data in .run/redis"
        worker_args = ["worker"] + ([f"--concurrency={concurrency}"] if concurrency else [])
        group.start("worker", python_module("agentjobs.cli", *worker_args))
        group.start(
            "api", python_module("agentjobs.cli", "api", "--host", host, "--port", str(port))
        )
        flower_at = flower_port if with_flower else None
        endpoints = dev_stack.start_frontends(group, host, port, ui_port, flower_at)
        name = dev_stack.wait_ready(group, endpoints)
        if name is None:
            dev_stack.banner(console, redis_url, endpoints, redis_note)
            name = group.wait_any()
        console.print(f"[red]{name} exited; stopping everything[/red]")
    except KeyboardInterrupt:
        console.print("[yellow]stopping...[/yellow]")
    finally:
        group.stop()


def _start_dev_redis(group: ProcessGroup, redis_url: str) -> None:
    if not is_loopback(redis_url):
        raise typer.BadParameter(f"no Redis answers at {redis_url}")
    try:
        proc = start_redis(port_of(redis_url), Path(".run/redis"), appendonly=True)
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    group.children.append(("redis", proc))
    deadline = time.monotonic() + 10
    while not redis_answers(redis_url):
        if proc.poll() is not None or time.monotonic() > deadline:
            console.print(f"[red]redis-server did not start. {INSTALL_HINT}[/red]")
            raise typer.Exit(1)
        time.sleep(0.1)
    console.print(f"started redis-server on {redis_url} (data in .run/redis)")


if __name__ == "__main__":
    app()
