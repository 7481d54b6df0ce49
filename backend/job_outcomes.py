"""What the job store's client-side changes report: outcomes of an answer, a cancel, a delete,
and the refusal of a create past the user's cap."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AnswerOutcome(StrEnum):
    """What happened to an answer."""

    ACCEPTED = "accepted"
    NOT_PENDING = "not_pending"
    MISSING = "missing"
    REPEATED = "repeated"
    """The same user sent this answer before with the same idempotency key; it was taken."""


@dataclass(frozen=True)
class TakenAnswer:
    """Who took a request that is no longer pending, and with which idempotency key."""

    by: str
    source: str
    key: str

    @property
    def described(self) -> str:
        """How a refusal names who took it."""
        if self.source == "deadline":
            return "by its deadline (the default was applied)"
        return f"by {self.by}"


class CancelOutcome(StrEnum):
    """What happened to a cancel request."""

    CANCELLED = "cancelled"
    ALREADY_FINISHED = "already_finished"
    MISSING = "missing"


class DeleteOutcome(StrEnum):
    """What happened to a delete request."""

    DELETED = "deleted"
    UNFINISHED = "unfinished"
    MISSING = "missing"


class TooManyActiveJobs(Exception):
    """The user already has as many active jobs as allowed."""

    def __init__(self, active: int, limit: int) -> None:
        super().__init__(f"{active} active jobs, the limit is {limit}")
        self.active = active
        self.limit = limit
