"""The list of this person's jobs with status and time; clicking one re-attaches to it."""

from __future__ import annotations

import mesop as me

from frontend_mesop import handlers
from frontend_mesop import styles as st
from frontend_mesop.state import JobRow
from frontend_mesop.transcript import Transcript


def job_list(jobs: list[JobRow], attached: Transcript) -> None:
    """Newest first; the attached job is highlighted and shows the header's status."""
    with me.box(classes="aj-jobs", style=me.Style(display="flex", flex_direction="column", gap=6)):
        me.text(
            "Your jobs", style=me.Style(font_weight=700, color=st.INK, margin=me.Margin(bottom=4))
        )
        if not jobs:
            me.text("None yet.", style=me.Style(color=st.MUTED, font_size=13))
        for job in jobs:
            here = job.job_id == attached.job_id
            if here and attached.status:
                # The list is fetched now and then; the transcript is live: one status for both.
                job = JobRow(job.job_id, job.workflow, attached.status, job.created)
            _row(job, here)


def _row(job: JobRow, here: bool) -> None:
    with me.box(
        key=f"job:{job.job_id}",
        on_click=handlers.on_open_job,
        classes="aj-job" + (" aj-job-current" if here else ""),
        style=me.Style(
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
