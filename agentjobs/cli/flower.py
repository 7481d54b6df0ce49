"""``agentjobs flower``: Flower on the agentjobs Celery broker, behind basic auth by default.

Flower needs the broker (for task events and queues) and the result backend (for
``/api/task/result``, which shows a job's ``AWAITING_INPUT`` state), not the workflow code: it
runs on a producer app configured like the API's, so it never imports AutoGen.
"""

from __future__ import annotations

from typing import Annotated

import typer
from celery import Celery
from pydantic import AliasChoices, Field, SecretStr
from rich.console import Console

from agentjobs.celery_config import celery_config
from agentjobs.settings import RedisSettings

console = Console(stderr=True)

NO_CREDENTIALS = (
    "Flower shows every job's arguments and can revoke tasks, so it needs a login: pass "
    "--basic-auth user:password or set FLOWER_BASIC_AUTH=user:password "
    "(or --insecure to run it open, on a trusted machine only)."
)


class FlowerSettings(RedisSettings):
    """The Flower process: where Celery is, and who may log in."""

    basic_auth: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("FLOWER_BASIC_AUTH", "AGENTJOBS_FLOWER_BASIC_AUTH"),
    )
    """``user:password`` (several separated by commas) for Flower's pages and API."""


def credentials_problem(auth: str | None, insecure: bool) -> str | None:
    """What is wrong with the login setting, or None when Flower may start."""
    if not auth:
        return None if insecure else NO_CREDENTIALS
    for pair in auth.split(","):
        user, sep, password = pair.partition(":")
        if not (user and sep and password):
            return "basic auth must be user:password (several separated by commas)"
    return None


def flower_app(settings: RedisSettings) -> Celery:
    """A Celery app for Flower: the project's broker and result backend, no task code."""
    app = Celery("agentjobs")
    app.conf.update(celery_config(settings))
    return app


def flower(
    port: Annotated[int, typer.Option(help="Port to listen on")] = 5555,
    address: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    basic_auth: Annotated[
        str | None,
        typer.Option(help="user:password (default: FLOWER_BASIC_AUTH; prefer the variable)"),
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Run without a login (trusted machines only)")
    ] = False,
) -> None:
    """Run Flower, Celery's monitoring UI and API, on the agentjobs broker."""
    settings = FlowerSettings()
    auth = basic_auth or (settings.basic_auth.get_secret_value() if settings.basic_auth else None)
    problem = credentials_problem(auth, insecure)
    if problem:
        console.print(f"[red]agentjobs flower: {problem}[/red]")
        raise typer.Exit(2)
    argv = ["flower", f"--port={port}", f"--address={address}"]
    if auth:
        # Passed inside this process, so the password is not in the process list.
        argv.append(f"--basic-auth={auth}")
    else:
        console.print("[yellow]Flower runs WITHOUT a login (--insecure)[/yellow]")
    raise typer.Exit(flower_app(settings).start(argv) or 0)
