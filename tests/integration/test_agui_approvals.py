"""A tool approval over AG-UI: the run ends in an interrupt whose response schema is the
decision's; resuming with an edit runs the tool with the edited arguments."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from ag_ui.core import RunFinishedEvent, RunFinishedInterruptOutcome, RunFinishedSuccessOutcome

from tests.support.agui_client import post_run, run_input


async def test_an_approval_is_an_interrupt_and_an_edit_resumes_it(
    http: httpx.AsyncClient, tmp_path: Path
) -> None:
    counter = tmp_path / "counter"
    thread = uuid.uuid4().hex
    first = await post_run(
        http, "approval_team", run_input(thread, state={"counter_path": str(counter)})
    )
    end = first.last
    assert isinstance(end, RunFinishedEvent) and isinstance(
        end.outcome, RunFinishedInterruptOutcome
    ), first.types()
    [interrupt] = end.outcome.interrupts
    schema = interrupt.response_schema or {}
    assert schema["properties"]["decision"]["enum"] == ["approve", "reject", "edit"]
    assert schema["properties"]["arguments"]["properties"]["amount"]["type"] == "integer"
    edit = {"decision": "edit", "arguments": {"amount": 3}}
    entry = {"interruptId": interrupt.id, "status": "resolved", "payload": edit}
    second = await post_run(http, "approval_team", run_input(thread, resume=[entry]))
    done = second.last
    assert isinstance(done, RunFinishedEvent), second.types()
    assert isinstance(done.outcome, RunFinishedSuccessOutcome), done
    assert counter.read_text().split() == ["3"]
