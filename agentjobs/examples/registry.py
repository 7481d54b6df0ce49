"""The example workflows the worker serves by default (``AGENTJOBS_WORKFLOWS``)."""

from __future__ import annotations

from agentjobs.examples.learning_chat import LearningParams, learning_chat
from agentjobs.examples.trip_planner import TripParams, trip_planner
from agentjobs.workflows import Workflows

registry = Workflows()

registry.register(
    name="learning_chat",
    description="A Student agent learns from a math Teacher agent about a topic you choose",
    params=LearningParams,
)(learning_chat)
registry.register(
    name="trip_planner",
    description=(
        "A Planner agent checks the weather with a tool and plans a trip to the city you pick,"
        " then asks for your feedback"
    ),
    params=TripParams,
)(trip_planner)
