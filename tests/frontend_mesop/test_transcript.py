"""The transcript fold: each event type, stream chunks replaced in place, no duplicates, bounds."""

from __future__ import annotations

from agentjobs.protocol import (
    Event,
    InputReceived,
    JobQueued,
    MultipleChoice,
    Progress,
    StreamChunk,
    TextInput,
    TextMessage,
    ToolCall,
    ToolResult,
    WorkflowCancelled,
    WorkflowCompleted,
    WorkflowFailed,
    WorkflowStarted,
)
from frontend_mesop.transcript import MAX_ITEMS, Transcript, fold

JOB = "j1"


def _kinds(t: Transcript) -> list[str]:
    return [item.kind for item in t.items]


def test_a_run_with_a_question_folds_into_items_and_status() -> None:
    t = Transcript(job_id=JOB)
    fold(t, [JobQueued(id="1-0", job_id=JOB, workflow="w")])
    assert t.status == "queued" and t.workflow == "w"
    fold(t, [WorkflowStarted(id="2-0", job_id=JOB, workflow="w", worker="x")])
    assert t.status == "running"
    question = TextInput(
        id="3-0", job_id=JOB, request_id="r1", prompt="Topic?", suggestions=["a", "b"]
    )
    fold(t, [question])
    assert t.status == "awaiting_input"
    assert (t.pending.request_id, t.pending.kind, t.pending.suggestions) == (
        "r1",
        "text_input",
        ["a", "b"],
    )
    fold(t, [InputReceived(id="4-0", job_id=JOB, request_id="r1", value="a")])
    assert t.pending.request_id == "" and t.status == "running"
    fold(t, [WorkflowCompleted(id="5-0", job_id=JOB, result={"n": 1})])
    assert t.status == "succeeded"
    assert _kinds(t) == ["status", "status", "question", "answer", "final"]
    assert t.items[-1].tone == "succeeded" and '"n": 1' in t.items[-1].text
    assert t.cursor == "5-0"


def test_stream_chunks_grow_one_item_that_the_final_message_replaces_in_place() -> None:
    t = Transcript(job_id=JOB)
    fold(
        t,
        [
            TextMessage(id="1-0", job_id=JOB, sender="Student", content="Q?"),
            StreamChunk(id="2-0", job_id=JOB, sender="Teacher", content="Good "),
            StreamChunk(id="3-0", job_id=JOB, sender="Teacher", content="question"),
        ],
    )
    assert _kinds(t) == ["message", "stream"]
    assert t.items[1].text == "Good question"
    fold(t, [TextMessage(id="4-0", job_id=JOB, sender="Teacher", content="Good question!")])
    assert _kinds(t) == ["message", "message"]
    assert [i.text for i in t.items] == ["Q?", "Good question!"]


def test_events_at_or_before_the_cursor_are_skipped() -> None:
    t = Transcript(job_id=JOB)
    events: list[Event] = [
        TextMessage(id=f"{n}-0", job_id=JOB, sender="a", content=str(n)) for n in range(1, 11)
    ]
    assert fold(t, events[:6]) == 6
    assert fold(t, events[3:]) == 4  # a re-read overlapping what is shown ("10-0" > "6-0")
    assert [i.text for i in t.items] == [str(n) for n in range(1, 11)]


def test_password_answers_are_masked_and_choices_kept() -> None:
    t = Transcript(job_id=JOB)
    fold(t, [TextInput(id="1-0", job_id=JOB, request_id="p", prompt="Token?", password=True)])
    assert t.pending.password
    fold(t, [InputReceived(id="2-0", job_id=JOB, request_id="p", value="s3cret")])
    assert "s3cret" not in t.items[-1].text
    choice = MultipleChoice(
        id="3-0", job_id=JOB, request_id="c", prompt="Where?", choices=["A", "B"], single=False
    )
    fold(t, [choice])
    assert (t.pending.choices, t.pending.single) == (["A", "B"], False)
    fold(t, [InputReceived(id="4-0", job_id=JOB, request_id="c", value=["A", "B"])])
    assert t.items[-1].text == "A, B"


def test_tools_progress_and_failures() -> None:
    t = Transcript(job_id=JOB)
    fold(
        t,
        [
            ToolCall(
                id="1-0", job_id=JOB, sender="P", call_id="c", function_name="f", arguments="{}"
            ),
            ToolResult(
                id="2-0",
                job_id=JOB,
                sender="P",
                call_id="c",
                function_name="f",
                content="boom",
                is_error=True,
            ),
            Progress(id="3-0", job_id=JOB, content="Half", fraction=0.5),
            WorkflowFailed(id="4-0", job_id=JOB, error="KeyError: x", reason="input_timeout"),
        ],
    )
    assert _kinds(t) == ["tool_call", "tool_result", "progress", "final"]
    assert t.items[1].tone == "error" and t.items[1].detail == "boom"
    assert t.items[2].fraction == 0.5
    assert t.items[3].tone == "failed" and "nobody answered" in t.items[3].text
    assert t.items[3].detail == "KeyError: x"


def test_cancel_ends_a_stream_and_clears_the_question() -> None:
    t = Transcript(job_id=JOB)
    fold(
        t,
        [
            StreamChunk(id="1-0", job_id=JOB, sender="T", content="half a"),
            TextInput(id="2-0", job_id=JOB, request_id="r", prompt="?"),
            WorkflowCancelled(id="3-0", job_id=JOB, by="alice"),
        ],
    )
    assert t.status == "cancelled" and t.pending.request_id == ""
    assert _kinds(t) == ["message", "question", "final"]
    assert "alice" in t.items[-1].text


def test_the_transcript_is_bounded() -> None:
    t = Transcript(job_id=JOB)
    count = MAX_ITEMS + 25
    fold(
        t,
        [
            TextMessage(id=f"{n}-0", job_id=JOB, sender="a", content=str(n))
            for n in range(1, count + 1)
        ],
    )
    assert len(t.items) == MAX_ITEMS and t.dropped == 25
    assert t.items[-1].text == str(count) and t.cursor == f"{count}-0"
