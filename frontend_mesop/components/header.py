"""The top bar: the app's name, the attached job's status badge, its model use (tokens, cost)
and its Cancel button."""

from __future__ import annotations

import mesop as me

from frontend_mesop import handlers
from frontend_mesop import styles as st
from frontend_mesop.transcript import Transcript, is_terminal_status


def header(t: Transcript, *, narrow: bool, show_jobs_button: bool) -> None:
    """One row; wraps in a narrow window."""
    with me.box(
        classes="aj-header",
        style=me.Style(
            display="flex",
            flex_wrap="wrap",
            align_items="center",
            gap=8,
            padding=me.Padding.symmetric(vertical=10, horizontal=12 if narrow else 20),
            background=st.CARD,
            border=me.Border(bottom=me.BorderSide(width=1, style="solid", color=st.LINE)),
        ),
    ):
        me.text("agentjobs", style=me.Style(font_weight=800, font_size=18, color=st.ACCENT))
        if t.job_id:
            me.text(t.workflow, style=me.Style(color=st.INK, font_weight=600))
            with me.box(classes=f"aj-status-badge aj-status-{t.status}"):
                me.text(st.STATUS_LABELS.get(t.status, t.status or "…"), style=st.badge(t.status))
            if t.usage:
                with me.box(classes="aj-usage"):
                    me.text(t.usage, style=me.Style(color=st.MUTED, font_size=13))
        me.box(style=me.Style(flex_grow=1))
        if t.job_id and not is_terminal_status(t.status):
            me.button("Cancel", on_click=handlers.on_cancel, type="stroked", color="warn")
        if t.job_id:
            me.button("New chat", on_click=handlers.on_new_chat, type="stroked")
        if show_jobs_button:
            me.button("Jobs", on_click=handlers.on_toggle_jobs, type="stroked")
