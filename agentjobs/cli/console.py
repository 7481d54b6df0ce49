"""``agentjobs run``: start or attach to a job, follow it in the terminal, answer its questions.

The stream is async (it reconnects on its own); questions are asked synchronously between
streams, in the main thread, so Ctrl-C and masked password input behave as in any terminal
program.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.prompt import Prompt
from rich.status import Status

from agentjobs.cli.console_prompt import ask
from agentjobs.cli.console_render import EventRenderer
from agentjobs.client.errors import ApiError, ApiUnreachable
from agentjobs.client.provider import FastAPIProvider
from agentjobs.client.settings import ClientSettings
from agentjobs.protocol import TERMINAL_TYPES, Event, MultipleChoice, TextInput, ToolApproval

EXIT_OK, EXIT_JOB_FAILED, EXIT_UNAVAILABLE = 0, 1, 2
"""Succeeded or detached; failed or cancelled; could not start or attach (API error)."""

Question = TextInput | MultipleChoice | ToolApproval


def parse_params(items: list[str]) -> dict[str, Any]:
    """``key=value`` pairs as params; each value is JSON when it parses, else a plain string."""
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{item!r} is not key=value", param_hint="--param")
        try:
            params[key.strip()] = json.loads(raw)
        except ValueError:
            params[key.strip()] = raw
    return params


@dataclass
class ConsoleSession:
    """Follows one job: renders its events, answers its questions, handles Ctrl-C."""

    provider: FastAPIProvider
    job_id: str
    console: Console
    reattach_hint: str
    cursor: str = "0"
    renderer: EventRenderer = field(init=False)
    _status: Status | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.renderer = EventRenderer(self.console)

    def run(self) -> int:
        """Follow the job to its end (exit code 0 or 1), or until the human detaches (0)."""
        # The open question, kept across a Ctrl-C: the stream goes on after it, so resuming
        # must ask it again rather than wait for events that come only once it is answered.
        question: Question | None = None
        while True:
            try:
                if question is None:
                    event = asyncio.run(self._stream_until_question_or_end())
                    if event.type in TERMINAL_TYPES:
                        asyncio.run(self._print_usage())
                        return EXIT_OK if event.type == "workflow_completed" else EXIT_JOB_FAILED
                    assert isinstance(event, TextInput | MultipleChoice | ToolApproval)
                    question = event
                self._answer(question)
                question = None
            except KeyboardInterrupt:
                choice = self._after_interrupt()
                if choice == "detach":
                    return EXIT_OK
                question = self._reopen(question) if choice == "resume" else None
            except ApiError as exc:
                if not self._skip_trimmed(exc):
                    # Refused for good: the job expired, the token was revoked...
                    self.console.print(f"[red]{escape(str(exc))}[/]")
                    return EXIT_UNAVAILABLE

    async def _print_usage(self) -> None:
        """The job's model use, once it ended (nothing when it made no model call)."""
        try:
            usage = (await self.provider.get_job(self.job_id)).usage
        except (ApiError, ApiUnreachable):
            return  # the outcome is shown already; the usage is a nicety
        if usage.model_calls:
            self.console.print(f"[dim]Model use: {escape(usage.summary())}[/]")

    def _skip_trimmed(self, exc: ApiError) -> bool:
        """A 410 (events older than the trimmed log): say so and go on after the gap."""
        if exc.resume_after is None:  # not a 410, or one naming no cursor to go on from
            return False
        self.console.print(
            "[yellow]Older events of this job were trimmed from its log; "
            "showing the ones still kept.[/]"
        )
        self.cursor = exc.resume_after
        return True

    async def _stream_until_question_or_end(self) -> Event:
        stream = self.provider.events(self.job_id, self.cursor, on_retry=self._on_retry)
        with self.console.status(self.renderer.status_text()) as status:
            self._status = status
            async with stream:
                async for event in stream:
                    self._show(event, status)
                    if event.type in TERMINAL_TYPES:
                        return event
                    if isinstance(event, Question) and await self._pending(event):
                        return event
        raise RuntimeError("the event stream ended before the job did")  # events() never does

    def _show(self, event: Event, status: Status) -> None:
        self.renderer.render(event)
        self.cursor = event.id
        status.update(self.renderer.status_text())

    async def _pending(self, question: Question) -> bool:
        # A replayed question may have been answered long ago: ask only the open one.
        try:
            record = await self.provider.get_job(self.job_id)
        except ApiUnreachable:
            return True  # ask anyway: an answer that is no longer wanted is refused with 409
        return record.pending is not None and record.pending.request_id == question.request_id

    def _on_retry(self, error: BaseException, delay: float) -> None:
        if self._status is not None:
            reason = "the API is unreachable" if isinstance(error, ApiUnreachable) else "lost"
            self._status.update(f"[yellow]Connection {reason}; retrying in {delay:.1f}s…[/]")

    def _answer(self, question: Question) -> None:
        while True:
            value = ask(self.console, question)
            try:
                asyncio.run(self.provider.answer(self.job_id, question.request_id, value))
                return
            except ApiUnreachable:
                self.console.print("[yellow]The API is unreachable; the answer was not sent.[/]")
            except ApiError as exc:
                if exc.status_code != 409:
                    raise
                self.console.print("[yellow]That question is no longer open.[/]")
                return

    def _reopen(self, question: Question | None) -> Question | None:
        """After a resume: the question to ask again (shown again), if it is still open."""
        if question is None:
            return None
        try:
            still_open = asyncio.run(self._pending(question))
        except ApiError:
            return None  # the stream meets the same refusal and reports it
        if not still_open:
            return None  # answered meanwhile (elsewhere): follow the stream
        self.renderer.render(question)
        return question

    def _after_interrupt(self) -> str:
        """Ctrl-C: ``cancel`` the job (then follow it to its end), ``detach`` or ``resume``."""
        self.console.print()
        try:
            choice = Prompt.ask(
                "[bold]Cancel[/] the job, [bold]detach[/] (it keeps running) or [bold]resume[/]?",
                console=self.console,
                choices=["cancel", "detach", "resume"],
                default="detach",
            )
        except (KeyboardInterrupt, EOFError):
            choice = "detach"
        if choice == "cancel":
            self._cancel()
        elif choice == "detach":
            self.console.print(
                f"Detached from job {self.job_id}; it keeps running. Re-attach with:\n"
                f"  [bold]{escape(self.reattach_hint)}[/]"
            )
        return choice

    def _cancel(self) -> None:
        # Followed on either way: the terminal event shows how the job ended.
        try:
            asyncio.run(self.provider.cancel(self.job_id))
        except ApiError as exc:
            self.console.print(f"[yellow]Not cancelled: {escape(exc.message)}[/]")


def run(
    workflow: Annotated[str | None, typer.Argument(help="Workflow to start")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A workflow param as key=value (value: JSON or text)"),
    ] = None,
    attach: Annotated[
        str | None, typer.Option(help="Follow an existing job instead of starting one")
    ] = None,
    api_url: Annotated[str | None, typer.Option(help="API base URL [AGENTJOBS_API_URL]")] = None,
    token: Annotated[str | None, typer.Option(help="API token [AGENTJOBS_TOKEN]")] = None,
) -> None:
    """Run a workflow in the terminal (or --attach to a job): follow it, answer its questions."""
    if (workflow is None) == (attach is None):
        raise typer.BadParameter("give a WORKFLOW to start, or --attach JOB_ID (not both)")
    params = parse_params(param or [])
    settings = ClientSettings()
    url = api_url or settings.api_url
    try:
        provider = FastAPIProvider(
            url, token=token or settings.token_value, timeout=settings.client_timeout
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--api-url") from exc
    console = Console(highlight=False)
    try:
        job_id = asyncio.run(_start_or_attach(provider, workflow, params, attach))
    except (ApiError, ApiUnreachable) as exc:
        console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(EXIT_UNAVAILABLE) from exc
    hint = f"agentjobs run --attach {job_id}" + (f" --api-url {url}" if api_url else "")
    console.print(f"[dim]Job {job_id}. Ctrl-C to cancel or detach.[/]")
    session = ConsoleSession(provider, job_id, console, hint)
    raise typer.Exit(session.run())


async def _start_or_attach(
    provider: FastAPIProvider, workflow: str | None, params: dict[str, Any], attach: str | None
) -> str:
    if attach is not None:
        return (await provider.get_job(attach)).job_id
    assert workflow is not None
    return (await provider.start_job(workflow, params)).job_id
