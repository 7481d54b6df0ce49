"""Tool approvals for clients without an approval type: FastAgency gets a multiple choice,
AG-UI an interrupt whose response schema is the decision's."""

from __future__ import annotations

import jsonschema
import pytest

from agentjobs.protocol import AnswerValue, ToolApproval, answer_problem
from backend.agui.translate import response_schema
from backend.fastagency.answers import answer_value
from backend.fastagency.frames import MultipleChoiceFrame
from backend.fastagency.translate import RunInfo, event_frames

SCHEMA = {
    "type": "object",
    "properties": {"nights": {"type": "integer"}},
    "required": ["nights"],
    "additionalProperties": False,
}
REQUEST = ToolApproval(
    job_id="j1",
    request_id="r1",
    sender="Planner",
    tool="book",
    arguments={"nights": 2},
    arguments_schema=SCHEMA,
    reason="it spends money",
)


def test_fastagency_gets_a_choice_of_approve_or_reject_with_the_arguments() -> None:
    run = RunInfo(job_id="j1", name="w", description="", params={})
    [frame] = event_frames(REQUEST, run, lambda number: f"frame-{number}")
    assert isinstance(frame, MultipleChoiceFrame)
    assert frame.content.choices == ["approve", "reject"]
    assert "book" in frame.content.prompt and '{"nights": 2}' in frame.content.prompt


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("approve", {"decision": "approve"}),
        ("reject", {"decision": "reject", "reason": "rejected in the chat"}),
        ("too expensive", {"decision": "reject", "reason": "too expensive"}),
    ],
)
def test_fastagency_answers_become_decisions(text: str, value: AnswerValue) -> None:
    assert answer_value(REQUEST, text) == value
    assert answer_problem(REQUEST, value) is None


def test_ag_ui_response_schema_takes_exactly_the_decisions() -> None:
    schema = response_schema(REQUEST)
    jsonschema.validate({"decision": "approve"}, schema)
    jsonschema.validate({"decision": "edit", "arguments": {"nights": 3}}, schema)
    for bad in ({"decision": "maybe"}, {"decision": "edit", "arguments": {"nights": "x"}}, "ok"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
