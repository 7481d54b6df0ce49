"""Answer links end to end: the link from a job's ``job.awaiting_input`` webhook answers its
request once, without an API token; a used, forged or expired link gets a 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from agentjobs.answer_links import link_key, link_url, mint
from tests.support.stack import wait_until
from tests.support.webhook_stack import WebhookStack, for_job, webhook_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, logs_dir: Path) -> Iterator[WebhookStack]:
    """A stack of its own with AGENTJOBS_PUBLIC_URL set (its webhooks carry answer links)."""
    with webhook_stack(tmp_path_factory.mktemp("links"), logs_dir, "links") as running:
        yield running


def asked(stack: WebhookStack) -> tuple[str, str]:
    """A waiting ``pick_many`` job and the answer link its webhook carried."""
    with stack.client() as client:
        job_id = client.post("/jobs", json={"workflow": "pick_many"}).json()["job_id"]
    found: list[str] = []

    def linked() -> bool:
        for item in for_job(stack.receiver.received, job_id):
            payload = json.loads(item.body)
            if payload["type"] == "job.awaiting_input":
                found.append(payload["data"]["answer_url"])
                return True
        return False

    wait_until(linked, 20, "the awaiting_input webhook")
    return job_id, found[0]


def test_a_link_answers_once(stack: WebhookStack) -> None:
    """GET shows the question (JSON and HTML), POST answers it and the job finishes with the
    answer; the link then reads 410 and answers 409."""
    job_id, url = asked(stack)
    shown = httpx.get(url, headers={"accept": "application/json"})
    assert shown.status_code == 200
    assert shown.json()["request"]["choices"] == ["cheese", "ham", "olives"]
    assert shown.headers["referrer-policy"] == "no-referrer"
    page = httpx.get(url, headers={"accept": "text/html"})
    assert page.status_code == 200 and "Which toppings?" in page.text
    answered = httpx.post(url, json={"value": ["ham", "olives"]})
    assert answered.status_code == 200, answered.text

    def finished() -> bool:
        with stack.client() as client:
            return bool(client.get(f"/jobs/{job_id}").json()["status"] == "succeeded")

    wait_until(finished, 20, "the job to finish with the answer")
    with stack.client() as client:
        assert client.get(f"/jobs/{job_id}").json()["result"] == ["ham", "olives"]
    again = httpx.post(url, json={"value": ["cheese"]})
    assert again.status_code == 409, again.text
    assert httpx.get(url).status_code == 410


def test_a_form_post_answers(stack: WebhookStack) -> None:
    """The HTML form's fields answer too (what a person's browser sends)."""
    job_id, url = asked(stack)
    answered = httpx.post(url, data={"value": ["cheese"], "several": "1"})
    assert answered.status_code == 200 and "Thank you" in answered.text

    def finished() -> bool:
        with stack.client() as client:
            return bool(client.get(f"/jobs/{job_id}").json()["result"] == ["cheese"])

    wait_until(finished, 20, "the job to take the form's answer")


def test_forged_and_expired_links_are_refused(stack: WebhookStack) -> None:
    """A changed signature or claims: 403; a genuine link past its expiry: 410."""
    job_id, url = asked(stack)
    claims, _, signature = url.rpartition("/")[2].partition(".")
    base = url.rpartition("/")[0]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    for forged in (f"{base}/{claims}.{flipped}", f"{base}/x{claims}.{signature}", f"{base}/junk"):
        assert httpx.get(forged).status_code == 403
        assert httpx.post(forged, json={"value": ["ham"]}).status_code == 403
    with stack.client() as client:
        request_id = client.get(f"/jobs/{job_id}").json()["pending"]["request_id"]
    key = link_key(SecretStr(stack.secrets_key))
    past = datetime.now(UTC) - timedelta(seconds=5)
    expired = link_url(stack.api, mint(key, job_id, request_id, past))
    assert httpx.get(expired).status_code == 410
    assert httpx.post(expired, json={"value": ["ham"]}).status_code == 410
    # None of these answered: the genuine link still works.
    assert httpx.post(url, json={"value": ["ham"]}).status_code == 200
