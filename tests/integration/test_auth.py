"""The auth matrix against a real API with tokens: every HTTP route.

No token -> 401, wrong token -> 401, another user's job -> 404, own job -> works. The WebSocket:
test_auth_socket.py; refusing to start without valid tokens: test_auth_startup.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from backend.auth import hash_token
from tests.support.auth_api import ALICE, BOB, ORIGIN, AuthApi, start, wait_status


@dataclass(frozen=True)
class Route:
    """One HTTP route of the matrix: how to call it and what success looks like."""

    method: str
    path: str
    ok: int = 200
    body: Callable[[str], dict[str, Any]] | None = None
    on_job: bool = True
    checks: Callable[[Any], bool] = field(default=lambda _body: True)
    json: bool = True
    """False for a route answering a stream: ``checks`` gets the text."""


ROUTES = [
    Route("GET", "/workflows", on_job=False, checks=lambda b: "whoami" in {w["name"] for w in b}),
    Route("POST", "/jobs", 202, body=lambda _rid: {"workflow": "chatty"}, on_job=False),
    Route("GET", "/jobs", on_job=False, checks=lambda b: b["total"] >= 1),
    Route("GET", "/jobs/{job_id}", checks=lambda b: b["user"] == "alice"),
    Route("GET", "/jobs/{job_id}/events", checks=lambda b: b["events"][0]["type"] == "job_queued"),
    Route(
        "POST",
        "/jobs/{job_id}/input",
        body=lambda rid: {"request_id": rid, "value": "fractions"},
        checks=lambda b: b["status"] in ("running", "awaiting_input", "succeeded"),
    ),
    Route("GET", "/inbox", on_job=False, checks=lambda b: b["count"] >= 1),
    Route(
        "POST",
        "/inbox/{request_id}",
        body=lambda _rid: {"value": "fractions"},
        checks=lambda b: b["status"] in ("running", "awaiting_input", "succeeded"),
    ),
    Route("GET", "/jobs/{job_id}/webhooks", checks=lambda b: b["deliveries"] == []),
    Route("GET", "/usage", on_job=False, checks=lambda b: b["group_by"] == "workflow"),
    # This stack signs no webhooks; the key itself: tests/integration/test_webhooks.py.
    Route(
        "GET",
        "/webhooks/secret",
        404,
        on_job=False,
        checks=lambda b: "AGENTJOBS_WEBHOOK_SECRET" in b["detail"],
    ),
    Route("POST", "/jobs/{job_id}/cancel", checks=lambda b: b["status"] == "cancelled"),
    # The matrix's job is waiting, so the owner's delete reaches the route and is refused;
    # deleting a finished job: test_the_owner_deletes_a_finished_job_and_no_one_else_can.
    Route("DELETE", "/jobs/{job_id}", 409, checks=lambda b: "has not finished" in b["detail"]),
    Route(
        "GET",
        "/fastagency/discovery",
        on_job=False,
        checks=lambda b: "whoami" in {w["name"] for w in b},
    ),
    Route(
        "POST",
        "/fastagency/initiate_workflow",
        body=lambda _rid: {"workflow_name": "chatty", "workflow_uuid": "0" * 32, "params": {}},
        on_job=False,
        checks=lambda b: b["user_id"] == "alice",
    ),
    Route(
        "POST",
        "/ag-ui/{workflow}",
        body=lambda _rid: {"threadId": uuid.uuid4().hex, "runId": "r1", "messages": []},
        on_job=False,
        json=False,
        checks=lambda text: '"type":"RUN_FINISHED"' in text and "message 2" in text,
    ),
    # MCP: the transport's own 401 before any message; job scoping: tests/integration/test_mcp.py.
    Route(
        "POST",
        "/mcp",
        body=lambda _rid: {"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        on_job=False,
        json=False,
        checks=lambda text: '"name":"whoami"' in text,
    ),
]
JOB_ROUTES = [route for route in ROUTES if route.on_job]
PUBLIC_PATHS = {"/health", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
"""Open on purpose: probes, metrics and the API description carry no job data."""


def call(client: httpx.Client, route: Route, job_id: str, request_id: str) -> httpx.Response:
    body = route.body(request_id) if route.body else None
    path = route.path.format(job_id=job_id, workflow="chatty", request_id=request_id)
    return client.request(route.method, path, json=body)


def test_the_matrix_covers_every_route_of_the_app() -> None:
    from backend.main import app

    served = {
        (method, route.path)
        for route in _flatten(app.routes)
        for method in getattr(route, "methods", None) or {"WS"}
        if route.path not in PUBLIC_PATHS
    }
    covered = {(route.method, route.path) for route in ROUTES} | {("WS", "/jobs/{job_id}/ws")}
    covered |= {("WS", "/inbox/ws")}  # tests/integration/test_inbox.py
    # Answer links carry their own credential (a signed single-use token), never a bearer
    # token: tests/integration/test_answer_links.py.
    covered |= {("GET", "/answer/{token}"), ("POST", "/answer/{token}")}
    # FastAgency's socket and double-slash discovery: tests/integration/test_fastagency_auth.py.
    covered |= {("WS", "/fastagency/ws"), ("GET", "//fastagency/discovery")}
    # HEAD comes with GET in Starlette; it is covered by the same dependency.
    assert {(m, p) for m, p in served if m != "HEAD"} == covered


def _flatten(routes: list[Any]) -> Iterator[Any]:
    # FastAPI keeps included routers as wrappers around the original router (no prefixes here).
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _flatten(inner.routes) if inner is not None else [route]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_no_token_is_401(auth_api: AuthApi, alice_job: tuple[str, str], route: Route) -> None:
    with auth_api.client() as client:
        response = call(client, route, *alice_job)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert "missing bearer token" in response.json()["detail"]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_wrong_token_is_401(auth_api: AuthApi, alice_job: tuple[str, str], route: Route) -> None:
    wrong = ALICE[:-1] + ("x" if ALICE[-1] != "x" else "y")
    for client in (
        auth_api.client(wrong),
        httpx.Client(base_url=auth_api.url, params={"token": wrong}, timeout=10),
        # The stored hash of a token is not a token.
        auth_api.client(hash_token(BOB)),
    ):
        with client:
            response = call(client, route, *alice_job)
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert response.json() == {"detail": "invalid token"}
    # Nothing happened to the job.
    assert wait_status(auth_api, ALICE, alice_job[0], "awaiting_input")


@pytest.mark.parametrize("route", JOB_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_another_users_job_is_404(
    auth_api: AuthApi, alice_job: tuple[str, str], route: Route
) -> None:
    job_id, request_id = alice_job
    with auth_api.client(BOB) as client:
        response = call(client, route, job_id, request_id)
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"job {job_id!r} not found"}
    with auth_api.client(ALICE) as client:
        record = client.get(f"/jobs/{job_id}").json()
    assert record["status"] == "awaiting_input"
    assert record["pending"]["request_id"] == request_id


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_own_job_works(auth_api: AuthApi, alice_job: tuple[str, str], route: Route) -> None:
    with auth_api.client(ALICE) as client:
        response = call(client, route, *alice_job)
    assert response.status_code == route.ok, response.text
    assert route.checks(response.json() if route.json else response.text)


def test_an_ag_ui_thread_is_its_users_own(auth_api: AuthApi) -> None:
    thread = uuid.uuid4().hex
    body = {"threadId": thread, "runId": "r1", "messages": []}
    with auth_api.client(ALICE) as alice, auth_api.client(BOB) as bob:
        first = alice.post("/ag-ui/learning_chat", json=body)
        assert '"type":"interrupt"' in first.text
        record = alice.get("/jobs", params={"status": "awaiting_input"}).json()["jobs"][0]
        request_id = record["pending"]["request_id"]
        resume = {**body, "resume": [{"interruptId": request_id, "status": "resolved"}]}
        # Bob's thread of that id is his own: it never ran, there is nothing to resume.
        refused = bob.post("/ag-ui/learning_chat", json={**resume, "runId": "r2"})
        assert refused.status_code == 404, refused.text
        assert alice.get(f"/jobs/{record['job_id']}").json()["status"] == "awaiting_input"
        assert alice.post(f"/jobs/{record['job_id']}/cancel").status_code == 200


def test_the_query_token_works_on_http_too(auth_api: AuthApi, alice_job: tuple[str, str]) -> None:
    response = httpx.get(f"{auth_api.url}/jobs/{alice_job[0]}", params={"token": ALICE})
    assert response.status_code == 200
    assert response.json()["user"] == "alice"


def test_each_user_lists_only_their_own_jobs(auth_api: AuthApi) -> None:
    mine = start(auth_api, ALICE, "chatty")
    theirs = start(auth_api, BOB, "chatty")
    with auth_api.client(ALICE) as alice, auth_api.client(BOB) as bob:
        alice_ids = {job["job_id"] for job in alice.get("/jobs?limit=200").json()["jobs"]}
        bob_jobs = bob.get("/jobs?limit=200").json()["jobs"]
    assert mine in alice_ids
    assert theirs not in alice_ids
    assert {job["user"] for job in bob_jobs} == {"bob"}
    assert theirs in {job["job_id"] for job in bob_jobs}


def test_health_stays_open(auth_api: AuthApi) -> None:
    assert httpx.get(f"{auth_api.url}/health").status_code == 200


def test_cors_allows_the_configured_origin_only(auth_api: AuthApi) -> None:
    with auth_api.client(ALICE) as client:
        allowed = client.get("/workflows", headers={"Origin": ORIGIN})
        other = client.get("/workflows", headers={"Origin": "https://evil.example"})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "access-control-allow-origin" not in other.headers


def test_the_workflow_sees_the_user_who_started_it(auth_api: AuthApi) -> None:
    for token, user in ((ALICE, "alice"), (BOB, "bob")):
        job_id = start(auth_api, token, "whoami")
        record = wait_status(auth_api, token, job_id, "succeeded", "failed")
        assert (record["status"], record["result"], record["user"]) == ("succeeded", user, user)


def test_the_owner_deletes_a_finished_job_and_no_one_else_can(auth_api: AuthApi) -> None:
    job_id = start(auth_api, ALICE, "whoami")
    wait_status(auth_api, ALICE, job_id, "succeeded")
    with auth_api.client(BOB) as bob, auth_api.client(ALICE) as alice:
        refused = bob.delete(f"/jobs/{job_id}")
        assert refused.status_code == 404
        assert refused.json() == {"detail": f"job {job_id!r} not found"}
        assert alice.get(f"/jobs/{job_id}").status_code == 200
        deleted = alice.delete(f"/jobs/{job_id}")
        assert (deleted.status_code, deleted.content) == (204, b"")
        assert alice.get(f"/jobs/{job_id}").status_code == 404
        assert alice.delete(f"/jobs/{job_id}").status_code == 404
