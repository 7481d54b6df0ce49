"""``ui.tool(func, approval=True)`` and request deadlines in memory (``agentjobs.testing``)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from agentjobs.approvals import arguments_problem, default_decision
from agentjobs.protocol import ApprovalDecision, ToolApproval
from agentjobs.requests import assignee_list
from agentjobs.testing import run_workflow
from agentjobs.ui import JobUI
from agentjobs.workflows import Workflows

registry = Workflows()
RUNS: list[dict[str, Any]] = []


def book(city: str, nights: int = 1) -> str:
    """Book a room."""
    RUNS.append({"city": city, "nights": nights})
    return f"booked {nights} in {city}"


@registry.register(name="booking", description="books after an approval")
async def booking(ui: JobUI, _params: BaseModel) -> str:
    gated = ui.tool(book, approval=True, reason="money", sender="Planner", assignee="finance")
    return await gated("Lisbon", nights=2)


@registry.register(name="quick", description="an approval that times out", input_timeout=0.05)
async def quick(ui: JobUI, _params: BaseModel) -> str:
    return await ui.tool(book, approval=True, default="approve")("Porto")


@pytest.fixture(autouse=True)
def _no_runs() -> None:
    RUNS.clear()


def test_the_request_shows_the_call() -> None:
    run = run_workflow(registry, "booking", {}, [{"decision": "approve"}])
    [asked] = run.of_type("tool_approval")
    assert isinstance(asked, ToolApproval)
    assert (asked.tool, asked.arguments) == ("book", {"city": "Lisbon", "nights": 2})
    assert (asked.sender, asked.reason, asked.assignee) == ("Planner", "money", ["finance"])
    assert asked.deadline is None  # no timeout: it waits as long as it takes
    assert asked.arguments_schema["required"] == ["city"]
    assert run.result == "booked 2 in Lisbon" and RUNS == [{"city": "Lisbon", "nights": 2}]


def test_a_rejected_call_does_not_run_and_says_why() -> None:
    run = run_workflow(registry, "booking", {}, [{"decision": "reject", "reason": "too far"}])
    assert RUNS == [] and "rejected by a human reviewer: too far" in run.result


def test_an_edited_call_runs_with_the_edit() -> None:
    edit = {"decision": "edit", "arguments": {"city": "Faro", "nights": 5}}
    run = run_workflow(registry, "booking", {}, [edit])
    assert run.result == "booked 5 in Faro" and RUNS == [{"city": "Faro", "nights": 5}]


def test_an_answer_that_is_no_decision_fails_the_scripted_run() -> None:
    run = run_workflow(registry, "booking", {}, ["yes"])
    assert run.status == "failed" and "decision" in (run.error or "") and RUNS == []


def test_running_out_of_scripted_answers_is_not_a_deadline() -> None:
    run = run_workflow(registry, "quick", {}, [])
    # Out of scripted answers is not a deadline: the run fails rather than guess.
    assert run.status == "failed" and RUNS == []


def test_arguments_are_checked_against_the_schema_naming_the_field() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert arguments_problem(schema, {"n": 1}) is None
    assert "arguments.n" in (arguments_problem(schema, {"n": "x"}) or "")
    assert "n" in (arguments_problem(schema, {}) or "")


def test_short_defaults_and_assignees() -> None:
    assert default_decision("approve") == ApprovalDecision(decision="approve")
    assert default_decision({"decision": "reject", "reason": "late"}) == ApprovalDecision(
        decision="reject", reason="late"
    )
    assert assignee_list("bob") == ["bob"] and assignee_list(["a", "b", "a"]) == ["a", "b"]
    with pytest.raises(ValueError, match="not a user id"):
        assignee_list("bob smith")
