"""``agentjobs.testing`` runs registered workflows in-process, answering from a script."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentjobs.agentchat import models
from agentjobs.agentchat.journaled import JournaledChatCompletionClient
from agentjobs.examples.registry import registry as examples
from agentjobs.protocol import InputRequest
from agentjobs.settings import ModelSettings
from agentjobs.testing import (
    CANCEL,
    InvalidParams,
    RunResult,
    UnknownWorkflow,
    run_workflow,
    run_workflow_async,
)
from agentjobs.ui import CURRENT_UI
from tests.support.testing_workflows import Order, registry, waiting


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    # chat_client reads the process settings; a key in the environment must not reach a network.
    settings = ModelSettings(openai_api_key=None, _env_file=None)
    monkeypatch.setattr(models, "get_model_settings", lambda: settings)


def _assert_well_formed(run: RunResult, terminal: str) -> None:
    """Queued, started, ..., one terminal event last; ids increase; every answer is logged."""
    assert run.types[:2] == ["job_queued", "workflow_started"]
    assert run.types[-1] == terminal
    assert sum(t.startswith("workflow_") and t != "workflow_started" for t in run.types) == 1
    ids = [tuple(int(part) for part in event.id.split("-")) for event in run.events]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    for index, event in enumerate(run.events):
        if event.type in ("text_input", "multiple_choice") and terminal == "workflow_completed":
            after = run.events[index + 1]
            assert (after.type, after.request_id) == ("input_received", event.request_id)


def test_a_run_answers_each_question_in_order_and_logs_every_event() -> None:
    run = run_workflow(registry, "order", {"size": 2}, ["Ada", "coffee", ["milk", "lemon"]])

    assert run.status == "succeeded", run.error
    assert run.result == {"name": "Ada", "drink": "coffee", "extras": ["milk", "lemon"], "size": 2}
    assert (run.error, run.reason, run.exception) == (None, None, None)
    _assert_well_formed(run, "workflow_completed")
    assert run.types[2:] == [
        "text_input",
        "input_received",
        "multiple_choice",
        "input_received",
        "multiple_choice",
        "input_received",
        "progress",
        "workflow_completed",
    ]
    queued, started = run.events[:2]
    assert (queued.workflow, queued.params) == ("order", {"size": 2})
    assert started.worker == "agentjobs.testing"
    [choice, extras] = run.of_type("multiple_choice")
    assert (choice.choices, choice.default, extras.single) == (["tea", "coffee"], "tea", False)
    assert [e.value for e in run.of_type("input_received")] == ["Ada", "coffee", ["milk", "lemon"]]
    assert run.of_type("workflow_completed")[0].result == run.result


def test_params_default_from_the_model_and_a_model_instance_is_accepted() -> None:
    by_default = run_workflow(registry, "order", None, ["Bo", "tea", []])
    by_model = run_workflow(registry, "order", Order(size=5), ["Bo", "tea", []])

    assert by_default.result["size"] == 1
    assert by_model.result["size"] == 5
    assert by_model.events[0].params == {"size": 5}


def test_a_callable_answer_sees_the_request_it_answers() -> None:
    seen: list[InputRequest] = []

    def pick_default(request: InputRequest) -> str:
        seen.append(request)
        assert request.type == "multiple_choice"
        assert request.default is not None
        return request.default

    run = run_workflow(registry, "order", {}, ["Cy", pick_default, ["sugar"]])

    assert run.result["drink"] == "tea"
    assert [r.prompt for r in seen] == ["Which drink?"]
    assert seen[0].request_id == run.of_type("multiple_choice")[0].request_id


def test_one_callable_can_answer_every_question() -> None:
    answers = {"Your name?": "Di", "Which drink?": "coffee", "Extras?": ["milk"]}

    run = run_workflow(registry, "order", {}, lambda request: answers[request.prompt])

    assert run.status == "succeeded", run.error
    assert (run.result["name"], run.result["drink"], run.result["extras"]) == (
        "Di",
        "coffee",
        ["milk"],
    )


def test_an_answer_the_api_would_refuse_fails_the_run() -> None:
    run = run_workflow(registry, "order", {}, ["Ed", "juice"])

    assert run.status == "failed"
    assert run.reason == "exception"
    assert run.error is not None
    assert "'juice' is not one of the offered choices ['tea', 'coffee']" in run.error
    assert "Which drink?" in run.error


def test_running_out_of_answers_fails_naming_the_unanswered_question() -> None:
    run = run_workflow(registry, "order", {}, ["Fay"])

    assert run.status == "failed"
    assert run.reason == "input_timeout"
    assert run.error is not None
    assert "no scripted answer left" in run.error
    assert "'Which drink?'" in run.error
    _assert_well_formed(run, "workflow_failed")
    assert run.types[-2] == "multiple_choice"


def test_a_user_proxy_question_without_an_answer_fails_instead_of_hanging() -> None:
    run = run_workflow(registry, "chat", None, [])

    assert run.status == "failed"
    assert run.reason == "input_timeout"
    assert run.error is not None
    assert "asked by 'Human'" in run.error


def test_a_workflow_that_raises_fails_with_the_exception() -> None:
    run = run_workflow(registry, "boom")

    assert run.status == "failed"
    assert run.reason == "exception"
    assert run.error == "ValueError: the oven is on fire"
    assert isinstance(run.exception, ValueError)
    assert run.types == ["job_queued", "workflow_started", "text_message", "workflow_failed"]
    failed = run.events[-1]
    assert (failed.error, failed.reason) == (run.error, "exception")


def test_a_scripted_cancel_cancels_the_job_at_that_question() -> None:
    run = run_workflow(registry, "order", {}, ["Gil", CANCEL])

    assert run.status == "cancelled"
    assert (run.result, run.error) == (None, None)
    assert run.types[-3:] == ["input_received", "multiple_choice", "workflow_cancelled"]
    assert run.events[-1].by == "user"


def test_the_time_limit_fails_a_run_that_takes_too_long() -> None:
    run = run_workflow(registry, "slow")

    assert run.status == "failed"
    assert run.reason == "timeout"
    assert run.error == "the run took longer than its 0.2 s limit"


def test_a_result_is_what_a_client_would_read_back() -> None:
    run = run_workflow(registry, "odd_result")

    assert run.status == "succeeded"
    assert run.result == str({"pair": (1, 2), "when": object})
    assert run_workflow(registry, "order", {}, ["H", "tea", []]).result["extras"] == []


def test_a_tool_result_a_worker_could_not_journal_fails_the_run() -> None:
    run = run_workflow(registry, "bad_tool")

    assert run.status == "failed"
    assert run.error is not None
    assert "Room" in run.error


def test_an_unknown_workflow_names_the_known_ones() -> None:
    with pytest.raises(KeyError) as caught:
        run_workflow(registry, "nope")

    assert isinstance(caught.value, UnknownWorkflow)
    message = str(caught.value)
    assert "'nope'" in message
    assert "'order'" in message
    assert "'chat'" in message


@pytest.mark.parametrize(
    ("params", "field"),
    [({"size": 9}, "size: Input should be less than or equal to 5"), ({"colour": "red"}, "colour")],
)
def test_invalid_params_raise_naming_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match="invalid params for workflow 'order'") as caught:
        run_workflow(registry, "order", params, ["never asked"])

    assert isinstance(caught.value, InvalidParams)
    assert field in str(caught.value)
    assert caught.value.errors[0]["loc"] == (next(iter(params)),)


def test_model_clients_built_in_the_workflow_are_journaled_through_its_ui() -> None:
    run = run_workflow(registry, "chat", None, ["Just looking around."])

    assert run.status == "succeeded", run.error
    assert run.result == f"{JournaledChatCompletionClient.__name__}: Just looking around."
    said = [(m.sender, m.content) for m in run.of_type("text_message")]
    assert said == [("Assistant", "Hello! What brings you here?")]
    assert run.of_type("text_input")[0].sender == "Human"
    assert run.of_type("input_received")[0].value == "Just looking around."


async def test_the_async_twin_leaves_the_callers_context_alone() -> None:
    run = await run_workflow_async(registry, "chat", None, ["Hi."])

    assert run.status == "succeeded", run.error
    assert CURRENT_UI.get() is None


async def test_the_blocking_runner_refuses_to_run_inside_an_event_loop() -> None:
    with pytest.raises(RuntimeError, match="run_workflow_async"):
        run_workflow(registry, "boom")


async def test_cancelling_the_caller_cancels_the_run_and_propagates() -> None:
    waiting.update(started=asyncio.Event(), cancelled=False)
    running = asyncio.create_task(run_workflow_async(registry, "wait_forever"))
    await waiting["started"].wait()
    running.cancel()

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 5)
    assert waiting["cancelled"] is True


def test_the_trip_planner_example_runs_offline() -> None:
    run = run_workflow(examples, "trip_planner", {"days": 2}, ["Tokyo", "Perfect, thanks!"])

    assert run.status == "succeeded", run.error
    assert run.result == "Planned a 2-day trip to Tokyo. The traveler said: Perfect, thanks!"
    _assert_well_formed(run, "workflow_completed")
    [call] = run.of_type("tool_call")
    [result] = run.of_type("tool_result")
    assert (call.function_name, "Tokyo" in result.content) == ("get_weather", True)
    assert [r.sender for r in run.of_type("text_input")] == ["Traveler"]


def test_the_learning_chat_example_runs_offline() -> None:
    run = run_workflow(examples, "learning_chat", {"turns": 2}, ["fractions"])

    assert run.status == "succeeded", run.error
    assert "2 messages about fractions" in run.result
    senders = [m.sender for m in run.of_type("text_message")]
    assert senders == ["agentjobs", "Student", "Teacher"]
    assert run.of_type("stream_chunk")
