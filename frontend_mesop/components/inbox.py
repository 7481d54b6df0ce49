"""The inbox: a button with the count of requests waiting for this person, the list they open,
and the ticker that keeps the count fresh.

The count is live: ``<agentjobs-inbox-tick>`` (``inbox_tick.js``) holds the API's
``WS /inbox/ws``, which pushes the count whenever it changes, and hands each count to Mesop
(which then reads the list again). While that socket is down it asks Mesop to poll
``GET /inbox`` every ``TICK_MS`` instead; each dispatch is one short handler, so a lost one
costs one refresh and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mesop as me

from frontend_mesop import styles as st
from frontend_mesop.state import InboxRow

TICK_MS = 5000
"""How often the page refreshes the inbox count."""


@me.web_component(path="./inbox_tick.js")  # type: ignore[untyped-decorator]
def inbox_tick(
    *, socket_url: str, token: str, interval_ms: int, on_tick: Callable[[me.WebEvent], Any]
) -> Any:
    """The live count: ``on_tick`` with ``{count}`` from ``socket_url`` as it changes, or
    ``{}`` every ``interval_ms`` while the socket is down (0: never)."""
    return me.insert_web_component(
        name="agentjobs-inbox-tick",
        key="inbox-tick",
        events={"tickEvent": on_tick},
        properties={"socketUrl": socket_url, "token": token, "intervalMs": interval_ms},
    )


def inbox_button(count: int, on_click: Callable[[me.ClickEvent], Any]) -> None:
    """``Inbox (n)``: opens or closes the list."""
    label = f"Inbox ({count})" if count else "Inbox"
    me.button(label, key="inbox-toggle", on_click=on_click, type="stroked")


def inbox_list(rows: list[InboxRow], count: int, on_open: Callable[[me.ClickEvent], Any]) -> None:
    """The waiting requests, oldest first; a click opens the request's job."""
    with me.box(classes="aj-inbox", style=st.card(narrow=False)):
        me.text(
            f"Waiting for you: {count}",
            style=me.Style(font_weight=600, margin=me.Margin(bottom=8)),
        )
        if not rows:
            me.text("Nothing waits for you.", style=me.Style(color=st.MUTED))
        for row in rows:
            with me.box(
                key=f"inbox:{row.job_id}",
                on_click=on_open,
                style=me.Style(
                    cursor="pointer",
                    padding=me.Padding.symmetric(vertical=6),
                    border=me.Border(bottom=me.BorderSide(width=1, style="solid", color=st.LINE)),
                ),
            ):
                me.text(row.prompt)
                who = f" from {row.owner}" if row.owner else ""
                me.text(
                    f"{row.workflow}{who} · asked {row.asked} UTC",
                    style=me.Style(font_size=12, color=st.MUTED),
                )
