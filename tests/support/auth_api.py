"""Two users (alice, bob) on an API with bearer tokens: helpers for the auth tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from backend.auth import hash_token
from tests.support.stack import api_server, wait_until

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


@contextmanager
def auth_api_server(redis_url: str, log: Path) -> Iterator[AuthApi]:
    """An API with alice's and bob's tokens and one allowed CORS origin."""
    # Bob's token is configured hashed: the server never sees it in clear until he sends it.
    tokens = f"{ALICE}:alice,{hash_token(BOB)}:bob"
    env = {"AGENTJOBS_API_TOKENS": tokens, "AGENTJOBS_CORS_ORIGINS": ORIGIN}
    with api_server(redis_url, log, **env) as url:
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
