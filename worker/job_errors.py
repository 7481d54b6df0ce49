"""How a run learns it must stop writing to its job: it lost the job, or it let go of it."""

from __future__ import annotations


class JobLost(Exception):
    """The worker may no longer write to the job: it was cancelled, or another attempt owns it."""

    def __init__(self, job_id: str, status: str, reason: str) -> None:
        super().__init__(f"job {job_id} is {status} ({reason})")
        self.status = status
        self.reason = reason


class Suspended(Exception):
    """The job let go of its worker while it waits for ``request_id``; the answer requeues it."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"suspended waiting for {request_id}")
        self.request_id = request_id
