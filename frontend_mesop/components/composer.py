"""The answer area: a text box bound to the pending text_input, buttons for a choice, or a tool
call's arguments with Approve / Reject / Edit.

With nothing pending the box stays visible but disabled, so the layout does not jump and the
person sees why they cannot type.
"""

from __future__ import annotations

import mesop as me

from frontend_mesop import handlers
from frontend_mesop import styles as st
from frontend_mesop.transcript import Pending, is_terminal_status


def composer(pending: Pending, picks: list[str], status: str, *, narrow: bool) -> None:
    """The box under the transcript."""
    with me.box(
        classes="aj-composer",
        style=me.Style(
            border=me.Border(top=me.BorderSide(width=1, style="solid", color=st.LINE)),
            background=st.CARD,
            padding=me.Padding.symmetric(vertical=10, horizontal=10 if narrow else 16),
        ),
    ):
        if pending.kind == "multiple_choice":
            _choices(pending, picks)
        elif pending.kind == "tool_approval":
            _approval(pending)
        else:
            _text_box(pending, status)


def _text_box(pending: Pending, status: str) -> None:
    asking = pending.kind == "text_input"
    if asking and pending.suggestions:
        with me.box(
            style=me.Style(display="flex", flex_wrap="wrap", gap=8, margin=me.Margin(bottom=8))
        ):
            for suggestion in pending.suggestions:
                with me.box(
                    key=f"suggest:{suggestion}", on_click=handlers.on_chip, style=st.chip()
                ):
                    me.text(suggestion)
    if asking:
        placeholder = pending.prompt
    elif is_terminal_status(status):
        placeholder = "This job has ended."
    else:
        placeholder = "The agents are working; you can answer when they ask."
    with me.box(style=me.Style(display="flex", gap=8, align_items="center")):
        with me.box(style=me.Style(flex_grow=1, min_width=0)):
            me.input(
                # A new key per question gives each question a fresh, empty box.
                key=f"answer:{pending.request_id or 'none'}",
                label="Your answer",
                float_label="always",  # so the placeholder says why the box is disabled
                placeholder=placeholder,
                type="password" if pending.password else "text",
                disabled=not asking,
                appearance="outline",
                on_blur=handlers.on_draft_blur,
                on_enter=handlers.on_draft_enter,
                subscript_sizing="dynamic",
                style=me.Style(width="100%"),
            )
        me.button(
            "Send", on_click=handlers.on_send, type="flat", color="primary", disabled=not asking
        )


def _choices(pending: Pending, picks: list[str]) -> None:
    me.text(pending.prompt, style=me.Style(font_weight=600, margin=me.Margin(bottom=8)))
    with me.box(style=me.Style(display="flex", flex_wrap="wrap", gap=8)):
        for choice in pending.choices:
            if pending.single:
                label = f"{choice} (suggested)" if choice == pending.default else choice
                me.button(label, key=f"choice:{choice}", on_click=handlers.on_chip, type="stroked")
            else:
                ticked = choice in picks
                with me.box(
                    key=f"pick:{choice}", on_click=handlers.on_pick, style=st.chip(selected=ticked)
                ):
                    me.text(("✓ " if ticked else "") + choice)
        if not pending.single:
            me.button(
                "Send choices",
                on_click=handlers.on_submit_picks,
                type="flat",
                color="primary",
                disabled=not picks,
            )


def _approval(pending: Pending) -> None:
    me.text(pending.prompt, style=me.Style(font_weight=600, margin=me.Margin(bottom=8)))
    with me.box(style=me.Style(display="flex", gap=8, align_items="center", flex_wrap="wrap")):
        me.button(
            "Approve", key="approve", on_click=handlers.on_approve, type="flat", color="primary"
        )
        me.input(
            key=f"reason:{pending.request_id}",
            label="Reason (for Reject)",
            appearance="outline",
            on_blur=handlers.on_reason_blur,
            subscript_sizing="dynamic",
        )
        me.button("Reject", key="reject", on_click=handlers.on_reject, type="stroked")
    with me.box(style=me.Style(display="flex", gap=8, align_items="center")):
        with me.box(style=me.Style(flex_grow=1, min_width=0)):
            me.textarea(
                key=f"arguments:{pending.request_id}",
                label=f"Arguments of {pending.tool} (JSON): edit them, then Edit and run",
                value=pending.arguments,
                appearance="outline",
                on_blur=handlers.on_draft_blur,
                subscript_sizing="dynamic",
                style=me.Style(width="100%", font_family="monospace"),
            )
        me.button("Edit and run", key="edit", on_click=handlers.on_edit, type="stroked")
