"""The list of this person's jobs: a status filter, each job with status and time, and a way
to remove a finished one; clicking a job re-attaches to it."""

from __future__ import annotations

import mesop as me

from frontend_mesop import handlers
from frontend_mesop import styles as st
from frontend_mesop.state import JOB_FILTERS, JobRow
from frontend_mesop.transcript import Transcript, is_terminal_status


def job_list(jobs: list[JobRow], attached: Transcript, job_filter: str) -> None:
    """Newest first; the attached job is highlighted and shows the header's status."""
    with me.box(classes="aj-jobs", style=me.Style(display="flex", flex_direction="column", gap=6)):
        me.text(
            "Your jobs", style=me.Style(font_weight=700, color=st.INK, margin=me.Margin(bottom=4))
        )
        _filters(job_filter)
        if not jobs:
            me.text(
                "None yet." if not job_filter else "None in this list.",
                style=me.Style(color=st.MUTED, font_size=13),
            )
        for job in jobs:
            here = job.job_id == attached.job_id
            if here and attached.status:
                # The list is fetched now and then; the transcript is live: one status for both.
                job = JobRow(job.job_id, job.workflow, attached.status, job.created)
            _row(job, here)


def _filters(current: str) -> None:
    with me.box(
        classes="aj-job-filters",
        style=me.Style(display="flex", flex_wrap="wrap", gap=4, margin=me.Margin(bottom=4)),
    ):
        for value, label in JOB_FILTERS.items():
            chosen = value == current
            with me.box(
                key=f"jobfilter:{value}",
                on_click=handlers.on_job_filter,
                classes="aj-job-filter" + (" aj-job-filter-current" if chosen else ""),
                style=me.Style(
                    border=me.Border.all(me.BorderSide(width=1, style="solid", color=st.ACCENT)),
                    border_radius=999,
                    padding=me.Padding.symmetric(vertical=2, horizontal=8),
                    background=st.ACCENT if chosen else st.CARD,
                    color="#fff" if chosen else st.ACCENT,
                    cursor="pointer",
                    font_size=12,
                ),
            ):
                me.text(label)


def _row(job: JobRow, here: bool) -> None:
    with me.box(classes="aj-job-row", style=me.Style(display="flex", gap=4, align_items="stretch")):
        _card(job, here)
        if is_terminal_status(job.status):
            # Beside the card, not in it: a click inside the card would also open the job.
            with me.box(
                key=f"removejob:{job.job_id}",
                on_click=handlers.on_remove_job,
                classes="aj-job-remove",
                style=me.Style(
                    display="flex",
                    align_items="center",
                    padding=me.Padding.symmetric(horizontal=6),
                    color=st.MUTED,
                    cursor="pointer",
                    font_size=16,
                    border_radius=8,
                ),
            ):
                me.text("✕")


def _card(job: JobRow, here: bool) -> None:
    with me.box(
        key=f"job:{job.job_id}",
        on_click=handlers.on_open_job,
        classes="aj-job" + (" aj-job-current" if here else ""),
        style=me.Style(
            flex_grow=1,
            min_width=0,
            background=st.ACCENT_SOFT if here else st.CARD,
            border=me.Border.all(
                me.BorderSide(width=1, style="solid", color=st.ACCENT if here else st.LINE)
            ),
            border_radius=8,
            padding=me.Padding.symmetric(vertical=8, horizontal=10),
            cursor="pointer",
        ),
    ):
        me.text(
            job.workflow,
            style=me.Style(font_weight=600, font_size=14, overflow_wrap="break-word"),
        )
        with me.box(
            style=me.Style(
                display="flex",
                flex_wrap="wrap",
                gap=6,
                align_items="center",
                margin=me.Margin(top=4),
            )
        ):
            me.text(st.STATUS_LABELS.get(job.status, job.status), style=st.badge(job.status))
            me.text(
                f"{job.created} · {job.job_id[:8]}", style=me.Style(color=st.MUTED, font_size=12)
            )
