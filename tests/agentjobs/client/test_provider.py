"""FastAPIProvider against a real API, worker and Redis: calls, errors, tokens.

Streams that reconnect or resume: test_event_stream.py; the blocking twin: test_sync.py.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from agentjobs.cli.redis_server import free_port
from agentjobs.client import ApiError, ApiUnreachable, FastAPIProvider
from agentjobs.client.job_socket import auth_headers, ws_url
from agentjobs.protocol import Event, TextInput, cursor_key
from tests.support.client import logged_ids
from tests.support.stack import RedisServer, api_server


async def test_learning_chat_through_the_provider(api_url: str, http: httpx.AsyncClient) -> None:
    async with FastAPIProvider(api_url) as provider:
        names = {w.name for w in await provider.list_workflows()}
        assert {"learning_chat", "chatty", "secret_echo"} <= names
        created = await provider.start_job("learning_chat", {"turns": 2})
        assert created.workflow == "learning_chat" and created.status == "queued"

        seen: list[Event] = []
        async for event in provider.events(created.job_id):
            seen.append(event)
            if isinstance(event, TextInput):
                pending = await provider.get_job(created.job_id)
                assert pending.status == "awaiting_input"
                assert pending.pending is not None
                assert pending.pending.request_id == event.request_id
                await provider.answer(created.job_id, event.request_id, "fractions")

        record = await provider.get_job(created.job_id)
        listed = await provider.list_jobs(limit=200)
        health = await provider.health()

    assert seen[-1].type == "workflow_completed"
    assert record.status == "succeeded" and "fractions" in str(record.result)
    senders = {e.sender for e in seen if e.type == "text_message"}
    assert {"Student", "Teacher"} <= senders
    # The Teacher's chunks came live; once its messages were complete the log kept those alone.
    assert any(e.type == "stream_chunk" for e in seen)
    logged = [e.id for e in seen if e.type != "stream_chunk"]
    assert logged == await logged_ids(http, created.job_id)
    assert created.job_id in {j.job_id for j in listed.jobs}
    assert health["status"] == "ok"


async def test_read_events_pages_and_resumes_from_a_cursor(
    api_url: str, http: httpx.AsyncClient
) -> None:
    provider = FastAPIProvider(api_url)
    job = await provider.start_job("chatty", {"count": 5})
    events = [e async for e in provider.events(job.job_id)]
    ids = [e.id for e in events]

    first = await provider.read_events(job.job_id, limit=2)
    assert [e.id for e in first.events] == ids[:2] and first.next_after == ids[1]
    rest = await provider.read_events(job.job_id, after=ids[1])
    assert [e.id for e in rest.events] == ids[2:] and rest.next_after is None
    # Following from a cursor in the middle yields exactly the rest, and ends at the terminal.
    assert [e.id async for e in provider.events(job.job_id, after=ids[3])] == ids[4:]
    # Following from the terminal event's cursor ends at once.
    assert [e async for e in provider.events(job.job_id, after=ids[-1])] == []


async def test_http_errors_become_api_errors(api_url: str) -> None:
    provider = FastAPIProvider(api_url)
    with pytest.raises(ApiError) as missing:
        await provider.get_job("no-such-job")
    assert missing.value.status_code == 404 and "no-such-job" in missing.value.message

    with pytest.raises(ApiError) as unknown:
        await provider.start_job("no_such_workflow")
    assert unknown.value.status_code == 404

    with pytest.raises(ApiError) as invalid:
        await provider.start_job("learning_chat", {"turns": 99})
    assert invalid.value.status_code == 422 and "turns" in invalid.value.message

    with pytest.raises(ApiError) as socket_missing:
        async for _ in provider.events("no-such-job"):
            pass
    assert socket_missing.value.status_code == 404

    job = await provider.start_job("chatty", {"count": 1})
    async for _ in provider.events(job.job_id):
        pass
    with pytest.raises(ApiError) as finished:
        await provider.cancel(job.job_id)
    assert finished.value.status_code == 409
    with pytest.raises(ApiError) as not_pending:
        await provider.answer(job.job_id, "no-such-request", "x")
    assert not_pending.value.status_code == 409


async def test_usage_and_the_webhook_key(api_url: str) -> None:
    provider = FastAPIProvider(api_url)
    report = await provider.usage(group_by="model")
    assert report.group_by == "model" and all(row.model_calls >= 0 for row in report.rows)
    old = await provider.usage(since="2000-01-01")
    assert old.since > "2000-01-01"  # counted from the oldest day kept, and says so
    with pytest.raises(ApiError) as bad:
        await provider.usage(group_by="colour")
    assert bad.value.status_code == 422
    # This API signs no webhooks; a key that verifies them: tests/integration/test_webhooks.py.
    with pytest.raises(ApiError) as unsigned:
        await provider.webhook_secret()
    assert unsigned.value.status_code == 404
    assert "AGENTJOBS_WEBHOOK_SECRET" in unsigned.value.message


async def test_answers_and_cancel(api_url: str) -> None:
    provider = FastAPIProvider(api_url)
    job = await provider.start_job("secret_echo")
    async for event in provider.events(job.job_id):
        if isinstance(event, TextInput):
            assert event.password
            after = await provider.answer(job.job_id, event.request_id, "s3cret")
            assert after.pending is None
    assert (await provider.get_job(job.job_id)).result == "got a token of 6 characters"

    waiting = await provider.start_job("learning_chat")
    async for event in provider.events(waiting.job_id):
        if isinstance(event, TextInput):
            cancelled = await provider.cancel(waiting.job_id)
            assert cancelled.status == "cancelled"
    assert event.type == "workflow_cancelled"


async def test_an_unreachable_api_raises_api_unreachable() -> None:
    provider = FastAPIProvider(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(ApiUnreachable):
        await provider.list_workflows()
    with pytest.raises(ApiUnreachable):
        await provider.health()
    with pytest.raises(ApiUnreachable):
        await provider.poll_events("some-job", wait=1)


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValueError, match="http://"):
        FastAPIProvider("127.0.0.1:8008")
    with pytest.raises(ValueError, match="positive"):
        FastAPIProvider("http://127.0.0.1:8008", timeout=0)


def test_socket_url_and_auth_carry_the_cursor_and_token() -> None:
    assert (
        ws_url("https://h/api", "a b", "5-1", "t0k")
        == "wss://h/api/jobs/a%20b/ws?after=5-1&token=t0k"
    )
    assert ws_url("http://h:1", "j", "0", None) == "ws://h:1/jobs/j/ws?after=0"
    assert auth_headers("t0k") == {"Authorization": "Bearer t0k"} and auth_headers(None) == {}
    assert cursor_key("0") < cursor_key("1-0") < cursor_key("1-1") < cursor_key("10-0")


async def test_a_token_is_sent_over_http_and_the_websocket(
    api_url: str, redis_srv: RedisServer, logs_dir: Path
) -> None:
    tokens = "tok-alice:alice"
    with api_server(
        redis_srv.url, logs_dir / "api-tokens.log", AGENTJOBS_API_TOKENS=tokens
    ) as secured:
        anonymous = FastAPIProvider(secured)
        with pytest.raises(ApiError) as refused:
            await anonymous.list_workflows()
        assert refused.value.status_code == 401

        alice = FastAPIProvider(secured, token="tok-alice")
        job = await alice.start_job("chatty", {"count": 2})
        events = [e async for e in alice.events(job.job_id)]
        assert [e.type for e in events][-1] == "workflow_completed"
        assert job.job_id in {j.job_id for j in (await alice.list_jobs()).jobs}
        with pytest.raises(ApiError) as socket_refused:
            async for _ in anonymous.events(job.job_id):
                pass
        assert socket_refused.value.status_code == 401
        wrong = FastAPIProvider(secured, token="tok-mallory")
        with pytest.raises(ApiError) as wrong_token:
            await wrong.get_job(job.job_id)
        assert wrong_token.value.status_code == 401


def test_api_errors_read_well() -> None:
    invalid = ApiError(
        422,
        [{"loc": ["body", "params", "turns"], "msg": "99 is greater than 10"}, "other"],
        "POST",
        "/jobs",
    )
    assert invalid.message == "body.params.turns: 99 is greater than 10; other"
    assert str(invalid) == "POST /jobs: HTTP 422: body.params.turns: 99 is greater than 10; other"
    assert invalid.resume_after is None
    gone = ApiError(410, "cursor too old", body={"detail": "x", "resume_after": "5-1"})
    assert gone.resume_after == "5-1"
