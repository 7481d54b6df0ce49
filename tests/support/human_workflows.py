"""Workflows of the humans-in-the-loop tests: a tool approved in a team, deadlines with a
default, requests addressed to someone."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from pydantic import BaseModel, Field

from agentjobs.agentchat.models import chat_client, scripted_tool_call
from agentjobs.protocol import AnswerValue
from agentjobs.ui import JobUI
from agentjobs.workflows import Workflows

registry = Workflows()


class ApprovalParams(BaseModel):
    """Where the tool counts its runs, what the agent asks it to add, and a follow-up question."""

    counter_path: str
    amount: int = 2
    assignee: str | None = None
    follow_up: bool = False
    """Ask a question after the tool ran (a test kills the worker while it waits)."""


@registry.register(
    name="approval_team",
    description="An agent in a team calls a tool that needs a human's approval",
    params=ApprovalParams,
    on_worker_lost="resume",
)
async def approval_team(ui: JobUI, params: ApprovalParams) -> str:
    counter = Path(params.counter_path)

    def add_to_counter(amount: int) -> str:
        """Add ``amount`` to the counter."""
        with counter.open("a") as out:  # one line per run: the test counts them
            out.write(f"{amount}\n")
        return f"added {amount}"

    tool = ui.tool(
        add_to_counter,
        approval=True,
        reason="it changes the counter",
        sender="Counter",
        assignee=params.assignee,
    )
    agent = AssistantAgent(
        "Counter",
        model_client=chat_client(
            [
                scripted_tool_call("call_1", "add_to_counter", {"amount": params.amount}),
                "done",
            ],
            function_calling=True,
        ),
        tools=[tool],
        reflect_on_tool_use=True,
    )
    team = RoundRobinGroupChat([agent], termination_condition=MaxMessageTermination(2))
    await ui.run_team(team, "Add to the counter")
    if params.follow_up:
        return await ui.text_input("Anything else?")
    return "finished"


class DeadlineParams(BaseModel):
    """What kind of request, its timeout and default, and whose it is."""

    kind: Literal["text", "choice", "approval"] = "text"
    timeout: float = Field(default=3.0, gt=0)
    default: str | None = "yes"
    assignee: str | None = None


@registry.register(
    name="deadline_question",
    description="Asks one question with a timeout and a default; returns the answer",
    params=DeadlineParams,
)
async def deadline_question(ui: JobUI, params: DeadlineParams) -> AnswerValue:
    if params.kind == "choice":
        return await ui.multiple_choice(
            "Ship it?", ["yes", "no"], default=params.default, timeout=params.timeout
        )
    if params.kind == "approval":

        def deploy() -> str:
            return "deployed"

        gated = ui.tool(deploy, approval=True, timeout=params.timeout, default="reject")
        return await gated()
    return await ui.text_input(
        "Ship it?", timeout=params.timeout, default=params.default, assignee=params.assignee
    )


class AssignedParams(BaseModel):
    """Who is asked first; the second question is the owner's."""

    assignee: str


@registry.register(
    name="assigned_questions",
    description="Asks the assignee, then the owner; returns both answers",
    params=AssignedParams,
)
async def assigned_questions(ui: JobUI, params: AssignedParams) -> list[str]:
    theirs = await ui.text_input("Budget approved?", assignee=params.assignee)
    mine = await ui.text_input("And your own note?")
    return [theirs, mine]
