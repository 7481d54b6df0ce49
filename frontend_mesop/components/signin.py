"""The sign-in screen, shown once when the API answers 401: it asks for a bearer token."""

from __future__ import annotations

import mesop as me

from frontend_mesop import handlers
from frontend_mesop import styles as st


def sign_in(error: str, api_url: str) -> None:
    """A small centred card with one password box."""
    with (
        me.box(
            style=me.Style(display="flex", justify_content="center", padding=me.Padding.all(24))
        ),
        me.box(classes="aj-sign-in", style=me.Style(max_width=420, width="100%")),
        me.box(style=st.card()),
    ):
        me.text("Sign in", type="headline-5", style=me.Style(margin=me.Margin(bottom=8)))
        me.text(
            f"The agentjobs API at {api_url} needs a token. Ask whoever runs it for yours.",
            style=me.Style(color=st.MUTED, margin=me.Margin(bottom=12)),
        )
        me.input(
            label="API token",
            type="password",
            key="token",
            on_blur=handlers.on_token_blur,
            on_enter=handlers.on_token_enter,
            appearance="outline",
            style=me.Style(width="100%"),
        )
        if error:
            with me.box(classes="aj-sign-in-error"):
                me.text(error, style=me.Style(color="#ab091e", margin=me.Margin(bottom=8)))
        me.button("Sign in", on_click=handlers.on_sign_in, type="flat", color="primary")
