"""How agent text becomes Markdown in the transcript."""

from __future__ import annotations

from frontend_mesop.components.transcript_view import chat_markdown


def test_single_line_breaks_are_kept_outside_code_fences() -> None:
    text = "Plan:\nDay 1: walk\nDay 2: rest\n\n```\nx = 1\ny = 2\n```"
    assert chat_markdown(text) == (
        "Plan:  \nDay 1: walk  \nDay 2: rest  \n\n```\nx = 1\ny = 2\n```  "
    )
