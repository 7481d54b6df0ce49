"""The FastAgency protocol over raw WebSockets against the live API and worker.

Each of the things FastAgency's own server gets wrong has a test here: unknown workflows,
frames nobody asked for, clients that leave, reused UUIDs. (Many waiting runs: the load test.)
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
from websockets.asyncio.client import connect

from tests.support.fastagency_wire import FastAgencySocket, fastagency_run, ws_base


async def wait_for_status(
    http: httpx.AsyncClient, job_id: str, *statuses: str
) -> dict[str, object]:
    """The job record once its status is one of ``statuses`` (polls; fails after 20 s)."""
    async with asyncio.timeout(20):
        while True:
            record: dict[str, object] = (await http.get(f"/jobs/{job_id}")).json()
            if record["status"] in statuses:
                return record
            await asyncio.sleep(0.05)


async def test_discovery_on_both_paths_lists_the_catalog(
    api_url: str, http: httpx.AsyncClient
) -> None:
    catalog = (await http.get("/workflows")).json()
    expected = [{"name": w["name"], "description": w["description"]} for w in catalog]
    for path in ("/fastagency/discovery", "//fastagency/discovery"):
        # Absolute: httpx would read "//fastagency/..." relative to a base URL as a host name.
        response = await http.get(api_url + path)
        assert response.status_code == 200, (path, response.text)
        assert response.json() == expected
    assert {"learning_chat", "trip_planner"} <= {w["name"] for w in expected}


async def test_initiate_workflow_answers_like_fastagency_and_404s_unknown_names(
    http: httpx.AsyncClient,
) -> None:
    body = {
        "workflow_name": "learning_chat",
        "workflow_uuid": uuid.uuid4().hex,
        "user_id": "None",
        "params": {"turns": 2},
    }
    response = await http.post("/fastagency/initiate_workflow", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"user_id", "workflow_uuid", "name", "params"}
    assert (answer["name"], answer["params"]) == ("learning_chat", {"turns": 2})
    uuid.UUID(answer["workflow_uuid"])

    unknown = await http.post(
        "/fastagency/initiate_workflow", json={**body, "workflow_name": "no_such_flow"}
    )
    assert unknown.status_code == 404
    assert "no_such_flow" in unknown.json()["detail"]
    bad = await http.post("/fastagency/initiate_workflow", json={**body, "params": {"turns": 99}})
    assert bad.status_code == 422


async def test_unknown_workflow_gets_an_error_frame_and_a_clean_close(api_url: str) -> None:
    client_uuid = uuid.uuid4().hex
    async with fastagency_run(api_url, "no_such_flow", workflow_uuid=client_uuid) as ws:
        code = await ws.close_code()
    assert code == 1000
    assert ws.types() == ["error"]
    assert "no_such_flow" in ws.frames[0]["content"]["long"]
    assert ws.frames[0]["workflow_uuid"] == client_uuid  # no job: only this socket's own uuid


async def test_params_failing_the_schema_are_refused_with_the_field_named(api_url: str) -> None:
    async with fastagency_run(api_url, "learning_chat", {"turns": 99}) as ws:
        assert await ws.close_code() == 1000
    assert ws.types() == ["error"]
    assert "turns" in ws.frames[0]["content"]["long"]


async def test_an_unreadable_first_frame_is_refused(api_url: str) -> None:
    async with connect(f"{ws_base(api_url)}/fastagency/ws") as conn:
        await conn.send("hello")
        ws = FastAgencySocket(conn)
        assert await ws.close_code() == 1000
    assert ws.types() == ["error"]
    assert "workflow_uuid" in ws.frames[0]["content"]["long"]


async def test_a_run_is_an_ordinary_job_answered_with_bare_strings(
    api_url: str, http: httpx.AsyncClient
) -> None:
    async with fastagency_run(api_url, "learning_chat", {"turns": 2}) as ws:
        question = await ws.until("text_input")
        assert question["content"]["prompt"] == "What do you want to learn today?"
        job_id = ws.job_id
        record = (await http.get(f"/jobs/{job_id}")).json()
        assert (record["status"], record["workflow"]) == ("awaiting_input", "learning_chat")
        listed = (await http.get("/jobs", params={"limit": 200})).json()["jobs"]
        assert job_id in {job["job_id"] for job in listed}
        await ws.answer("fractions")
        done = await ws.until("workflow_completed")
        assert await ws.close_code() == 1000
    assert ws.types()[0] == "workflow_started"
    assert "fractions" in done["content"]["result"]
    assert {"Student", "Teacher"} <= {f["sender"] for f in ws.frames if f["type"] == "text_message"}
    record = (await http.get(f"/jobs/{job_id}")).json()
    assert record["status"] == "succeeded" and record["result"] == done["content"]["result"]


async def test_a_multi_select_answer_is_the_labels_joined_by_commas(api_url: str) -> None:
    async with fastagency_run(api_url, "pick_many") as ws:
        choice = await ws.until("multiple_choice")
        assert choice["content"]["single"] is False
        await ws.answer("cheese,olives")
        done = await ws.until("workflow_completed")
    assert json.loads(done["content"]["result"]) == ["cheese", "olives"]


async def test_a_refused_answer_leaves_the_question_open(api_url: str) -> None:
    async with fastagency_run(api_url, "trip_planner", {"days": 1}) as ws:
        await ws.until("multiple_choice")
        await ws.answer("Atlantis")
        refused = await ws.until("error")
        assert "Atlantis" in refused["content"]["long"]
        await ws.answer("Lisbon")
        await ws.until("text_input")
        await ws.answer("ok")
        done = await ws.until("workflow_completed")
    assert "Lisbon" in done["content"]["result"]


MAX_FRAME_BYTES = 128 * 1024  # the default AGENTJOBS_MAX_FRAME_BYTES


async def test_an_oversized_answer_is_refused_and_the_socket_stays(api_url: str) -> None:
    # Counted in bytes, like the job socket: 65,537 two-byte characters are over 128 KiB.
    async with fastagency_run(api_url, "learning_chat", {"turns": 2}) as ws:
        await ws.until("text_input")
        await ws.answer("\u00e9" * (MAX_FRAME_BYTES // 2 + 1))
        refused = await ws.until("error")
        assert refused["content"]["short"] == "Answer refused"
        assert str(MAX_FRAME_BYTES) in refused["content"]["long"]
        # FastAgency clients know no 1009: the socket and the question stay.
        await ws.answer("fractions")
        done = await ws.until("workflow_completed")
        assert await ws.close_code() == 1000
    assert "fractions" in done["content"]["result"]


async def test_failure_is_an_error_then_workflow_completed_then_close(api_url: str) -> None:
    async with fastagency_run(api_url, "failing") as ws:
        assert await ws.close_code() == 1000
    assert ws.types() == ["workflow_started", "text_message", "error", "workflow_completed"]
    assert "broke on purpose" in ws.frames[-2]["content"]["long"]
    assert "broke on purpose" in ws.frames[-1]["content"]["result"]


async def test_a_client_that_leaves_mid_run_leaves_the_job_running(
    api_url: str, http: httpx.AsyncClient
) -> None:
    async with fastagency_run(api_url, "learning_chat", {"turns": 2}) as ws:
        question = await ws.until("text_input")
        job_id = ws.job_id
    # FastAgency would answer None here; agentjobs keeps the question for whoever comes.
    record = await wait_for_status(http, job_id, "awaiting_input")
    pending = record["pending"]
    assert isinstance(pending, dict) and pending["prompt"] == question["content"]["prompt"]
    answer = {"request_id": pending["request_id"], "value": "prime numbers"}
    assert (await http.post(f"/jobs/{job_id}/input", json=answer)).status_code == 200
    record = await wait_for_status(http, job_id, "succeeded", "failed", "cancelled")
    assert record["status"] == "succeeded"
    assert "prime numbers" in str(record["result"])
    events = (await http.get(f"/jobs/{job_id}/events")).json()["events"]
    assert [e["value"] for e in events if e["type"] == "input_received"] == ["prime numbers"]


async def test_two_clients_reusing_one_uuid_get_separate_jobs(api_url: str) -> None:
    shared = uuid.uuid4().hex
    async with (
        fastagency_run(api_url, "learning_chat", {"turns": 2}, workflow_uuid=shared) as one,
        fastagency_run(api_url, "learning_chat", {"turns": 2}, workflow_uuid=shared) as two,
    ):
        await one.until("text_input")
        await two.until("text_input")
        assert one.job_id != two.job_id and shared not in (one.job_id, two.job_id)
        await one.answer("fractions")
        await two.answer("geometry")
        first, second = await one.until("workflow_completed"), await two.until("workflow_completed")
        assert await one.close_code() == 1000 and await two.close_code() == 1000
    assert (
        "fractions" in first["content"]["result"] and "geometry" not in first["content"]["result"]
    )
    assert "geometry" in second["content"]["result"]
    # Every frame a socket saw belongs to its own job (job_id asserts a single routing).
    assert one.job_id != two.job_id
