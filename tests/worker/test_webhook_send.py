"""The outbound side of a webhook: which addresses are refused, the signature, the backoff and
the answer link a body carries."""

from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from agentjobs.webhook_settings import WebhookSettings
from worker.webhook_send import DestinationRefused, address_problem, checked_address, signed_headers
from worker.webhook_task import backoff_seconds, signing_key, with_answer_link

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "not a public"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and kind in problem


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


async def test_a_name_resolving_to_loopback_is_refused_unless_allowed() -> None:
    with pytest.raises(DestinationRefused, match="loopback"):
        await checked_address("http://localhost:9/hook", allow_private=False)
    assert (await checked_address("http://localhost:9/hook", allow_private=True)).is_loopback


async def test_only_http_urls_are_delivered() -> None:
    with pytest.raises(DestinationRefused, match="http"):
        await checked_address("file:///etc/passwd", allow_private=True)


def test_the_signature_verifies_with_standardwebhooks() -> None:
    body = '{"type":"job.succeeded"}'
    headers = signed_headers(SECRET, "msg_1", body)
    assert Webhook(SECRET).verify(body, headers) == {"type": "job.succeeded"}
    with pytest.raises(Exception, match="signature"):
        Webhook(SECRET).verify(body + " ", headers)


def test_a_jobs_own_endpoint_is_signed_with_its_users_key_alone() -> None:
    config = WebhookSettings(webhook_secret=SecretStr(SECRET))
    ada, bob = config.user_secret("ada"), config.user_secret("bob")
    assert len({ada, bob, SECRET}) == 3 and ada == config.user_secret("ada")
    record = {"target": "job", "user": "ada"}
    assert signing_key(config, record) == ada
    assert signing_key(config, {**record, "target": "global"}) == SECRET
    assert signing_key(config, {"target": "job"}) == SECRET  # recorded before users were
    body = '{"type":"job.succeeded"}'
    headers = signed_headers(ada, "msg_1", body)
    assert Webhook(ada).verify(body, headers) == {"type": "job.succeeded"}
    for other in (bob, SECRET):
        with pytest.raises(WebhookVerificationError):
            Webhook(other).verify(body, headers)


def test_backoff_doubles_up_to_its_cap_with_jitter() -> None:
    waits = [backoff_seconds(n, 1.0, 8.0) for n in range(1, 8)]
    for attempt, wait in enumerate(waits, start=1):
        step = min(8.0, 2.0 ** (attempt - 1))
        assert step / 2 <= wait <= step
    assert len({backoff_seconds(3, 1.0, 8.0) for _ in range(20)}) > 1


def test_the_answer_link_is_the_same_on_every_attempt() -> None:
    config = WebhookSettings(
        public_url="https://jobs.example.com", secrets_key=SecretStr(Fernet.generate_key().decode())
    )
    event = {"job_id": "j1", "request_id": "r1", "ts": datetime.now(UTC).isoformat()}
    body = json.dumps({"type": "job.awaiting_input", "data": {"event": event}})
    first = with_answer_link(body, "job.awaiting_input", config)
    assert first == with_answer_link(body, "job.awaiting_input", config)
    assert json.loads(first)["data"]["answer_url"].startswith("https://jobs.example.com/answer/")
    assert with_answer_link(body, "job.succeeded", config) == body
