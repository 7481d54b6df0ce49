"""Webhooks end to end: a real API, worker and Redis deliver to a real local receiver; each
delivery verifies with the ``standardwebhooks`` package."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from agentjobs.client import FastAPIProvider
from tests.support.stack import api_server, celery_worker, wait_until
from tests.support.webhook_receiver import Received, WebhookReceiver
from tests.support.webhook_stack import SECRET, WebhookStack, for_job, webhook_stack

DOWN_SECONDS = 30.0
"""How long the receiver stays down, as issue 17 asks (retries every <= 1 s: many attempts each)."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, logs_dir: Path) -> Iterator[WebhookStack]:
    """A stack of its own: its webhooks go to a receiver on loopback (private allowed)."""
    with webhook_stack(tmp_path_factory.mktemp("webhooks"), logs_dir, "webhooks") as running:
        yield running


def start(stack: WebhookStack, workflow: str, **body: object) -> str:
    """Start a job; its id."""
    with stack.client() as client:
        answer = client.post("/jobs", json={"workflow": workflow, **body})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["job_id"])


def verified(item: Received, secret: str = SECRET) -> dict[str, object]:
    """The payload, once the signature checks out with the official verifier."""
    payload: dict[str, object] = Webhook(secret).verify(item.body, item.headers)
    return payload


def users_secret(stack: WebhookStack) -> str:
    """``GET /webhooks/secret`` through the client: the key the caller's own job endpoints are
    signed with."""
    return FastAPIProvider(stack.api).sync().webhook_secret()


def attempts(delivery: dict[str, object]) -> int:
    """How often a delivery was tried."""
    return int(str(delivery["attempts"]))


def types_of(received: list[Received], job_id: str) -> list[str]:
    """The webhook types the receiver got about ``job_id`` (in arrival order)."""
    return [str(json.loads(item.body)["type"]) for item in for_job(received, job_id)]


def test_every_event_is_delivered_signed(stack: WebhookStack) -> None:
    """Succeeded, failed, awaiting input (with an answer link) and cancelled each arrive,
    verify with standardwebhooks, and show as delivered at GET /jobs/{id}/webhooks."""
    done = start(stack, "whoami")
    failed = start(stack, "failing")
    asking = start(stack, "pick_many", webhook_url=stack.receiver.url("/job-hook"))
    receiver = stack.receiver
    receiver.wait_for(lambda got: "job.awaiting_input" in types_of(got, asking), 20)
    with stack.client() as client:
        assert client.post(f"/jobs/{asking}/cancel").status_code == 200
    receiver.wait_for(
        lambda got: (
            "job.succeeded" in types_of(got, done)
            and "job.failed" in types_of(got, failed)
            and types_of(got, asking).count("job.cancelled") == 2
        ),
        20,
    )
    for job_id, expected in ((done, "job.succeeded"), (failed, "job.failed")):
        (item,) = for_job(receiver.received, job_id)
        payload = verified(item)
        assert payload["type"] == expected
        data = payload["data"]
        assert isinstance(data, dict) and data["job_id"] == job_id
        assert payload["timestamp"] == data["event"]["ts"]
        assert item.headers["webhook-id"].startswith(f"msg_{job_id}_")
    # The job's own endpoint is its user's: signed with the user's key, not the deployment's
    # (which would let every user forge the deployment's webhooks), and the other way round.
    own = users_secret(stack)
    assert own != SECRET and own == users_secret(stack)
    keys = {"/hook": SECRET, "/job-hook": own}
    asked = [verified(item, keys[item.path]) for item in for_job(receiver.received, asking)]
    for item in for_job(receiver.received, asking):
        other = SECRET if item.path == "/job-hook" else own
        with pytest.raises(WebhookVerificationError):
            verified(item, other)
    question = next(p for p in asked if p["type"] == "job.awaiting_input")
    data = question["data"]
    assert isinstance(data, dict)
    assert data["event"]["type"] == "multiple_choice"
    assert str(data["answer_url"]).startswith(f"{stack.api}/answer/")
    # Both endpoints (the deployment's and the job's own) got each event, under distinct ids.
    paths = {item.path for item in for_job(receiver.received, asking)}
    assert paths == {"/hook", "/job-hook"}
    ids = [item.headers["webhook-id"] for item in for_job(receiver.received, asking)]
    assert len(ids) == len(set(ids)) == 4
    shown = stack.wait_deliveries(
        asking, lambda found: all(d["status"] == "delivered" for d in found)
    )
    assert (
        sorted(str(d["type"]) for d in shown) == ["job.awaiting_input"] * 2 + ["job.cancelled"] * 2
    )
    assert {d["target"] for d in shown} == {"global", "job"}
    assert all(d["attempts"] == 1 and d["response_status"] == 204 for d in shown)


def test_a_non_http_webhook_url_is_refused(stack: WebhookStack) -> None:
    """POST /jobs with a webhook_url that is not http(s): 422 naming the field."""
    with stack.client() as client:
        answer = client.post("/jobs", json={"workflow": "whoami", "webhook_url": "ftp://x/y"})
    assert answer.status_code == 422
    assert "webhook_url" in json.dumps(answer.json()["detail"])


def test_webhooks_are_only_the_owners(stack: WebhookStack) -> None:
    """An unknown job's deliveries are a 404 like its other routes."""
    with stack.client() as client:
        assert client.get("/jobs/nope/webhooks").status_code == 404


def test_every_event_arrives_once_the_receiver_is_back(stack: WebhookStack) -> None:
    """With the receiver down, deliveries are retried (backoff); once it is back every event
    arrives, each under one webhook-id, a repeat only ever with the same id and body."""
    receiver = stack.receiver
    receiver.stop()
    went_down = time.monotonic()
    jobs = [start(stack, "whoami"), start(stack, "failing"), start(stack, "whoami")]
    for job_id in jobs:
        stack.wait_deliveries(
            job_id, lambda found: bool(found) and int(str(found[0]["attempts"])) >= 2
        )
    wait_until(lambda: time.monotonic() - went_down >= DOWN_SECONDS, DOWN_SECONDS + 1, "downtime")
    tried = {job_id: stack.deliveries(job_id)[0] for job_id in jobs}
    assert all(d["status"] == "retrying" and d["last_error"] for d in tried.values())
    receiver.start()
    receiver.wait_for(lambda got: all(for_job(got, job_id) for job_id in jobs), 20)
    for job_id in jobs:
        (shown,) = stack.wait_deliveries(job_id, lambda f: f[0]["status"] == "delivered")
        assert attempts(shown) >= 3
    bodies: dict[str, set[str]] = defaultdict(set)
    keys = {"/hook": SECRET, "/job-hook": users_secret(stack)}  # the earlier tests' too
    for item in receiver.received:
        bodies[item.headers["webhook-id"]].add(item.body)
        verified(item, keys[item.path])
    assert all(len(seen) == 1 for seen in bodies.values())
    expected = {jobs[0]: "job.succeeded", jobs[1]: "job.failed", jobs[2]: "job.succeeded"}
    for job_id, kind in expected.items():
        ids = {item.headers["webhook-id"] for item in for_job(receiver.received, job_id)}
        assert len(ids) == 1
        assert set(types_of(receiver.received, job_id)) == {kind}


def test_a_private_destination_is_refused_by_default(
    isolated_db: str, logs_dir: Path, tmp_path: Path
) -> None:
    """Without AGENTJOBS_WEBHOOK_ALLOW_PRIVATE a loopback receiver gets nothing and the
    delivery is recorded as refused."""
    receiver = WebhookReceiver()
    receiver.start()
    try:
        with (
            api_server(
                isolated_db, logs_dir / "api-webhooks-private.log", AGENTJOBS_WEBHOOK_SECRET=SECRET
            ) as api,
            celery_worker(
                isolated_db,
                logs_dir / "worker-webhooks-private.log",
                AGENTJOBS_WEBHOOK_SECRET=SECRET,
            ),
        ):
            private = WebhookStack(api, receiver, isolated_db)
            job_id = start(private, "whoami", webhook_url=receiver.url())
            (shown,) = private.wait_deliveries(
                job_id, lambda found: bool(found) and found[0]["status"] != "pending"
            )
    finally:
        receiver.stop()
    assert shown["status"] == "refused"
    assert "loopback" in str(shown["last_error"])
    assert receiver.received == []
