"""The inbox and assignees: bob answers a request of alice's job addressed to him through his
inbox, may read that job, and nothing else of alice's."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.auth_api import ALICE, BOB, AuthApi, start, wait_status
from tests.support.client import job_socket


def _client(api: AuthApi, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=api.url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _mine(inbox: dict[str, Any], job_id: str) -> list[dict[str, Any]]:
    return [item for item in inbox["items"] if item["job_id"] == job_id]


async def test_bob_answers_alices_request_through_his_inbox(auth_api: AuthApi) -> None:
    other = start(auth_api, ALICE, "deadline_question", timeout=60, default=None)
    job_id = start(auth_api, ALICE, "assigned_questions", assignee="bob")
    async with _client(auth_api, ALICE) as alice, _client(auth_api, BOB) as bob:
        async with job_socket(auth_api.url, job_id, token=ALICE) as ws:
            asked = await ws.until("text_input")
            assert asked["assignee"] == ["bob"]
            # Listed for bob (and only him) as soon as it is asked.
            inbox = (await bob.get("/inbox")).json()
            [item] = _mine(inbox, job_id)
            assert item["request"]["request_id"] == asked["request_id"]
            assert (item["workflow"], item["owner"]) == ("assigned_questions", "alice")
            assert item["asked_at"] and "deadline" in item and inbox["count"] >= 1
            assert _mine((await alice.get("/inbox")).json(), job_id) == []
            # Bob may read the job's transcript...
            assert (await bob.get(f"/jobs/{job_id}")).status_code == 200
            events = (await bob.get(f"/jobs/{job_id}/events")).json()["events"]
            assert any(e["type"] == "text_input" for e in events)
            async with job_socket(auth_api.url, job_id, token=BOB) as watching:
                assert (await watching.until("text_input"))["request_id"] == asked["request_id"]
                await watching.send({"type": "cancel"})  # not his to cancel
                refused = await watching.until("protocol_error")
                assert "only the job's owner" in refused["detail"]
            # ...and nothing else of alice's.
            assert (await bob.post(f"/jobs/{job_id}/cancel")).status_code == 404
            assert (await bob.delete(f"/jobs/{job_id}")).status_code == 404
            for path in (f"/jobs/{other}", f"/jobs/{other}/events"):
                assert (await bob.get(path)).status_code == 404
            assert (await bob.get(f"/jobs/{job_id}")).json()["status"] == "awaiting_input"
            answer = {"value": "approved"}
            reply = await bob.post(f"/inbox/{asked['request_id']}", json=answer)
            assert reply.status_code == 200, reply.text
            assert _mine((await bob.get("/inbox")).json(), job_id) == []
            # The next request is alice's own: bob may not answer it.
            second = await ws.until("text_input")
            assert second["assignee"] == []
            [own] = _mine((await alice.get("/inbox")).json(), job_id)
            assert own["request"]["request_id"] == second["request_id"]
            note = {"request_id": second["request_id"], "value": "bob's note"}
            assert (await bob.post(f"/jobs/{job_id}/input", json=note)).status_code == 403
            only_value = {"value": note["value"]}
            reply = await bob.post(f"/inbox/{second['request_id']}", json=only_value)
            assert reply.status_code == 403
            reply = await alice.post(f"/inbox/{second['request_id']}", json={"value": "noted"})
            assert reply.status_code == 200, reply.text
            end = await ws.until_end()
        assert end["type"] == "workflow_completed" and end["result"] == ["approved", "noted"]
        events = (await alice.get(f"/jobs/{job_id}/events")).json()["events"]
        answers = [(e["value"], e["by"]) for e in events if e["type"] == "input_received"]
        assert answers == [("approved", "bob"), ("noted", "alice")]
        assert (await alice.post(f"/jobs/{other}/cancel")).status_code == 200
        assert _mine((await alice.get("/inbox")).json(), other) == []  # unlisted at its end


async def test_a_request_unknown_to_the_caller_is_404(auth_api: AuthApi) -> None:
    job_id = start(auth_api, ALICE, "deadline_question", timeout=60, default=None)
    record = wait_status(auth_api, ALICE, job_id, "awaiting_input")
    async with _client(auth_api, BOB) as bob, _client(auth_api, ALICE) as alice:
        rid = record["pending"]["request_id"]
        assert (await bob.post(f"/inbox/{rid}", json={"value": "x"})).status_code == 404
        assert (await bob.post("/inbox/no-such-request", json={"value": "x"})).status_code == 404
        assert (await alice.post(f"/jobs/{job_id}/cancel")).status_code == 200


async def test_the_inbox_socket_sends_the_count_as_it_changes(auth_api: AuthApi) -> None:
    url = auth_api.url.replace("http://", "ws://") + "/inbox/ws"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, open_timeout=10):
            pass
    assert refused.value.response.status_code == 401
    headers = {"Authorization": f"Bearer {BOB}"}
    async with connect(url, additional_headers=headers, open_timeout=10) as ws:

        async def count() -> int:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            assert frame["type"] == "inbox"
            return int(frame["count"])

        before = await count()
        job_id = start(auth_api, ALICE, "assigned_questions", assignee="bob")
        assert await count() == before + 1  # pushed, no polling
        rid = wait_status(auth_api, ALICE, job_id, "awaiting_input")["pending"]["request_id"]
        async with _client(auth_api, BOB) as bob:
            assert (await bob.post(f"/inbox/{rid}", json={"value": "ok"})).status_code == 200
        assert await count() == before
        async with _client(auth_api, ALICE) as alice:
            assert (await alice.post(f"/jobs/{job_id}/cancel")).status_code == 200
