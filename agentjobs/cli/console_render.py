"""How the console client shows a job's events with Rich: coloured senders, dim tools, banners."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from agentjobs.protocol import (
    ErrorEvent,
    Event,
    InputReceived,
    JobQueued,
    MultipleChoice,
    Progress,
    StreamChunk,
    TextInput,
    TextMessage,
    ToolApproval,
    ToolCall,
    ToolResult,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
)
from agentjobs.requests import answer_text

PALETTE = ("cyan", "magenta", "green", "yellow", "blue", "bright_red", "bright_cyan")
TOOL_TEXT_LIMIT = 300
"""Tool arguments and results are shortened to this many characters (they can be huge)."""


class EventRenderer:
    """Prints each event once, and keeps what the spinner line should say meanwhile."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._colors: dict[str, str] = {}
        self._typing: dict[str, str] = {}
        self._started = False

    def sender(self, name: str) -> str:
        """The sender's name as markup, in a colour of its own (stable for the session)."""
        color = self._colors.setdefault(name, PALETTE[len(self._colors) % len(PALETTE)])
        return f"[bold {color}]{escape(name)}[/]"

    def status_text(self) -> str:
        """What the spinner says: who is typing (with the latest words), or who we wait for."""
        if self._typing:
            name, text = next(reversed(self._typing.items()))
            tail = " ".join(text.split())[-60:]
            return f"{self.sender(name)} is typing… [dim]{escape(tail)}[/]"
        return "Agents are thinking…" if self._started else "Waiting for a worker…"

    def render(self, event: Event) -> None:
        """Print one event (stream chunks only feed the spinner line until the final message)."""
        match event:
            case StreamChunk():
                self._typing[event.sender] = self._typing.get(event.sender, "") + event.content
            case TextMessage():
                self._typing.pop(event.sender, None)
                to = f" [dim]→ {escape(event.recipient)}[/]" if event.recipient else ""
                self.console.print(f"{self.sender(event.sender)}{to}: {escape(event.content)}")
            case TextInput() | MultipleChoice() | ToolApproval():
                self.console.print(f"{self.sender(event.sender)} asks: {escape(event.prompt)}")
            case InputReceived():
                who = " (deadline default)" if event.source == "deadline" else ""
                shown = escape(answer_text(event.value))
                self.console.print(f"[dim]  ← answered{who}: {shown}[/]")
            case ToolCall() | ToolResult():
                self._render_tool(event)
            case Progress():
                self._render_progress(event)
            case ErrorEvent():
                long = f"\n[dim]{escape(event.long)}[/]" if event.long else ""
                self.console.print(f"[bold red]Error:[/] {escape(event.short)}{long}")
            case _:
                self._render_lifecycle(event)

    def _render_tool(self, event: ToolCall | ToolResult) -> None:
        if isinstance(event, ToolCall):
            args = _shorten(event.arguments)
            line = f"  ⚙ {escape(event.sender)} calls {escape(event.function_name)}({escape(args)})"
            self.console.print(line, style="dim")
        else:
            style = "dim red" if event.is_error else "dim"
            body = _shorten(event.content)
            self.console.print(f"  ↳ {escape(event.function_name)}: {escape(body)}", style=style)

    def _render_progress(self, event: Progress) -> None:
        share = f" [bold]{event.fraction:.0%}[/]" if event.fraction is not None else ""
        self.console.print(f"[blue]▸[/] {escape(event.content)}{share}")

    def _render_lifecycle(self, event: Event) -> None:
        match event:
            case JobQueued():
                params = f" {json.dumps(event.params)}" if event.params else ""
                line = f"Job {event.job_id} queued: {escape(event.workflow)}{escape(params)}"
                self.console.print(line, style="dim")
            case WorkflowStarted():
                self._started = True
                self.console.print(f"Started on {escape(event.worker)}", style="dim")
            case WorkflowCompleted():
                self._typing.clear()
                body = escape(_as_text(event.result))
                self.console.print(Panel(body, title="Completed", border_style="green"))
            case WorkflowFailed():
                self._typing.clear()
                title = f"Failed ({event.reason})"
                self.console.print(Panel(escape(event.error), title=title, border_style="red"))
            case WorkflowCancelled():
                self._typing.clear()
                text = f"Cancelled by {escape(event.by)}"
                self.console.print(Panel(text, title="Cancelled", border_style="yellow"))


def _shorten(text: str) -> str:
    return text if len(text) <= TOOL_TEXT_LIMIT else text[: TOOL_TEXT_LIMIT - 1] + "…"


def _as_text(result: Any) -> str:
    if result is None:
        return "(no result)"
    return result if isinstance(result, str) else json.dumps(result, indent=2, default=str)
