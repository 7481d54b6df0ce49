"""The chat page: picker, transcript, answer box, job list and status, laid out for any width.

``create_app()`` gives the WSGI app gunicorn serves (``agentjobs ui``, or a seed-style
``main_2_mesop.py`` passing its own ``FastAPIProvider``). The page lives while a job runs by
the live link: the browser holds the job's WebSocket and hands its events to Mesop in batches
(see ``components/live.py`` for why and how it recovers).
"""

from __future__ import annotations

from typing import Literal

import mesop as me
from mesop.runtime import runtime

from agentjobs.client.provider import FastAPIProvider
from frontend_mesop import actions, connection, handlers
from frontend_mesop import styles as st
from frontend_mesop.components.composer import composer
from frontend_mesop.components.header import header
from frontend_mesop.components.inbox import TICK_MS, inbox_button, inbox_list, inbox_tick
from frontend_mesop.components.live import live, socket_base
from frontend_mesop.components.picker import picker
from frontend_mesop.components.sidebar import job_list
from frontend_mesop.components.signin import sign_in
from frontend_mesop.components.transcript_view import transcript_view
from frontend_mesop.state import State
from frontend_mesop.transcript import is_terminal_status
from frontend_mesop.wsgi import WSGIApp, without_external_fonts

OUTAGE_RETRY_MS = 2000
"""How often the page asks again while the API is unreachable or has no workflows yet."""


def create_app(provider: FastAPIProvider | None = None) -> WSGIApp:
    """The UI as a WSGI app, talking to ``provider``'s API (default: ``AGENTJOBS_API_URL``)."""
    if provider is not None:
        connection.configure(provider)
    _allow_socket(_browser_socket_base())
    return without_external_fonts(me.create_wsgi_app())


def _browser_socket_base() -> str:
    """The API's WebSocket origin as the user's browser reaches it."""
    return socket_base(connection.target().browser_url)


def _allow_socket(origin: str) -> None:
    # Mesop's CSP lets a page connect only to its own origin; the API is another one. The
    # policy is read for every page served, and ``me.page`` keeps a copy of it: amend that.
    config = runtime().get_page_config(path="/")  # type: ignore[no-untyped-call]
    assert config is not None and config.security_policy is not None
    config.security_policy.allowed_connect_srcs[:] = [origin]


@me.page(path="/", title="agentjobs", on_load=handlers.on_load)
def page() -> None:
    """The whole page."""
    state = me.state(State)
    narrow = me.viewport_size().width < st.NARROW_PX
    with me.box(
        style=me.Style(
            font_family=st.FONT,
            color=st.INK,
            background=st.PAGE,
            height="100vh",
            display="flex",
            flex_direction="column",
        )
    ):
        _live_link(state)
        _inbox_link(state)
        if state.needs_token:
            sign_in(state.sign_in_error, actions.api_address())
            return
        header(state.transcript, narrow=narrow, show_jobs_button=narrow)
        _banners(state)
        _inbox(state)
        # Every box at this level has a class: Mesop reuses boxes by position and leaves a
        # reused box's old classes in place when the new one has none.
        with me.box(
            classes="aj-columns", style=me.Style(flex_grow=1, display="flex", min_height=0)
        ):
            if not narrow:
                with me.box(
                    classes="aj-sidebar",
                    style=me.Style(
                        width=270,
                        flex_shrink=0,
                        overflow_y="auto",
                        padding=me.Padding.all(14),
                        border=me.Border(
                            right=me.BorderSide(width=1, style="solid", color=st.LINE)
                        ),
                    ),
                ):
                    job_list(state.jobs, state.transcript, state.job_filter)
            _main(state, narrow=narrow)


def _live_link(state: State) -> None:
    # Rendered on every page, whatever it shows, so its handlers are always registered.
    t = state.transcript
    following = _following(state) and not state.needs_token
    url = f"{_browser_socket_base()}/jobs/{t.job_id}/ws" if following else ""
    live(
        socket_url=url,
        token=actions.browser_token(state),
        job_id=t.job_id,
        cursor=t.cursor,
        ack=state.ack,
        poll_ms=OUTAGE_RETRY_MS if _waiting_for_api(state) else 0,
        on_events=handlers.on_events,
        on_poll=handlers.on_poll,
    )


def _main(state: State, *, narrow: bool) -> None:
    pad = 10 if narrow else 20
    with me.box(
        classes="aj-main",
        style=me.Style(flex_grow=1, display="flex", flex_direction="column", min_width=0),
    ):
        # column-reverse keeps the view pinned to the newest message as the transcript grows.
        direction: Literal["column", "column-reverse"] = (
            "column-reverse" if state.transcript.job_id else "column"
        )
        with (
            me.box(
                style=me.Style(
                    flex_grow=1,
                    overflow_y="auto",
                    display="flex",
                    flex_direction=direction,
                    padding=me.Padding.all(pad),
                )
            ),
            me.box(style=me.Style(display="flex", flex_direction="column", gap=12)),
        ):
            if narrow and state.show_jobs:
                with me.box(style=st.card(narrow=True)):
                    job_list(state.jobs, state.transcript, state.job_filter)
            t = state.transcript
            if t.job_id:
                transcript_view(t, state.expanded, narrow=narrow)
            else:
                picker(state.workflows, state.selected, state.form, narrow=narrow)
        if state.transcript.job_id:
            t = state.transcript
            composer(t.pending, state.picks, t.status, narrow=narrow)


def _inbox_link(state: State) -> None:
    # Rendered on every page, like the live link, so its handler is always registered.
    signed_out = state.needs_token
    inbox_tick(
        socket_url="" if signed_out else f"{_browser_socket_base()}/inbox/ws",
        token=actions.browser_token(state),
        interval_ms=0 if signed_out else TICK_MS,
        on_tick=handlers.on_inbox_tick,
    )


def _inbox(state: State) -> None:
    with me.box(
        classes="aj-inbox-bar",
        style=me.Style(
            display="flex",
            justify_content="end",
            padding=me.Padding.symmetric(vertical=4, horizontal=16),
        ),
    ):
        inbox_button(state.inbox_count, handlers.on_toggle_inbox)
    if state.show_inbox:
        with me.box(classes="aj-inbox-panel", style=me.Style(padding=me.Padding.all(12))):
            inbox_list(state.inbox, state.inbox_count, handlers.on_open_request)


def _banners(state: State) -> None:
    if state.api_down:
        with me.box(
            classes="aj-unreachable",
            style=me.Style(
                background="#fff8e1",
                color="#6d4c00",
                padding=me.Padding.symmetric(vertical=10, horizontal=20),
                border=me.Border(bottom=me.BorderSide(width=1, style="solid", color="#ffe082")),
            ),
        ):
            me.text(state.api_problem or "The agentjobs API is unreachable. Retrying…")
            me.text(
                "Nothing is lost: jobs keep running, and this page catches up when it is back.",
                style=me.Style(font_size=13),
            )
    if state.notice:
        with me.box(
            classes="aj-notice",
            style=me.Style(
                background=st.ACCENT_SOFT,
                color=st.INK,
                padding=me.Padding.symmetric(vertical=8, horizontal=20),
            ),
        ):
            me.text(state.notice)


def _following(state: State) -> bool:
    t = state.transcript
    return bool(t.job_id) and not is_terminal_status(t.status)


def _waiting_for_api(state: State) -> bool:
    """Whether the page must poll: the API is down, or no worker has published a catalog."""
    return not state.needs_token and (state.api_down or not state.workflows)
