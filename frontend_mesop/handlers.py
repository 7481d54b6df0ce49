"""Mesop event handlers: each reads the event, calls ``actions`` and keeps the URL in step.

Handlers that act on one of many things (a workflow, a job, a chip) carry it in the clicked
component's key as ``<prefix>:<value>``; keys are unique in the page, values may repeat
across prefixes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import mesop as me

from frontend_mesop import actions, inbox_actions
from frontend_mesop.state import State
from frontend_mesop.transcript import Transcript

JOB_PARAM = "job"
"""The query parameter naming the attached job, so a reload re-attaches."""


def _value(key: str) -> str:
    return key.partition(":")[2]


def _attached(job_id: str) -> None:
    if job_id:
        me.query_params[JOB_PARAM] = job_id


def on_load(_e: me.LoadEvent) -> None:
    """Load the catalog and jobs, and re-attach to the job in the URL."""
    state = me.state(State)
    actions.load_page(state, me.query_params.get(JOB_PARAM, ""))
    inbox_actions.refresh_inbox(state)


def on_events(e: me.WebEvent) -> None:
    """Fold a batch of events the browser's socket received (see ``components/live.py``)."""
    state = me.state(State)
    value = e.value
    state.ack = max(state.ack, int(value.get("seq", 0)))
    events = [str(raw) for raw in value.get("events", [])]
    actions.apply_batch(state, str(value.get("job", "")), str(value.get("after", "0")), events)


def on_poll(e: me.WebEvent) -> Iterator[None]:
    """Poll the API from the server while the browser's socket cannot connect."""
    state = me.state(State)
    state.ack = max(state.ack, int(e.value.get("seq", 0)))
    yield from actions.refresh(state)
    # Mesop renders only on a yield: this last one carries what the poll found.
    yield


def on_select_workflow(e: me.ClickEvent) -> None:
    """Show the clicked workflow's form."""
    actions.select(me.state(State), _value(e.key))


def on_param_blur(e: me.InputBlurEvent) -> None:
    """Keep a typed param value."""
    me.state(State).form[_value(e.key)] = e.value


def on_param_select(e: me.SelectSelectionChangeEvent) -> None:
    """Keep a chosen enum param value."""
    me.state(State).form[_value(e.key)] = str(e.value)


def on_param_check(e: me.CheckboxChangeEvent) -> None:
    """Keep a ticked boolean param value."""
    me.state(State).form[_value(e.key)] = "true" if e.checked else "false"


def on_start(_e: me.ClickEvent) -> None:
    """Start the selected workflow and attach to the new job."""
    state = me.state(State)
    _attached(actions.start(state))


def on_open_job(e: me.ClickEvent) -> None:
    """Re-attach to a job from the sidebar, running or finished."""
    state = me.state(State)
    state.show_jobs = False
    actions.attach(state, _value(e.key))
    _attached(state.transcript.job_id)


def on_new_chat(_e: me.ClickEvent) -> None:
    """Leave the job (it keeps running) and show the picker."""
    state = me.state(State)
    state.transcript, state.notice = Transcript(), ""
    if JOB_PARAM in me.query_params:
        del me.query_params[JOB_PARAM]
    actions.refresh_jobs_quietly(state)


def on_job_filter(e: me.ClickEvent) -> None:
    """Show only the jobs of the clicked filter."""
    actions.filter_jobs(me.state(State), _value(e.key))


def on_remove_job(e: me.ClickEvent) -> None:
    """Remove a finished job; leave it first when it is the attached one."""
    state = me.state(State)
    job_id = _value(e.key)
    if actions.remove_job(state, job_id) and state.transcript.job_id == job_id:
        state.transcript = Transcript()
        if JOB_PARAM in me.query_params:
            del me.query_params[JOB_PARAM]


def on_toggle_jobs(_e: me.ClickEvent) -> None:
    """Open or close the job list in a narrow window."""
    state = me.state(State)
    state.show_jobs = not state.show_jobs


def on_draft_blur(e: me.InputBlurEvent) -> None:
    """Keep what was typed in the answer box."""
    me.state(State).draft = e.value


def on_draft_enter(e: me.InputEnterEvent) -> None:
    """Send the typed answer on Enter."""
    actions.answer(me.state(State), e.value)


def on_send(_e: me.ClickEvent) -> None:
    """Send the typed answer."""
    state = me.state(State)
    actions.answer(state, state.draft)


def on_chip(e: me.ClickEvent) -> None:
    """Answer with a suggestion, or with a choice of a single-choice question."""
    actions.answer(me.state(State), _value(e.key))


def on_pick(e: me.ClickEvent) -> None:
    """Tick or untick a choice of a question that allows several."""
    state = me.state(State)
    choice = _value(e.key)
    if choice in state.picks:
        state.picks.remove(choice)
    else:
        state.picks.append(choice)


def on_submit_picks(_e: me.ClickEvent) -> None:
    """Send the ticked choices."""
    state = me.state(State)
    actions.answer(state, list(state.picks))


def on_cancel(_e: me.ClickEvent) -> None:
    """Cancel the attached job."""
    actions.cancel(me.state(State))


def on_toggle_block(e: me.ClickEvent) -> None:
    """Open or close a tool call or result block."""
    state = me.state(State)
    item_id = _value(e.key)
    if item_id in state.expanded:
        state.expanded.remove(item_id)
    else:
        state.expanded.append(item_id)


def on_token_blur(e: me.InputBlurEvent) -> None:
    """Keep the typed token."""
    me.state(State).draft = e.value


def on_token_enter(e: me.InputEnterEvent) -> None:
    """Sign in on Enter."""
    state = me.state(State)
    actions.sign_in(state, e.value, me.query_params.get(JOB_PARAM, ""))
    state.draft = ""


def on_sign_in(_e: me.ClickEvent) -> None:
    """Sign in with the typed token."""
    state = me.state(State)
    actions.sign_in(state, state.draft, me.query_params.get(JOB_PARAM, ""))
    state.draft = ""


def on_approve(_e: me.ClickEvent) -> None:
    """Approve the pending tool call."""
    actions.answer(me.state(State), {"decision": "approve"})


def on_reason_blur(e: me.InputBlurEvent) -> None:
    """Keep the typed rejection reason."""
    me.state(State).reason = e.value


def on_reject(_e: me.ClickEvent) -> None:
    """Reject the pending tool call (with the typed reason, if any)."""
    state = me.state(State)
    decision = {"decision": "reject"} | ({"reason": state.reason} if state.reason else {})
    actions.answer(state, decision)
    state.reason = ""


def on_edit(_e: me.ClickEvent) -> None:
    """Run the pending tool call with the edited arguments (the API checks them)."""
    state = me.state(State)
    text = state.draft or state.transcript.pending.arguments
    try:
        arguments = json.loads(text)
    except json.JSONDecodeError as exc:
        state.notice = f"The arguments are not JSON: {exc}"
        return
    actions.answer(state, {"decision": "edit", "arguments": arguments})


def on_inbox_tick(e: me.WebEvent) -> None:
    """The inbox changed (``{count}`` from its socket) or a poll is due (``{}``): read it."""
    state = me.state(State)
    pushed = e.value.get("count")
    if pushed is not None and int(pushed) == state.inbox_count and not state.show_inbox:
        return  # nothing the page shows changed
    inbox_actions.refresh_inbox(state)


def on_toggle_inbox(_e: me.ClickEvent) -> None:
    """Open (reading it now) or close the inbox."""
    state = me.state(State)
    state.show_inbox = not state.show_inbox
    if state.show_inbox:
        inbox_actions.refresh_inbox(state)


def on_open_request(e: me.ClickEvent) -> None:
    """Open the job of a waiting request from the inbox."""
    state = me.state(State)
    state.show_inbox = False
    actions.attach(state, _value(e.key))
    _attached(state.transcript.job_id)
