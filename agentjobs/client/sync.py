"""``SyncProvider``: blocking versions of the provider's calls, for Mesop's synchronous handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from agentjobs.protocol import (
    AnswerValue,
    Event,
    EventPage,
    Inbox,
    JobCreated,
    JobList,
    JobRecord,
    WorkflowInfo,
)
from agentjobs.protocol.bodies import UsageReport

if TYPE_CHECKING:
    from agentjobs.client.provider import FastAPIProvider, StatusFilter

T = TypeVar("T")


class SyncProvider:
    """The provider's calls, each run to completion on a fresh event loop.

    A fresh loop per call holds nothing between calls (no thread, no socket), so a wrapper can
    be created per request and dropped without cleanup; the cost is one TCP connect per call.
    """

    def __init__(self, provider: FastAPIProvider) -> None:
        self.provider = provider

    def list_workflows(self) -> list[WorkflowInfo]:
        """The workflows the workers can run."""
        return _run(self.provider.list_workflows())

    def start_job(self, workflow: str, params: dict[str, Any] | None = None) -> JobCreated:
        """Start a job."""
        return _run(self.provider.start_job(workflow, params))

    def get_job(self, job_id: str) -> JobRecord:
        """The job record."""
        return _run(self.provider.get_job(job_id))

    def list_jobs(
        self, offset: int = 0, limit: int = 50, *, status: StatusFilter = None
    ) -> JobList:
        """One page of the caller's jobs, newest first; ``status`` filters (one or several)."""
        return _run(self.provider.list_jobs(offset, limit, status=status))

    def delete_job(self, job_id: str) -> None:
        """Remove a finished job (``ApiError`` 409 while it is unfinished, 404 if not yours)."""
        _run(self.provider.delete_job(job_id))

    def read_events(self, job_id: str, after: str = "0", limit: int = 1000) -> EventPage:
        """The logged events after ``after`` (one page)."""
        return _run(self.provider.read_events(job_id, after, limit))

    def poll_events(
        self, job_id: str, after: str = "0", wait: float = 5.0, limit: int = 1000
    ) -> list[Event]:
        """The events after ``after``, waiting up to ``wait`` seconds for one; may be ``[]``."""
        return _run(self.provider.poll_events(job_id, after, wait, limit))

    def answer(self, job_id: str, request_id: str, value: AnswerValue) -> JobRecord:
        """Answer the pending request ``request_id``."""
        return _run(self.provider.answer(job_id, request_id, value))

    def inbox(self, limit: int = 100) -> Inbox:
        """The caller's pending requests across jobs, oldest first."""
        return _run(self.provider.inbox(limit))

    def answer_request(self, request_id: str, value: AnswerValue) -> JobRecord:
        """Answer one request of the inbox."""
        return _run(self.provider.answer_request(request_id, value))

    def cancel(self, job_id: str) -> JobRecord:
        """Cancel the job."""
        return _run(self.provider.cancel(job_id))

    def usage(self, since: str | None = None, group_by: str = "workflow") -> UsageReport:
        """The caller's model use since a UTC day, grouped."""
        return _run(self.provider.usage(since, group_by))

    def webhook_secret(self) -> str:
        """The key the caller's own job webhooks are signed with."""
        return _run(self.provider.webhook_secret())

    def health(self) -> dict[str, Any]:
        """The API's health report."""
        return _run(self.provider.health())


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    # Called from inside a running loop (asyncio.run would refuse): use a helper thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
