"""The page's Mesop state: ids, a cursor and a bounded transcript, never a whole job log.

Mesop sends this state to the browser and back on every event, so it stays small; everything
else is read from the API again (the UI process itself keeps no run state).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesop as me

from frontend_mesop.params_form import FormField
from frontend_mesop.transcript import Transcript


@dataclass
class WorkflowCard:
    """One workflow in the picker."""

    name: str = ""
    description: str = ""
    fields: list[FormField] = field(default_factory=list)


JOB_FILTERS = {
    "": "All",
    "active": "Active",
    "awaiting_input": "Waiting for you",
    "succeeded": "Finished",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
"""The job list's filters (value -> label); ``active`` is every unfinished status."""


@dataclass
class JobRow:
    """One job in the sidebar."""

    job_id: str = ""
    workflow: str = ""
    status: str = ""
    created: str = ""
    """When it was created, as the sidebar shows it (UTC)."""


@dataclass
class InboxRow:
    """One request waiting for this person, in the inbox view."""

    request_id: str = ""
    job_id: str = ""
    workflow: str = ""
    owner: str = ""
    prompt: str = ""
    asked: str = ""
    """When it was asked, as the inbox shows it (UTC)."""


@me.stateclass
class State:
    """Everything one browser tab's page knows."""

    token: str = ""
    """The bearer token this person signed in with (empty: the UI's configured one, if any)."""
    needs_token: bool = False
    sign_in_error: str = ""

    api_down: bool = False
    api_problem: str = ""
    notice: str = ""
    """A short message about the last action (an answer refused, bad params)."""

    workflows: list[WorkflowCard] = field(default_factory=list)
    selected: str = ""
    form: dict[str, str] = field(default_factory=dict)

    transcript: Transcript = field(default_factory=Transcript)
    draft: str = ""
    picks: list[str] = field(default_factory=list)
    """Choices ticked so far for a multiple_choice that allows several."""
    expanded: list[str] = field(default_factory=list)
    """Ids of tool blocks the person opened."""

    jobs: list[JobRow] = field(default_factory=list)
    job_filter: str = ""
    """Which jobs the list shows: a key of ``JOB_FILTERS``."""
    show_jobs: bool = False
    """Whether the job list is open in a narrow window (it is always shown in a wide one)."""

    inbox: list[InboxRow] = field(default_factory=list)
    """The oldest requests waiting for this person (refreshed by the inbox ticker)."""
    inbox_count: int = 0
    show_inbox: bool = False
    reason: str = ""
    """What was typed as a tool approval's rejection reason."""

    ack: int = 0
    """The last batch or poll of the live link this page applied (it sends the next then)."""
