"""The inbox view's actions: read the requests waiting for this person, open one's job."""

from __future__ import annotations

from agentjobs.client.errors import ApiError, ApiUnreachable
from agentjobs.protocol import InboxItem, MultipleChoice, ToolApproval
from frontend_mesop.connection import client
from frontend_mesop.state import InboxRow, State

INBOX_ROWS = 50
"""How many waiting requests the view lists (the count covers them all)."""


def refresh_inbox(state: State) -> None:
    """Read the inbox again; an unreachable or refusing API leaves the last one shown (the
    job routes report outages; the inbox must not add noise on every tick)."""
    if state.needs_token:
        return
    try:
        inbox = client(state.token).inbox(INBOX_ROWS)
    except (ApiUnreachable, ApiError):
        return
    state.inbox_count = inbox.count
    state.inbox = [_row(item) for item in inbox.items]


def _row(item: InboxItem) -> InboxRow:
    request = item.request
    prompt = request.prompt
    if isinstance(request, ToolApproval):
        prompt = f"{prompt} {request.tool}"
    elif isinstance(request, MultipleChoice):
        prompt = f"{prompt} ({' / '.join(request.choices)})"
    return InboxRow(
        request_id=request.request_id,
        job_id=item.job_id,
        workflow=item.workflow,
        owner=item.owner,
        prompt=prompt[:200],
        asked=item.asked_at.strftime("%Y-%m-%d %H:%M"),
    )
