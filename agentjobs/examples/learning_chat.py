"""A Student agent learns about a topic the human picks from a math Teacher agent."""

from __future__ import annotations

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.messages import BaseChatMessage
from autogen_agentchat.teams import RoundRobinGroupChat
from pydantic import BaseModel, ConfigDict, Field

from agentjobs.agentchat.models import OFFLINE_NOTICE, chat_client, is_offline
from agentjobs.ui import JobUI


class LearningParams(BaseModel):
    """How long the lesson runs."""

    model_config = ConfigDict(extra="forbid")

    turns: int = Field(
        default=4, ge=2, le=10, description="How many messages the Student and Teacher exchange."
    )


async def learning_chat(ui: JobUI, params: LearningParams) -> str:
    """Ask the human for a topic, then let a Student and a Teacher agent talk about it."""
    if is_offline():
        await ui.text_message(OFFLINE_NOTICE, sender="agentjobs")
    answer = await ui.text_input(
        "What do you want to learn today?",
        suggestions=["Pythagorean theorem", "prime numbers", "fractions"],
    )
    topic = answer.strip() or "prime numbers"

    # Built per run: the scripted client hands out each reply once.
    student = AssistantAgent(
        "Student",
        model_client=chat_client(_student_script(topic)),
        description="A curious student.",
        system_message=(
            f"You are a curious student learning about {topic}. Ask the Teacher one short "
            "question at a time and say in your own words what you understood."
        ),
    )
    teacher = AssistantAgent(
        "Teacher",
        model_client=chat_client(_teacher_script(topic)),
        description="A patient math teacher.",
        system_message=(
            "You are a patient math teacher. Answer the Student's questions in a few sentences "
            "with one small worked example, and check their understanding."
        ),
        model_client_stream=True,
    )
    team = RoundRobinGroupChat(
        [student, teacher], termination_condition=MaxMessageTermination(params.turns + 1)
    )
    result = await ui.run_team(
        team, task=f"The Student wants to learn about {topic}. Student, ask your first question."
    )

    said = [m for m in result.messages if isinstance(m, BaseChatMessage)]
    teacher_words = [m.to_text() for m in said if m.source == "Teacher"]
    last = teacher_words[-1][:200] if teacher_words else "(nothing)"
    return (
        f"Student and Teacher exchanged {len(said)} messages about {topic}. "
        f"Teacher's last word: {last}"
    )


def _student_script(topic: str) -> list[str]:
    # Five replies each covers the largest allowed ``turns``.
    return [
        f"Hi! I'd like to learn about {topic}. What is it, in simple words?",
        "That helps. Could you show me one small example, step by step?",
        "I think I see it now. Where would I actually use this?",
        f"Let me say it back: with {topic}, I try small numbers first and look for the pattern.",
        "Thank you, that was clear. I'll practise a few on my own.",
    ]


def _teacher_script(topic: str) -> list[str]:
    return [
        f"Good question! The heart of {topic} is an idea you can test with small, concrete "
        "numbers before trusting it in general.",
        "Let's take the simplest case, write down each step, and check the result by hand. "
        "Doing it slowly once makes the pattern visible.",
        "It shows up whenever you measure, build or count things: checking an answer quickly "
        "is often where it saves you.",
        "Exactly right. Explaining it back like that is the best sign you understood it.",
        "Well done today. Try three examples yourself and bring me any that surprise you.",
    ]
