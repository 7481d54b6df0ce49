"""Workflows of the usage, budget and rate-limit tests: agents that only talk to the model."""

from __future__ import annotations

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.teams import RoundRobinGroupChat
from pydantic import BaseModel, Field

from agentjobs.agentchat.models import chat_client
from agentjobs.protocol.bodies import Budget
from agentjobs.ui import JobUI
from agentjobs.workflows import Workflows

registry = Workflows()


class TurnsParams(BaseModel):
    """How many model calls the chat makes."""

    turns: int = Field(default=2, ge=1, le=20)


async def model_chat(ui: JobUI, params: TurnsParams) -> int:
    """A Student (plain calls) and a Teacher (streamed calls) talk; nobody is asked anything."""
    scripted = ["A scripted line."] * params.turns
    student = AssistantAgent("Student", model_client=chat_client(scripted))
    teacher = AssistantAgent(
        "Teacher", model_client=chat_client(scripted), model_client_stream=True
    )
    team = RoundRobinGroupChat(
        [student, teacher], termination_condition=MaxMessageTermination(params.turns + 1)
    )
    result = await ui.run_team(team, task="Student, ask about prime numbers.")
    return len(result.messages)


registry.register(
    name="model_chat", description="Two agents talk on the model", params=TurnsParams
)(model_chat)
registry.register(
    name="model_chat_budgeted",
    description="Two agents talk on the model, one call per job unless the job says more",
    params=TurnsParams,
    budget=Budget(max_model_calls=1),
)(model_chat)
