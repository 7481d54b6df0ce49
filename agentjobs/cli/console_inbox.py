"""``agentjobs inbox``: the requests waiting for you across jobs, and answering one of them."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agentjobs.cli.console_prompt import ask
from agentjobs.client.errors import ApiError, ApiUnreachable
from agentjobs.client.provider import FastAPIProvider
from agentjobs.client.settings import ClientSettings
from agentjobs.protocol import AnswerValue, InboxItem, MultipleChoice, ToolApproval
from agentjobs.requests import answer_text

inbox_app = typer.Typer(help="The requests waiting for you: list them, answer one.")
ApiUrl = Annotated[str | None, typer.Option(help="API base URL [AGENTJOBS_API_URL]")]
Token = Annotated[str | None, typer.Option(help="API token [AGENTJOBS_TOKEN]")]


def _provider(api_url: str | None, token: str | None) -> FastAPIProvider:
    settings = ClientSettings()
    try:
        return FastAPIProvider(
            api_url or settings.api_url,
            token=token or settings.token_value,
            timeout=settings.client_timeout,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--api-url") from exc


def _what(item: InboxItem) -> str:
    request = item.request
    if isinstance(request, ToolApproval):
        return f"{request.prompt} {json.dumps(request.arguments)}"
    if isinstance(request, MultipleChoice):
        return f"{request.prompt} [{' / '.join(request.choices)}]"
    return request.prompt


@inbox_app.callback(invoke_without_command=True)
def inbox(ctx: typer.Context, api_url: ApiUrl = None, token: Token = None) -> None:
    """List the requests waiting for you, oldest first."""
    if ctx.invoked_subcommand is not None:
        return
    console = Console(highlight=False)
    try:
        waiting = asyncio.run(_provider(api_url, token).inbox())
    except (ApiError, ApiUnreachable) as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from exc
    table = Table("request", "job", "asked", "deadline", "from", "question", box=None)
    for item in waiting.items:
        deadline = item.deadline.strftime("%Y-%m-%d %H:%M") if item.deadline else ""
        table.add_row(
            item.request.request_id,
            f"{item.workflow} {item.job_id[:8]}",
            item.asked_at.strftime("%Y-%m-%d %H:%M"),
            deadline,
            item.owner,
            escape(_what(item)),
        )
    console.print(table)
    console.print(
        f"[dim]{waiting.count} waiting. Answer: agentjobs inbox answer REQUEST [VALUE][/]"
    )


@inbox_app.command()
def answer(
    request_id: Annotated[str, typer.Argument(help="The request's id (from the list)")],
    value: Annotated[
        str | None, typer.Argument(help="The answer (JSON or text); asked when left out")
    ] = None,
    api_url: ApiUrl = None,
    token: Token = None,
) -> None:
    """Answer one request of your inbox (asked on the console when VALUE is left out)."""
    console = Console(highlight=False)
    provider = _provider(api_url, token)
    try:
        given = _parsed(value) if value is not None else _asked(console, provider, request_id)
        record = asyncio.run(provider.answer_request(request_id, given))
    except (ApiError, ApiUnreachable) as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(1 if isinstance(exc, ApiError) else 2) from exc
    console.print(
        f"Answered ({escape(answer_text(given))}); job {record.job_id} is {record.status}."
    )


def _parsed(value: str) -> AnswerValue:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return value
    return parsed if isinstance(parsed, dict | list) else value


def _asked(console: Console, provider: FastAPIProvider, request_id: str) -> AnswerValue:
    waiting = asyncio.run(provider.inbox(500))
    for item in waiting.items:
        if item.request.request_id == request_id:
            console.print(f"[bold]{escape(item.owner)}[/]'s {item.workflow}: {escape(_what(item))}")
            return ask(console, item.request)
    console.print(f"[red]request {escape(request_id)} is not in your inbox[/]")
    raise typer.Exit(1)
