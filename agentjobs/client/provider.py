"""``FastAPIProvider``: the async client of the agentjobs API that the UI and the console use.

It imports only httpx, websockets and the shared protocol, so it works without Mesop, AutoGen
or Celery installed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter
from websockets.exceptions import ConnectionClosed

from agentjobs.client.errors import ApiError, ApiUnreachable
from agentjobs.client.event_stream import EventStream, RetryHook
from agentjobs.client.job_socket import auth_headers, open_socket, parse_frame
from agentjobs.protocol import (
    AnswerValue,
    Event,
    EventPage,
    Inbox,
    JobCreated,
    JobList,
    JobRecord,
    JobStatus,
    WorkflowInfo,
)
from agentjobs.protocol.bodies import UsageReport
from agentjobs.protocol.webhooks import WebhookSecret

if TYPE_CHECKING:
    from agentjobs.client.settings import ClientSettings
    from agentjobs.client.sync import SyncProvider

__all__ = ["ApiError", "ApiUnreachable", "FastAPIProvider", "StatusFilter"]

StatusFilter = JobStatus | str | Iterable[JobStatus | str] | None
"""A job-list filter: one status, several (any of them matches), or ``None`` for every job."""

_WORKFLOWS = TypeAdapter(list[WorkflowInfo])


class FastAPIProvider:
    """Calls the agentjobs API over HTTP and follows jobs over their WebSocket.

    Each call opens a short-lived HTTP client, so one provider can be shared across event loops
    and threads; inside ``async with provider:`` calls share one pooled client instead.
    """

    def __init__(
        self,
        fastapi_url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        max_backoff: float = 5.0,
    ) -> None:
        if not fastapi_url.startswith(("http://", "https://")):
            raise ValueError(f"the API URL must start with http:// or https://: {fastapi_url!r}")
        if timeout <= 0 or max_backoff <= 0:
            raise ValueError("timeout and max_backoff must be positive")
        self.base_url = fastapi_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.max_backoff = max_backoff
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_settings(cls, settings: ClientSettings | None = None) -> FastAPIProvider:
        """A provider configured from ``AGENTJOBS_API_URL`` / ``AGENTJOBS_TOKEN``."""
        from agentjobs.client.settings import ClientSettings

        settings = settings or ClientSettings()
        return cls(settings.api_url, token=settings.token_value, timeout=settings.client_timeout)

    def sync(self) -> SyncProvider:
        """A blocking wrapper of this provider for synchronous code (Mesop handlers)."""
        from agentjobs.client.sync import SyncProvider

        return SyncProvider(self)

    async def __aenter__(self) -> Self:
        self._client = self._new_client()
        self._client_loop = asyncio.get_running_loop()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled HTTP client opened by ``async with``."""
        client, self._client, self._client_loop = self._client, None, None
        if client is not None:
            await client.aclose()

    # HTTP calls.

    async def list_workflows(self) -> list[WorkflowInfo]:
        """The workflows the workers can run."""
        return _WORKFLOWS.validate_python(await self._call("GET", "/workflows"))

    async def start_job(self, workflow: str, params: dict[str, Any] | None = None) -> JobCreated:
        """Start a job (404 unknown workflow, 422 params failing the workflow's schema)."""
        body = {"workflow": workflow, "params": params or {}}
        return JobCreated.model_validate(await self._call("POST", "/jobs", json=body))

    async def get_job(self, job_id: str) -> JobRecord:
        """The job record: status, pending request, result or error."""
        return JobRecord.model_validate(await self._call("GET", _job_path(job_id)))

    async def list_jobs(
        self, offset: int = 0, limit: int = 50, *, status: StatusFilter = None
    ) -> JobList:
        """One page of the caller's jobs, newest first.

        ``status`` keeps only jobs in that status (or in any of several); ``total`` then counts
        the matching jobs. An unknown status raises ``ApiError`` 422 naming the allowed ones.
        """
        query: dict[str, Any] = {"offset": offset, "limit": limit}
        statuses = _status_values(status)
        if statuses:
            query["status"] = statuses
        return JobList.model_validate(await self._call("GET", "/jobs", params=query))

    async def delete_job(self, job_id: str) -> None:
        """Remove a finished job with its event log and journal.

        Raises ``ApiError`` 409 while the job is queued, running or awaiting input (cancel it
        first), and 404 for an unknown job or another user's.
        """
        await self._call("DELETE", _job_path(job_id), ok=(204,))

    async def read_events(self, job_id: str, after: str = "0", limit: int = 1000) -> EventPage:
        """The logged events after the cursor ``after`` (one page).

        A cursor older than the (trimmed) log raises ``ApiError`` 410 with ``resume_after``.
        """
        query = {"after": after, "limit": limit}
        data = await self._call("GET", _job_path(job_id, "events"), params=query)
        return EventPage.model_validate(data)

    async def answer(self, job_id: str, request_id: str, value: AnswerValue) -> JobRecord:
        """Answer the pending request ``request_id`` (409 when it is not pending)."""
        body = {"request_id": request_id, "value": value}
        data = await self._call("POST", _job_path(job_id, "input"), json=body)
        return JobRecord.model_validate(data)

    async def inbox(self, limit: int = 100) -> Inbox:
        """The caller's pending requests across jobs, oldest first."""
        return Inbox.model_validate(await self._call("GET", "/inbox", params={"limit": limit}))

    async def answer_request(self, request_id: str, value: AnswerValue) -> JobRecord:
        """Answer one request of the inbox (409 naming who answered when it was taken)."""
        path = "/inbox/" + quote(request_id, safe="")
        return JobRecord.model_validate(await self._call("POST", path, json={"value": value}))

    async def cancel(self, job_id: str) -> JobRecord:
        """Cancel a queued or running job (409 when it already finished)."""
        return JobRecord.model_validate(await self._call("POST", _job_path(job_id, "cancel")))

    async def usage(self, since: str | None = None, group_by: str = "workflow") -> UsageReport:
        """The caller's model calls, tokens and cost per ``group_by`` (``workflow``, ``model`` or
        ``user``) from the UTC day ``since`` (``YYYY-MM-DD``; default today)."""
        query = {"group_by": group_by, **({"since": since} if since else {})}
        return UsageReport.model_validate(await self._call("GET", "/usage", params=query))

    async def webhook_secret(self) -> str:
        """The key the caller's jobs' own ``webhook_url`` deliveries are signed with (Standard
        Webhooks); ``ApiError`` 404 when the server signs no webhooks."""
        data = await self._call("GET", "/webhooks/secret")
        return WebhookSecret.model_validate(data).secret

    async def health(self) -> dict[str, Any]:
        """The API's health report; ``status`` is ``unavailable`` when its Redis is down (503)."""
        data: dict[str, Any] = await self._call("GET", "/health", ok=(200, 503))
        return data

    # Events.

    def events(
        self, job_id: str, after: str = "0", *, on_retry: RetryHook | None = None
    ) -> EventStream:
        """The job's events after ``after``, live, until the terminal one (``async for``).

        A lost connection (network, API restart) is retried from the last event yielded with a
        capped exponential backoff, so every event arrives exactly once and in order.
        ``on_retry(error, delay)`` is told about each retry. Refusals (401, 403, 404) raise
        ``ApiError``. Leaving the loop early: ``async with provider.events(...) as stream``
        closes the socket at once (otherwise it closes when the stream is dropped).
        """
        return EventStream(
            self.base_url,
            job_id,
            after,
            token=self.token,
            timeout=self.timeout,
            max_backoff=self.max_backoff,
            get_job=self.get_job,
            on_retry=on_retry,
        )

    async def poll_events(
        self, job_id: str, after: str = "0", wait: float = 5.0, limit: int = 1000
    ) -> list[Event]:
        """The events after ``after``; when there are none yet, wait up to ``wait`` seconds.

        Returns ``[]`` when nothing happened in time (or the job is over and fully read).
        """
        page = await self.read_events(job_id, after, limit)
        if page.events or wait <= 0:
            return page.events
        first = await self._next_live_event(job_id, after, wait)
        if first is None:
            return []
        rest = await self.read_events(job_id, first.id, limit) if limit > 1 else None
        return [first, *(rest.events[: limit - 1] if rest else [])]

    async def _next_live_event(self, job_id: str, after: str, wait: float) -> Event | None:
        try:
            async with asyncio.timeout(wait):
                async with open_socket(
                    self.base_url, job_id, after, self.token, self.timeout
                ) as conn:
                    async for raw in conn:
                        event = parse_frame(raw)
                        if event is not None:
                            return event
        except (TimeoutError, ConnectionClosed):
            pass  # nothing yet, or the socket dropped: the next poll reads the log again
        return None

    # Plumbing.

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, headers=auth_headers(self.token), timeout=self.timeout
        )

    @asynccontextmanager
    async def _http(self) -> AsyncIterator[httpx.AsyncClient]:
        # The pooled client is bound to the loop that opened it; other loops get their own.
        if self._client is not None and self._client_loop is asyncio.get_running_loop():
            yield self._client
            return
        async with self._new_client() as client:
            yield client

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        ok: tuple[int, ...] = (200, 202),
    ) -> Any:
        try:
            async with self._http() as client:
                response = await client.request(method, path, json=json, params=params)
        except httpx.TransportError as exc:
            raise ApiUnreachable(self.base_url, exc) from exc
        if response.status_code not in ok:
            body = _body(response)
            detail = body.get("detail", body) if isinstance(body, dict) else body
            raise ApiError(response.status_code, detail, method, path, body)
        return response.json() if response.content else None


def _status_values(status: StatusFilter) -> list[str]:
    """The ``status`` query values of a filter, in the order given (``[]`` for no filter)."""
    if status is None:
        return []
    if isinstance(status, str):  # JobStatus is a str too
        return [str(status)]
    return [str(one) for one in status]


def _job_path(job_id: str, *rest: str) -> str:
    # Quote the id: it comes from users (URLs, command lines) and must stay one path segment.
    return "/".join(["/jobs", quote(job_id, safe=""), *rest])


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text or response.reason_phrase
