"""AG-UI end to end: real API, worker and Redis; every event validated by ag-ui-protocol.

The learning chat through ``POST /ag-ui/learning_chat``: the first run ends in an interrupt
carrying the question, a second run on the same thread resumes it with the answer and streams
the Student's and Teacher's messages to a successful RUN_FINISHED; the job is an ordinary job.
Then re-attaching, cancelling, the bad inputs, and two API processes on one Redis.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from ag_ui.core import (
    RunErrorEvent,
    RunFinishedCancelledOutcome,
    RunFinishedEvent,
    RunFinishedInterruptOutcome,
    RunFinishedSuccessOutcome,
)

from tests.support.agui_client import Run, post_run, run_input
from tests.support.stack import RedisServer, api_server

QUESTION = "What do you want to learn today?"


def _interrupt(run: Run) -> tuple[str, str, dict[str, object]]:
    """(id, message, response schema) of the one interrupt the run ended in."""
    end = run.last
    assert isinstance(end, RunFinishedEvent), run.types()
    assert isinstance(end.outcome, RunFinishedInterruptOutcome), end
    [interrupt] = end.outcome.interrupts
    return interrupt.id, interrupt.message or "", interrupt.response_schema or {}


def _resume(thread: str, interrupt_id: str, answer: object, status: str = "resolved") -> dict:
    entry = {"interruptId": interrupt_id, "status": status, "payload": answer}
    return run_input(thread, resume=[entry])


async def test_learning_chat_over_ag_ui(http: httpx.AsyncClient) -> None:
    thread = uuid.uuid4().hex
    first = await post_run(http, "learning_chat", run_input(thread, state={"turns": 2}))
    interrupt_id, message, schema = _interrupt(first)
    assert message == QUESTION
    assert schema == {"type": "string"}
    job_id = first.job_id
    record = (await http.get(f"/jobs/{job_id}")).json()
    assert record["status"] == "awaiting_input"
    assert record["pending"]["request_id"] == interrupt_id
    assert record["params"] == {"turns": 2}  # from ``state``

    second = await post_run(http, "learning_chat", _resume(thread, interrupt_id, "fractions"))
    assert second.job_id == job_id  # the same job, not a new one
    end = second.last
    assert isinstance(end, RunFinishedEvent), second.types()
    assert isinstance(end.outcome, RunFinishedSuccessOutcome)
    assert "fractions" in end.result
    senders = [name for _mid, name, _text in second.messages()]
    assert {"Student", "Teacher"} <= set(senders)
    texts = {name: text for _mid, name, text in second.messages()}
    assert "fractions" in texts["Student"]
    # Message ids of the two runs never collide: each run's ids name where it starts.
    assert not {m for m, *_ in first.messages()} & {m for m, *_ in second.messages()}

    jobs = (await http.get("/jobs", params={"limit": 200})).json()["jobs"]
    listed = {job["job_id"]: job for job in jobs}
    assert listed[job_id]["status"] == "succeeded"
    assert listed[job_id]["workflow"] == "learning_chat"
    assert listed[job_id]["result"] == end.result

    # Re-attached (same thread, no resume): the last run again, with the same message ids.
    again = await post_run(http, "learning_chat", run_input(thread))
    assert again.messages() == second.messages()
    assert again.last == end.model_copy(update={"run_id": again.last.run_id})
    # The same resume once more (a client retrying after a dropped stream) re-attaches too.
    retried = await post_run(http, "learning_chat", _resume(thread, interrupt_id, "fractions"))
    assert retried.messages() == second.messages()


async def test_a_dropped_first_run_replays_its_interrupt(http: httpx.AsyncClient) -> None:
    thread = uuid.uuid4().hex
    first = await post_run(http, "learning_chat", run_input(thread))
    again = await post_run(http, "learning_chat", run_input(thread))
    assert again.job_id == first.job_id
    assert _interrupt(again) == _interrupt(first)
    assert again.messages() == first.messages()


async def test_a_cancelled_resume_cancels_the_job(http: httpx.AsyncClient) -> None:
    thread = uuid.uuid4().hex
    first = await post_run(http, "learning_chat", run_input(thread))
    interrupt_id, *_ = _interrupt(first)
    cancelled = await post_run(
        http, "learning_chat", _resume(thread, interrupt_id, None, status="cancelled")
    )
    assert isinstance(cancelled.last, RunFinishedEvent)
    assert isinstance(cancelled.last.outcome, RunFinishedCancelledOutcome)
    record = (await http.get(f"/jobs/{first.job_id}")).json()
    assert record["status"] == "cancelled"


async def test_choices_and_failures_map_to_their_ag_ui_forms(http: httpx.AsyncClient) -> None:
    thread = uuid.uuid4().hex
    first = await post_run(http, "pick_many", run_input(thread))
    interrupt_id, message, schema = _interrupt(first)
    assert message == "Which toppings?"
    assert schema["type"] == "array"
    assert schema["items"] == {"type": "string", "enum": ["cheese", "ham", "olives"]}
    refused = await http.post("/ag-ui/pick_many", json=_resume(thread, interrupt_id, ["salami"]))
    assert refused.status_code == 422, refused.text
    done = await post_run(http, "pick_many", _resume(thread, interrupt_id, ["ham", "olives"]))
    assert done.last.result == ["ham", "olives"]  # type: ignore[union-attr]

    failed = await post_run(http, "failing", run_input(uuid.uuid4().hex))
    assert isinstance(failed.last, RunErrorEvent)
    assert failed.last.code == "exception"
    assert "on purpose" in failed.last.message
    assert [text for _m, _n, text in failed.messages()] == ["about to fail"]


async def test_bad_inputs_are_refused_before_any_job(http: httpx.AsyncClient) -> None:
    before = (await http.get("/jobs")).json()["total"]
    thread = uuid.uuid4().hex
    malformed = await http.post("/ag-ui/learning_chat", json={"threadId": thread})
    assert malformed.status_code == 422
    assert {tuple(e["loc"][-1:]) for e in malformed.json()["detail"]} >= {("runId",)}
    unknown = await http.post("/ag-ui/no_such_workflow", json=run_input(thread))
    assert unknown.status_code == 404
    bad_params = await http.post("/ag-ui/learning_chat", json=run_input(thread, state=[1]))
    assert bad_params.status_code == 422
    failing_schema = await http.post(
        "/ag-ui/learning_chat", json=run_input(thread, forwardedProps={"params": {"turns": 99}})
    )
    assert failing_schema.status_code == 422
    huge = run_input(thread, state={"turns": 2, "pad": "x" * 2_000_000})
    assert (await http.post("/ag-ui/learning_chat", json=huge)).status_code == 413
    nothing_to_resume = await http.post("/ag-ui/learning_chat", json=_resume(thread, "r1", "x"))
    assert nothing_to_resume.status_code == 404
    assert (await http.get("/jobs")).json()["total"] == before

    # A resume naming another thread's (another job's) request is refused; both jobs wait on.
    one, other = uuid.uuid4().hex, uuid.uuid4().hex
    first = await post_run(http, "learning_chat", run_input(one))
    second = await post_run(http, "learning_chat", run_input(other))
    foreign, *_ = _interrupt(second)
    crossed = await http.post("/ag-ui/learning_chat", json=_resume(one, foreign, "fractions"))
    assert crossed.status_code == 409, crossed.text
    assert "not pending on this thread" in crossed.json()["detail"]
    wrong_workflow = await http.post("/ag-ui/chatty", json=run_input(one))
    assert wrong_workflow.status_code == 409
    for run in (first, second):
        assert (await http.get(f"/jobs/{run.job_id}")).json()["status"] == "awaiting_input"
        assert (await http.post(f"/jobs/{run.job_id}/cancel")).status_code == 200


async def test_the_route_is_in_openapi(http: httpx.AsyncClient) -> None:
    schema = (await http.get("/openapi.json")).json()
    operation = schema["paths"]["/ag-ui/{workflow}"]["post"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {"401", "404", "409", "413", "422"} <= set(operation["responses"])


@pytest.fixture(scope="module")
def second_api(redis_srv: RedisServer, worker_proc: None, logs_dir: Path) -> Iterator[str]:
    """Another API process on the session Redis."""
    with api_server(redis_srv.url, logs_dir / "api-agui-second.log") as url:
        yield url


@pytest.fixture
async def http2(second_api: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=second_api, timeout=10) as client:
        yield client


async def test_each_run_through_another_api_process(
    http: httpx.AsyncClient, http2: httpx.AsyncClient
) -> None:
    thread = uuid.uuid4().hex
    first = await post_run(http, "learning_chat", run_input(thread, state={"turns": 2}))
    interrupt_id, *_ = _interrupt(first)
    second = await post_run(http2, "learning_chat", _resume(thread, interrupt_id, "prime numbers"))
    assert second.job_id == first.job_id
    assert isinstance(second.last, RunFinishedEvent)
    assert "prime numbers" in second.last.result
    again = await post_run(http, "learning_chat", run_input(thread))
    assert again.messages() == second.messages()
