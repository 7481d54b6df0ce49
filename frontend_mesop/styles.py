"""The page's look in one place: colours, status tones and the few shared box styles.

System fonts only: Mesop's icon font and any web font would be a request outside the
deployment.
"""

from __future__ import annotations

import zlib

import mesop as me

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace"

INK = "#1f2933"
MUTED = "#616e7c"
LINE = "#e4e7eb"
PAGE = "#f5f7fa"
CARD = "#ffffff"
ACCENT = "#3949ab"
ACCENT_SOFT = "#e8eaf6"

NARROW_PX = 760
"""Below this width the job list folds away behind a button and the layout is one column."""

STATUS_COLOURS: dict[str, tuple[str, str]] = {
    # status: (text, background)
    "queued": ("#52606d", "#e4e7eb"),
    "running": ("#0b69a3", "#e3f2fd"),
    "awaiting_input": ("#8d5b00", "#fff4d6"),
    "succeeded": ("#1b7340", "#e3f9e5"),
    "failed": ("#ab091e", "#ffe3e3"),
    "cancelled": ("#52606d", "#eceff1"),
}
STATUS_LABELS = {
    "queued": "Queued",
    "running": "Running",
    "awaiting_input": "Waiting for you",
    "succeeded": "Finished",
    "failed": "Failed",
    "cancelled": "Cancelled",
}

_SENDER_COLOURS = ("#3949ab", "#00796b", "#8e24aa", "#c62828", "#ef6c00", "#2e7d32", "#0277bd")


def sender_colour(sender: str) -> str:
    """A stable colour per sender name, so each agent keeps its colour across reloads."""
    return _SENDER_COLOURS[zlib.crc32(sender.encode()) % len(_SENDER_COLOURS)]


def badge(status: str) -> me.Style:
    """The pill that shows a job's status."""
    fg, bg = STATUS_COLOURS.get(status, (MUTED, LINE))
    return me.Style(
        color=fg,
        background=bg,
        border_radius=999,
        padding=me.Padding.symmetric(vertical=2, horizontal=10),
        font_size=12,
        font_weight=600,
        white_space="nowrap",
    )


def card(*, narrow: bool = False) -> me.Style:
    """A white rounded panel."""
    return me.Style(
        background=CARD,
        border=me.Border.all(me.BorderSide(width=1, style="solid", color=LINE)),
        border_radius=12,
        padding=me.Padding.all(12 if narrow else 16),
    )


def chip(*, selected: bool = False) -> me.Style:
    """A suggestion or choice chip."""
    return me.Style(
        border=me.Border.all(me.BorderSide(width=1, style="solid", color=ACCENT)),
        border_radius=999,
        padding=me.Padding.symmetric(vertical=6, horizontal=14),
        background=ACCENT if selected else ACCENT_SOFT,
        color="#fff" if selected else ACCENT,
        cursor="pointer",
        font_size=14,
    )
