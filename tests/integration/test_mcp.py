"""MCP end to end: the official ``mcp`` client against ``/mcp`` on a real API, worker and Redis.

The workflows are listed as tools; the learning chat runs with an elicitation callback that
answers its question (protocol 2026-07-28: the question comes back as ``InputRequiredResult``
and the client calls again with the answer), and without one through ``answer_request``;
each run is an ordinary job. Then the bad inputs, the auth matrix, and four API processes
with every HTTP request going to another one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from tests.support.auth_api import ALICE, BOB, AuthApi
from tests.support.mcp_client import (
    RoundRobin,
    Seen,
    answering,
    legacy_session,
    modern_client,
    structured,
    text,
)
from tests.support.stack import RedisServer, api_server

QUESTION = "What do you want to learn today?"


async def test_the_workflows_are_listed_as_tools(api_url: str, http: httpx.AsyncClient) -> None:
    catalog = (await http.get("/workflows")).json()
    async with legacy_session(api_url) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    for workflow in catalog:
        tool = tools[workflow["name"]]
        assert tool.description == workflow["description"]
        assert tool.input_schema == workflow["params_schema"]
    assert {"answer_request", "get_job"} <= set(tools)
    assert tools["answer_request"].input_schema["required"] == ["job_id", "request_id", "value"]


async def test_learning_chat_with_elicitation(api_url: str, http: httpx.AsyncClient) -> None:
    seen = Seen()
    async with modern_client(api_url, seen, answering(seen, "fractions")) as client:
        result = await client.call_tool(
            "learning_chat", {"turns": 2}, progress_callback=seen.on_progress
        )
        [question] = seen.questions
        assert question.message == QUESTION
        assert question.requested_schema["required"] == ["answer"]  # type: ignore[union-attr]
        assert not result.is_error, result
        assert "fractions" in text(result)
        job_id = structured(result)["job_id"]
        assert structured(result)["status"] == "succeeded"

        transcript = await client.read_resource(f"agentjobs://jobs/{job_id}")
        [contents] = transcript.contents
        assert f"job {job_id} (learning_chat): succeeded" in contents.text  # type: ignore[union-attr]
        assert "Student: " in contents.text and "Teacher: " in contents.text  # type: ignore[union-attr]
        templates = (await client.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["agentjobs://jobs/{job_id}"]

    # The job's messages came as progress notifications and log messages as it ran.
    assert any(line.startswith("Student: ") for line in seen.progress), seen.progress
    assert any(line.startswith("Teacher: ") for line in seen.progress)
    assert {"text_message", "input_received", "workflow_completed"} <= {
        entry["type"] for entry in seen.logs
    }
    record = (await http.get(f"/jobs/{job_id}")).json()
    assert record["status"] == "succeeded"
    assert record["params"] == {"turns": 2}
    assert record["result"] == text(result)


async def test_choices_are_an_enum_and_a_decline_cancels(
    api_url: str, http: httpx.AsyncClient
) -> None:
    seen = Seen()
    async with modern_client(api_url, seen, answering(seen, ["ham", "olives"])) as client:
        picked = await client.call_tool("pick_many", {})
    [question] = seen.questions
    assert question.message.startswith("Which toppings? Choices (one or more): cheese")
    schema = question.requested_schema["properties"]["answer"]  # type: ignore[union-attr]
    assert schema == {
        "type": "array",
        "title": "Answer",
        "items": {"type": "string", "enum": ["cheese", "ham", "olives"]},
    }
    assert structured(picked)["result"] == ["ham", "olives"]

    declining = Seen()
    async with modern_client(api_url, declining, answering(declining, "", "decline")) as client:
        declined = await client.call_tool("learning_chat", {})
    assert declined.is_error and text(declined).endswith("was cancelled"), declined
    record = (await http.get(f"/jobs/{structured(declined)['job_id']}")).json()
    assert record["status"] == "cancelled"


async def test_without_elicitation_answer_request_finishes(
    api_url: str, http: httpx.AsyncClient
) -> None:
    async with legacy_session(api_url) as session:
        first = await session.call_tool("learning_chat", {"turns": 2})
        assert not first.is_error, first
        waiting = structured(first)
        assert waiting["status"] == "awaiting_input"
        assert waiting["pending"]["prompt"] == QUESTION
        assert "answer_request" in text(first)
        job_id, request_id = waiting["job_id"], waiting["pending"]["request_id"]

        got = await session.call_tool("get_job", {"job_id": job_id})
        assert structured(got)["pending"]["request_id"] == request_id

        done = await session.call_tool(
            "answer_request", {"job_id": job_id, "request_id": request_id, "value": "prime numbers"}
        )
        assert not done.is_error, done
        assert "prime numbers" in text(done)
        assert structured(done)["status"] == "succeeded"
        again = await session.call_tool(
            "answer_request", {"job_id": job_id, "request_id": request_id, "value": "x"}
        )
        assert again.is_error and "answer refused (409)" in text(again)
    listed = (await http.get("/jobs", params={"limit": 200})).json()["jobs"]
    assert {job["job_id"]: job["status"] for job in listed}[job_id] == "succeeded"


async def test_bad_calls_are_clear_tool_errors(api_url: str, http: httpx.AsyncClient) -> None:
    before = (await http.get("/jobs")).json()["total"]
    async with legacy_session(api_url) as session:
        unknown = await session.call_tool("no_such_workflow", {})
        assert unknown.is_error and "unknown tool 'no_such_workflow'" in text(unknown)
        bad = await session.call_tool("learning_chat", {"turns": 99})
        assert bad.is_error and text(bad).startswith("arguments do not fit learning_chat: turns")
        wrong = await session.call_tool("answer_request", {"job_id": "x"})
        assert wrong.is_error and "request_id: Field required" in text(wrong)
        missing = await session.call_tool("get_job", {"job_id": "nope"})
        assert missing.is_error and text(missing) == "job 'nope' not found"
        forged = await session.call_tool("learning_chat", {}, request_state="{not json")
        assert forged.is_error and "invalid requestState" in text(forged)
    assert (await http.get("/jobs")).json()["total"] == before


async def test_auth_matrix(auth_api: AuthApi) -> None:
    async with httpx.AsyncClient(base_url=auth_api.url, timeout=10) as http:
        refused = await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream"},
        )
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert "missing bearer token" in refused.json()["detail"]
        wrong = await http.post("/mcp", json={}, headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and "invalid_token" in wrong.headers["www-authenticate"]

    async with legacy_session(auth_api.url, ALICE) as alice:
        first = await alice.call_tool("learning_chat", {})
        job_id = structured(first)["job_id"]
        request_id = structured(first)["pending"]["request_id"]
        uri = f"agentjobs://jobs/{job_id}"
        async with legacy_session(auth_api.url, BOB) as bob:
            for result in (
                await bob.call_tool("get_job", {"job_id": job_id}),
                await bob.call_tool(
                    "answer_request", {"job_id": job_id, "request_id": request_id, "value": "x"}
                ),
            ):
                assert result.is_error and text(result) == f"job {job_id!r} not found"
            with pytest.raises(MCPError, match="not found"):
                await bob.read_resource(uri)
            assert uri not in {str(r.uri) for r in (await bob.list_resources()).resources}
        assert uri in {str(r.uri) for r in (await alice.list_resources()).resources}
        assert QUESTION in (await alice.read_resource(uri)).contents[0].text  # type: ignore[union-attr]
        still = await alice.call_tool("get_job", {"job_id": job_id})
        assert structured(still)["status"] == "awaiting_input"  # bob's answer never landed
    headers = {"Authorization": f"Bearer {ALICE}"}
    async with httpx.AsyncClient(base_url=auth_api.url, headers=headers, timeout=10) as http:
        assert (await http.post(f"/jobs/{job_id}/cancel")).status_code == 200


@pytest.fixture(scope="module")
def four_apis(
    api_url: str, redis_srv: RedisServer, worker_proc: None, logs_dir: Path
) -> Iterator[list[int]]:
    """The ports of four API processes on the session Redis: the session one and three more."""
    with ExitStack() as stack:
        urls = [api_url] + [
            stack.enter_context(api_server(redis_srv.url, logs_dir / f"api-mcp-{n}.log"))
            for n in range(3)
        ]
        yield [int(url.rsplit(":", 1)[1]) for url in urls]


async def test_four_api_processes_a_different_one_for_each_request(
    api_url: str, four_apis: list[int]
) -> None:
    seen = Seen()
    rotating = RoundRobin(four_apis)
    async with modern_client(
        api_url, seen, answering(seen, "prime numbers"), transport=rotating
    ) as client:
        result = await client.call_tool("learning_chat", {"turns": 2})
    assert "prime numbers" in text(result), result
    assert [q.message for q in seen.questions] == [QUESTION]
    # discover, then the call that elicits and the call that answers: three processes.
    assert len(rotating.used) >= 3 and len(set(rotating.used)) >= 3, rotating.used
    assert all(a != b for a, b in zip(rotating.used, rotating.used[1:], strict=False))

    legacy = RoundRobin(four_apis)
    async with legacy_session(api_url, transport=legacy) as session:
        first = await session.call_tool("learning_chat", {})
        waiting = structured(first)
        done = await session.call_tool(
            "answer_request",
            {
                "job_id": waiting["job_id"],
                "request_id": waiting["pending"]["request_id"],
                "value": "fractions",
            },
        )
    assert "fractions" in text(done), done
    assert len(set(legacy.used)) == 4, legacy.used  # initialize, initialized, two calls
