"""What the page does with the API: load the catalog and jobs, start, attach, follow, answer.

Every call goes through ``_call``, which turns an unreachable API into the calm banner (the
live link then polls until it answers) and a 401 into the sign-in screen. Handlers in
``frontend_mesop.handlers`` stay one line each around these functions.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import TypeVar

from agentjobs.client.errors import ApiError, ApiUnreachable
from agentjobs.client.sync import SyncProvider
from agentjobs.protocol import EVENT_ADAPTER, AnswerValue, Event, JobRecord, is_after
from frontend_mesop.connection import client, target
from frontend_mesop.params_form import FormError, form_fields, form_values
from frontend_mesop.state import JOB_FILTERS, JobRow, State, WorkflowCard
from frontend_mesop.transcript import Pending, Transcript, fold, is_terminal_status

T = TypeVar("T")
log = logging.getLogger(__name__)

REFRESH_SECONDS = 1.0
"""How long one poll reads events before handing back (clicks queue behind it)."""
CATCH_UP_SECONDS = 3.0
"""How long attaching may read an old log before the live link takes over."""


class _Stop(Exception):
    """The API is down or refused us; ``_call`` already told the page."""


def _call(state: State, fn: Callable[[SyncProvider], T]) -> T:
    try:
        result = fn(client(state.token))
    except ApiUnreachable as exc:
        state.api_down = True
        state.api_problem = f"Can't reach the agentjobs API at {exc.url}. Retrying…"
        raise _Stop from exc
    except ApiError as exc:
        if exc.status_code == 401:
            state.needs_token = True
            raise _Stop from exc
        raise
    if state.api_down:
        state.api_down = False
        state.api_problem = ""
    return result


def load_page(state: State, job_id: str) -> None:
    """First load (or recovery): the catalog, the job list, and the job named in the URL."""
    try:
        load_catalog(state)
        refresh_jobs(state)
        if job_id and job_id != state.transcript.job_id:
            attach(state, job_id)
    except _Stop:
        pass


def load_catalog(state: State) -> None:
    """The workflows for the picker, each with its params form."""
    infos = _call(state, lambda c: c.list_workflows())
    state.workflows = [
        WorkflowCard(i.name, i.description, form_fields(i.params_schema)) for i in infos
    ]
    if state.workflows and state.selected not in {w.name for w in state.workflows}:
        select(state, state.workflows[0].name)


def select(state: State, name: str) -> None:
    """Pick a workflow and fill its form with the defaults."""
    state.selected = name
    card = next((w for w in state.workflows if w.name == name), None)
    state.form = {f.name: f.default for f in card.fields} if card else {}
    state.notice = ""


ACTIVE = ("queued", "running", "awaiting_input")


def refresh_jobs(state: State) -> None:
    """The sidebar's list of this person's jobs (those the chosen filter keeps)."""
    chosen = state.job_filter
    status = ACTIVE if chosen == "active" else (chosen or None)
    page = _call(state, lambda c: c.list_jobs(0, 30, status=status))
    state.jobs = [_row(job) for job in page.jobs]


def filter_jobs(state: State, job_filter: str) -> None:
    """Show only the jobs ``job_filter`` keeps (a key of ``JOB_FILTERS``; '' for all)."""
    state.job_filter = job_filter if job_filter in JOB_FILTERS else ""
    refresh_jobs_quietly(state)


def remove_job(state: State, job_id: str) -> bool:
    """Delete a finished job from the API and the list; True when it is gone."""
    try:
        _call(state, lambda c: c.delete_job(job_id))
    except ApiError as exc:
        if exc.status_code != 404:  # already gone (another tab removed it): drop the row
            state.notice = f"Could not remove the job: {exc.message}"
            return False
    except _Stop:
        return False
    state.jobs = [row for row in state.jobs if row.job_id != job_id]
    return True


def refresh_jobs_quietly(state: State) -> None:
    """``refresh_jobs`` for handlers where an outage only shows the banner."""
    with contextlib.suppress(_Stop):
        refresh_jobs(state)


def _row(job: JobRecord) -> JobRow:
    created = job.created_at.strftime("%b %d %H:%M")
    return JobRow(job.job_id, job.workflow, job.status.value, created)


def start(state: State) -> str:
    """Start the selected workflow with the form's params; the new job's id, or ''."""
    card = next((w for w in state.workflows if w.name == state.selected), None)
    if card is None:
        return ""
    try:
        params = form_values(card.fields, state.form)
        created = _call(state, lambda c: c.start_job(card.name, params))
    except FormError as exc:
        state.notice = str(exc)
        return ""
    except ApiError as exc:
        state.notice = f"Could not start {card.name}: {exc.message}"
        return ""
    except _Stop:
        return ""
    attach(state, created.job_id)
    refresh_jobs_quietly(state)
    return created.job_id


def attach(state: State, job_id: str) -> None:
    """Show a job from its first event; refreshes continue from there."""
    state.transcript = Transcript(job_id=job_id)
    state.draft, state.picks, state.expanded, state.notice = "", [], [], ""
    try:
        record = _call(state, lambda c: c.get_job(job_id))
    except ApiError as exc:
        state.transcript = Transcript()
        state.notice = f"Job {job_id} is not available ({exc.message})."
        return
    t = state.transcript
    t.workflow, t.status = record.workflow, record.status.value
    t.usage = _usage_line(record)
    _catch_up(state, time.monotonic() + CATCH_UP_SECONDS)
    if record.pending is not None and not t.pending.request_id and not is_terminal_status(t.status):
        # The question's event may have been trimmed from a very long log.
        p = record.pending
        t.pending = Pending(p.request_id, p.type, p.prompt, p.sender)


def _usage_line(record: JobRecord) -> str:
    """What the header shows of the job's model use (nothing before its first call)."""
    return record.usage.summary() if record.usage.model_calls else ""


def _catch_up(state: State, deadline: float) -> None:
    t = state.transcript
    while time.monotonic() < deadline:
        page = _call(state, lambda c: c.read_events(t.job_id, t.cursor, 1000))
        fold(t, page.events)
        if page.next_after is None:
            return


def apply_batch(state: State, job_id: str, after: str, raw_events: list[str]) -> None:
    """Fold a batch the browser's socket received (event JSON, after cursor ``after``).

    A batch for another job (one sent just before the person switched) is ignored; events
    at or before the cursor are skipped by ``fold``, so a batch sent twice shows once.
    """
    t = state.transcript
    if not t.job_id or job_id != t.job_id:
        return
    events: list[Event] = []
    for raw in raw_events:
        try:
            events.append(EVENT_ADAPTER.validate_json(raw))
        except ValueError:
            log.warning("job %s: skipped an event the page cannot read", t.job_id)
    try:
        if is_after(after, t.cursor):
            # The browser read on from a cursor this state never reached: fill the gap.
            _catch_up(state, time.monotonic() + CATCH_UP_SECONDS)
        if fold(t, events) and is_terminal_status(t.status):
            refresh_jobs(state)
            t.usage = _usage_line(_call(state, lambda c: c.get_job(t.job_id)))
    except _Stop:
        pass


def refresh(state: State) -> Iterator[None]:
    """One poll: recover from an outage, then fold in new events for about a second.

    The live link asks for this only while its socket cannot connect or the API is down.
    """
    try:
        if state.api_down or not state.workflows:
            load_page(state, state.transcript.job_id)
            if state.api_down:
                return
        yield from _follow(state, time.monotonic() + REFRESH_SECONDS)
    except _Stop:
        pass
    except ApiError as exc:
        state.notice = f"The API refused to show this job: {exc.message}"
        state.transcript = Transcript()
    except Exception:
        # E.g. a live socket cut by an API restart: calm banner now, and the next poll
        # (from the same cursor) either recovers or finds the API unreachable.
        log.exception("refreshing job %s failed", state.transcript.job_id)
        state.api_down = True
        state.api_problem = "Lost the connection to the agentjobs API. Retrying…"


def _follow(state: State, deadline: float) -> Iterator[None]:
    t = state.transcript
    while t.job_id and not is_terminal_status(t.status):
        wait = max(0.05, deadline - time.monotonic())
        events = _call(state, partial(_poll, job_id=t.job_id, after=t.cursor, wait=wait))
        if fold(t, events):
            if is_terminal_status(t.status):
                refresh_jobs(state)
            yield
        if time.monotonic() >= deadline:
            return


def _poll(c: SyncProvider, *, job_id: str, after: str, wait: float) -> list[Event]:
    return c.poll_events(job_id, after, wait, 500)


def answer(state: State, value: AnswerValue) -> None:
    """Send the answer to the pending question; the refreshes show it arriving."""
    t = state.transcript
    if not t.pending.request_id:
        return
    try:
        _call(state, lambda c: c.answer(t.job_id, t.pending.request_id, value))
    except ApiError as exc:
        state.notice = f"The answer was not taken: {exc.message}"
        return
    except _Stop:
        return
    state.draft, state.picks, state.notice = "", [], ""


def cancel(state: State) -> None:
    """Cancel the attached job."""
    t = state.transcript
    try:
        _call(state, lambda c: c.cancel(t.job_id))
    except ApiError as exc:
        state.notice = f"Could not cancel: {exc.message}"
    except _Stop:
        pass


def sign_in(state: State, token: str, job_id: str) -> None:
    """Try ``token``; on success leave the sign-in screen and load the page with it."""
    state.token = token.strip()
    state.needs_token = False
    load_page(state, job_id)
    state.sign_in_error = "That token was not accepted." if state.needs_token else ""


def browser_token(state: State) -> str:
    """The token the browser's socket sends as ``?token=``: the person's, or the UI's own.

    A UI deployed for one user with ``AGENTJOBS_TOKEN`` hands that token to every page it
    serves; whoever can open the page can act as that user through it anyway.
    """
    return state.token or target().token or ""


def api_address() -> str:
    """The API's URL, for messages."""
    return target().url
