"""The transcript: each event type styled for what it is, newest at the bottom.

Every item carries the CSS classes ``aj-item aj-<kind>`` (and its sender and body their own),
which the browser tests read; the look itself is inline styles.
"""

from __future__ import annotations

import mesop as me

from frontend_mesop import handlers
from frontend_mesop import styles as st
from frontend_mesop.transcript import Item, Transcript


def transcript_view(t: Transcript, expanded: list[str], *, narrow: bool) -> None:
    """All items of the transcript, in order."""
    with me.box(
        classes="aj-transcript", style=me.Style(display="flex", flex_direction="column", gap=10)
    ):
        if t.dropped:
            me.text(
                f"{t.dropped} earlier events are not shown here.",
                style=me.Style(color=st.MUTED, font_size=12, text_align="center"),
            )
        for item in t.items:
            _item(item, item.id in expanded, narrow=narrow)


def _item(item: Item, open_: bool, *, narrow: bool) -> None:
    if item.kind in ("message", "stream", "question"):
        _bubble(item, narrow=narrow)
    elif item.kind == "answer":
        _answer(item, narrow=narrow)
    elif item.kind in ("tool_call", "tool_result"):
        _tool(item, open_)
    elif item.kind == "progress":
        _progress(item)
    elif item.kind == "error":
        _error(item)
    elif item.kind == "final":
        final_banner(item)
    else:
        with me.box(classes="aj-item aj-status", style=me.Style(text_align="center")):
            me.text(item.text, style=me.Style(color=st.MUTED, font_size=12))


def _bubble(item: Item, *, narrow: bool) -> None:
    colour = st.sender_colour(item.sender)
    background = "#fffbea" if item.kind == "question" else st.CARD
    with me.box(
        classes=f"aj-item aj-{item.kind}",
        style=me.Style(
            background=background,
            border=me.Border(left=me.BorderSide(width=4, style="solid", color=colour)),
            border_radius=10,
            padding=me.Padding.symmetric(vertical=8, horizontal=12 if narrow else 16),
            max_width="100%" if narrow else "85%",
            box_shadow="0 1px 2px rgba(0,0,0,.06)",
        ),
    ):
        suffix = (
            " is typing…" if item.kind == "stream" else (" asks" if item.kind == "question" else "")
        )
        with me.box(style=me.Style(display="flex", gap=4, align_items="baseline")):
            with me.box(classes="aj-sender"):
                me.text(
                    item.sender or "workflow",
                    style=me.Style(color=colour, font_weight=700, font_size=13),
                )
            if suffix:
                me.text(suffix, style=me.Style(color=st.MUTED, font_size=12, font_style="italic"))
        with me.box(classes="aj-body", style=me.Style(overflow_wrap="anywhere")):
            me.markdown(chat_markdown(item.text))


def chat_markdown(text: str) -> str:
    """Markdown that keeps a chat message's single line breaks (plain Markdown joins them).

    Agents write lists and plans one line at a time; lines inside code fences stay as written.
    """
    lines: list[str] = []
    fenced = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        lines.append(line if fenced or not line.strip() else line + "  ")
    return "\n".join(lines)


def _answer(item: Item, *, narrow: bool) -> None:
    with (
        me.box(style=me.Style(display="flex", justify_content="end")),
        me.box(
            classes="aj-item aj-answer",
            style=me.Style(
                background=st.ACCENT,
                color="#fff",
                border_radius=10,
                padding=me.Padding.symmetric(vertical=8, horizontal=14),
                max_width="100%" if narrow else "75%",
                overflow_wrap="anywhere",
            ),
        ),
        me.box(classes="aj-body"),
    ):
        me.text(item.text)


def _tool(item: Item, open_: bool) -> None:
    is_call = item.kind == "tool_call"
    failed = item.tone == "error"
    label = (
        f"{item.sender} called {item.text}"
        if is_call
        else f"{item.text} {'failed' if failed else 'returned'}"
    )
    with me.box(
        key=f"block:{item.id}",
        on_click=handlers.on_toggle_block,
        classes=f"aj-item aj-{item.kind}",
        style=me.Style(
            background="#fff5f5" if failed else "#f0f4f8",
            border_radius=8,
            padding=me.Padding.symmetric(vertical=6, horizontal=12),
            cursor="pointer",
            font_size=13,
            color="#ab091e" if failed else st.MUTED,
        ),
    ):
        me.text(("▾ " if open_ else "▸ ") + ("⚙ " if is_call else "↩ ") + label)
        if open_:
            with me.box(classes="aj-detail"):
                me.text(
                    item.detail,
                    style=me.Style(
                        font_family=st.MONO,
                        font_size=12,
                        white_space="pre-wrap",
                        overflow_wrap="anywhere",
                        color=st.INK,
                        margin=me.Margin(top=6),
                    ),
                )


def _progress(item: Item) -> None:
    with me.box(classes="aj-item aj-progress", style=me.Style(color=st.MUTED, font_size=13)):
        me.text(item.text)
        if item.fraction >= 0:
            me.progress_bar(mode="determinate", value=item.fraction * 100)


def _error(item: Item) -> None:
    with me.box(
        classes="aj-item aj-error",
        style=me.Style(
            background="#ffe3e3",
            color="#8a041a",
            border_radius=8,
            padding=me.Padding.symmetric(vertical=8, horizontal=12),
        ),
    ):
        me.text(item.text, style=me.Style(font_weight=600))
        if item.detail:
            me.text(item.detail, style=me.Style(font_size=13, white_space="pre-wrap"))


def final_banner(item: Item) -> None:
    """The job's end: its result, why it failed, or that it was cancelled."""
    fg, bg = st.STATUS_COLOURS.get(item.tone, (st.INK, st.LINE))
    title = {"succeeded": "Finished", "failed": "Failed", "cancelled": "Cancelled"}.get(
        item.tone, "Ended"
    )
    with me.box(
        classes=f"aj-item aj-final aj-final-{item.tone}",
        style=me.Style(
            background=bg,
            color=fg,
            border=me.Border.all(me.BorderSide(width=1, style="solid", color=fg)),
            border_radius=12,
            padding=me.Padding.all(14),
            margin=me.Margin(top=6),
        ),
    ):
        me.text(title, style=me.Style(font_weight=700, font_size=16))
        with me.box(classes="aj-body", style=me.Style(color=st.INK, overflow_wrap="anywhere")):
            me.markdown(chat_markdown(item.text))
        if item.detail:
            me.text(item.detail, style=me.Style(font_size=13, white_space="pre-wrap"))
