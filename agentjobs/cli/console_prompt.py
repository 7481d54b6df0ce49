"""How the console client asks the human: typed answers (masked for passwords) and choices."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.prompt import Prompt

from agentjobs.approvals import arguments_problem
from agentjobs.protocol import AnswerValue, InputRequest, MultipleChoice, TextInput, ToolApproval


def ask(console: Console, request: InputRequest) -> AnswerValue:
    """Ask the human for the answer to ``request`` until the answer is acceptable."""
    if isinstance(request, TextInput):
        return ask_text(console, request)
    if isinstance(request, ToolApproval):
        return ask_approval(console, request)
    return ask_choice(console, request)


def ask_approval(console: Console, request: ToolApproval) -> AnswerValue:
    """Approve, reject (with a reason) or edit (the arguments as JSON, checked) a tool call."""
    console.print(f"  [bold]{escape(request.tool)}[/]({escape(json.dumps(request.arguments))})")
    decision = Prompt.ask(
        "[bold]Decision[/]", console=console, choices=["approve", "reject", "edit"]
    )
    if decision == "approve":
        return {"decision": "approve"}
    if decision == "reject":
        reason = Prompt.ask("[bold]Reason[/] [dim](told to the agent)[/]", console=console)
        return {"decision": "reject", "reason": reason} if reason else {"decision": "reject"}
    while True:
        text = Prompt.ask(
            "[bold]Arguments[/] [dim](JSON)[/]",
            console=console,
            default=json.dumps(request.arguments),
        )
        problem, arguments = _arguments(text, request.arguments_schema)
        if problem is None:
            return {"decision": "edit", "arguments": arguments}
        console.print(f"[red]{escape(problem)}[/]")


def _arguments(text: str, schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON: {exc}", {}
    if not isinstance(arguments, dict):
        return "the arguments are a JSON object", {}
    return arguments_problem(schema, arguments), arguments


def ask_text(console: Console, request: TextInput) -> str:
    """A typed answer; a suggestion's number picks that suggestion. Passwords are not echoed."""
    for number, suggestion in enumerate(request.suggestions, 1):
        console.print(f"  [bold]{number}[/]) {escape(suggestion)}")
    hint = " [dim](or a suggestion's number)[/]" if request.suggestions else ""
    hint += " [dim](hidden)[/]" if request.password else ""
    answer = Prompt.ask(f"[bold]Answer[/]{hint}", console=console, password=request.password)
    picked = _by_number(answer, request.suggestions)
    return picked if picked is not None else answer


def ask_choice(console: Console, request: MultipleChoice) -> AnswerValue:
    """One choice (or several, comma-separated, when ``single`` is false) by number or text."""
    for number, choice in enumerate(request.choices, 1):
        mark = " [dim](default)[/]" if choice == request.default else ""
        console.print(f"  [bold]{number}[/]) {escape(choice)}{mark}")
    hint = "number or name" if request.single else "numbers or names, comma-separated"
    while True:
        answer = Prompt.ask(f"[bold]Choice[/] [dim]({hint})[/]", console=console)
        try:
            return parse_choice(answer, request.choices, request.single, request.default)
        except ValueError as exc:
            console.print(f"[red]{escape(str(exc))}[/]")


def parse_choice(
    answer: str, choices: list[str], single: bool, default: str | None = None
) -> AnswerValue:
    """The choice(s) ``answer`` names, by number or case-insensitive text; ValueError if none."""
    parts = [answer.strip()] if single else [p.strip() for p in answer.split(",") if p.strip()]
    if not parts or parts == [""]:
        if default is not None:
            return default if single else [default]
        raise ValueError("pick one of the choices")
    picked = [_one_choice(part, choices) for part in parts]
    return picked[0] if single else list(dict.fromkeys(picked))


def _one_choice(part: str, choices: list[str]) -> str:
    by_number = _by_number(part, choices)
    if by_number is not None:
        return by_number
    for choice in choices:
        if choice.casefold() == part.casefold():
            return choice
    raise ValueError(f"{part!r} is not one of the choices (1-{len(choices)} or a name)")


def _by_number(text: str, options: list[str]) -> str | None:
    text = text.strip()
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    return None
