"""The auth matrix against a real API with tokens: every route and the WebSocket.

No token -> 401, wrong token -> 401, another user's job -> 404, own job -> works; the WebSocket
is refused at the handshake (HTTP 401/404), never accepted first.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from agentjobs.cli.redis_server import free_port
from backend.auth import hash_token
from tests.support.client import JobSocket
from tests.support.stack import RedisServer, api_server, base_env, running, wait_until

ALICE = f"alice-{secrets.token_urlsafe(12)}"
BOB = f"bob-{secrets.token_urlsafe(12)}"
ORIGIN = "https://chat.example"


@dataclass(frozen=True)
class AuthApi:
    """An API process with two users on the session Redis (the session worker runs the jobs)."""

    url: str

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def auth_api(redis_srv: RedisServer, worker_proc: None, logs_dir: Path) -> Iterator[AuthApi]:
    # Bob's token is configured hashed: the server never sees it in clear until he sends it.
    tokens = f"{ALICE}:alice,{hash_token(BOB)}:bob"
    env = {"AGENTJOBS_API_TOKENS": tokens, "AGENTJOBS_CORS_ORIGINS": ORIGIN}
    with api_server(redis_srv.url, logs_dir / "api-auth.log", **env) as url:
        yield AuthApi(url)


def start(api: AuthApi, token: str, workflow: str, **params: Any) -> str:
    with api.client(token) as client:
        response = client.post("/jobs", json={"workflow": workflow, "params": params})
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def wait_status(api: AuthApi, token: str, job_id: str, *statuses: str) -> dict[str, Any]:
    """Poll the job until its status is one of ``statuses``; returns the record."""
    seen: dict[str, Any] = {}

    def reached() -> bool:
        with api.client(token) as client:
            seen.update(client.get(f"/jobs/{job_id}").json())
        return seen.get("status") in statuses

    wait_until(reached, 20, f"job {job_id} to be {statuses}")
    return seen


def waiting_job(api: AuthApi) -> tuple[str, str]:
    """A job of alice's waiting for an answer: (job id, pending request id)."""
    job_id = start(api, ALICE, "learning_chat")
    record = wait_status(api, ALICE, job_id, "awaiting_input")
    return job_id, record["pending"]["request_id"]


@dataclass(frozen=True)
class Route:
    """One HTTP route of the matrix: how to call it and what success looks like."""

    method: str
    path: str
    ok: int = 200
    body: Callable[[str], dict[str, Any]] | None = None
    on_job: bool = True
    checks: Callable[[Any], bool] = field(default=lambda _body: True)


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
    Route("POST", "/jobs/{job_id}/cancel", checks=lambda b: b["status"] == "cancelled"),
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
]
JOB_ROUTES = [route for route in ROUTES if route.on_job]
PUBLIC_PATHS = {"/health", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
"""Open on purpose: probes, metrics and the API description carry no job data."""


def call(client: httpx.Client, route: Route, job_id: str, request_id: str) -> httpx.Response:
    body = route.body(request_id) if route.body else None
    return client.request(route.method, route.path.format(job_id=job_id), json=body)


@pytest.fixture
def alice_job(auth_api: AuthApi) -> Iterator[tuple[str, str]]:
    """A waiting job of alice's, cancelled afterwards (it holds one of the worker's threads)."""
    job = waiting_job(auth_api)
    yield job
    with auth_api.client(ALICE) as client:
        assert client.post(f"/jobs/{job[0]}/cancel").status_code in (200, 409)


def test_the_matrix_covers_every_route_of_the_app() -> None:
    from backend.main import app

    served = {
        (method, route.path)
        for route in _flatten(app.routes)
        for method in getattr(route, "methods", None) or {"WS"}
        if route.path not in PUBLIC_PATHS
    }
    covered = {(route.method, route.path) for route in ROUTES} | {("WS", "/jobs/{job_id}/ws")}
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
    assert route.checks(response.json())


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


# --- the WebSocket ------------------------------------------------------------------------


def socket_url(api: AuthApi, job_id: str, token: str | None = None) -> str:
    query = f"&token={token}" if token else ""
    return f"ws://{api.url.removeprefix('http://')}/jobs/{job_id}/ws?after=0{query}"


async def refused(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """Open a socket that must be refused at the handshake; returns (HTTP status, JSON body)."""
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url, additional_headers=headers, open_timeout=10):
            pass
    response = caught.value.response
    return response.status_code, json.loads(response.body or b"null")


async def test_socket_without_token_is_refused_before_accept(
    auth_api: AuthApi, alice_job: tuple[str, str]
) -> None:
    status, body = await refused(socket_url(auth_api, alice_job[0]))
    assert status == 401
    assert "missing bearer token" in body["detail"]


async def test_socket_with_wrong_token_is_refused(
    auth_api: AuthApi, alice_job: tuple[str, str]
) -> None:
    job_id = alice_job[0]
    assert await refused(socket_url(auth_api, job_id, "nope")) == (
        401,
        {"detail": "invalid token"},
    )
    status, _ = await refused(socket_url(auth_api, job_id), {"Authorization": "Bearer nope"})
    assert status == 401


async def test_socket_on_another_users_job_is_404(
    auth_api: AuthApi, alice_job: tuple[str, str]
) -> None:
    job_id = alice_job[0]
    expected = (404, {"detail": f"job {job_id!r} not found"})
    assert await refused(socket_url(auth_api, job_id, BOB)) == expected
    assert await refused(socket_url(auth_api, job_id), {"Authorization": f"Bearer {BOB}"}) == (
        expected
    )


async def test_own_socket_works_with_query_token_and_header(
    auth_api: AuthApi, alice_job: tuple[str, str]
) -> None:
    job_id, request_id = alice_job
    async with connect(socket_url(auth_api, job_id, ALICE), open_timeout=10) as conn:
        ws = JobSocket(conn)
        asked = await ws.until("text_input")
        assert asked["request_id"] == request_id
    headers = {"Authorization": f"Bearer {ALICE}"}
    async with connect(socket_url(auth_api, job_id), additional_headers=headers) as conn:
        ws = JobSocket(conn)
        await ws.until("text_input")
        await ws.send({"type": "input", "request_id": request_id, "value": "fractions"})
        assert (await ws.until("input_received"))["value"] == "fractions"
        await ws.send({"type": "cancel"})
        assert (await ws.until_end())["type"] == "workflow_cancelled"


async def test_socket_frames_cannot_reach_another_users_job(auth_api: AuthApi) -> None:
    """A frame names no job: it acts on the socket's own job only, whatever request it names."""
    mine, _ = waiting_job(auth_api)
    theirs = start(auth_api, BOB, "learning_chat")
    bob_request = wait_status(auth_api, BOB, theirs, "awaiting_input")["pending"]["request_id"]
    async with connect(socket_url(auth_api, mine, ALICE), open_timeout=10) as conn:
        ws = JobSocket(conn)
        await ws.until("text_input")
        await ws.send({"type": "input", "request_id": bob_request, "value": "hijack"})
        refusal = await ws.until("protocol_error")
        assert bob_request in refusal["detail"]
        await ws.send({"type": "cancel"})
        assert (await ws.until_end())["type"] == "workflow_cancelled"
    record = wait_status(auth_api, BOB, theirs, "awaiting_input")
    assert record["pending"]["request_id"] == bob_request
    with auth_api.client(BOB) as client:
        events = client.get(f"/jobs/{theirs}/events").json()["events"]
        assert "input_received" not in {event["type"] for event in events}
        assert client.post(f"/jobs/{theirs}/cancel").status_code == 200


# --- start-up -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AGENTJOBS_REQUIRE_AUTH": "true"}, "AGENTJOBS_REQUIRE_AUTH is true but no tokens"),
        (
            {"AGENTJOBS_REQUIRE_AUTH": "true", "AGENTJOBS_API_TOKENS": "only-a-token"},
            "AGENTJOBS_API_TOKENS entry 1: expected token:user",
        ),
        (
            {"AGENTJOBS_API_TOKENS_FILE": "/nonexistent/agentjobs-tokens"},
            "AGENTJOBS_API_TOKENS_FILE /nonexistent/agentjobs-tokens: No such file",
        ),
    ],
)
def test_the_api_refuses_to_start_without_valid_tokens(
    redis_srv: RedisServer, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    log = tmp_path / "api.log"
    argv = [
        sys.executable,
        "-m",
        "agentjobs.cli",
        "api",
        "--host",
        "127.0.0.1",
        "--port",
        str(free_port()),
    ]
    with running(argv, base_env(redis_srv.url, **env), log) as proc:
        wait_until(lambda: proc.poll() is not None, 30, "the API to exit")
        assert proc.returncode != 0
    text = log.read_text()
    assert message in text
    assert "only-a-token" not in text
    assert "Application startup failed" in text


def test_dev_mode_warns_loudly_at_start(api_url: str, logs_dir: Path) -> None:
    """The session API runs without tokens: it said so before serving anything."""
    text = (logs_dir / "api.log").read_text()
    warning = text.index("NO AUTHENTICATION (single-user dev mode)")
    assert warning < text.index("Application startup complete")
    assert "AGENTJOBS_REQUIRE_AUTH=true" in text
    assert httpx.get(f"{api_url}/jobs/nope").json() == {"detail": "job 'nope' not found"}
