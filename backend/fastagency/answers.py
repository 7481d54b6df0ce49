"""A FastAgency client's bare-string answer, read as the value its question takes."""

from __future__ import annotations

from agentjobs.protocol import AnswerValue, InputRequest, MultipleChoice, ToolApproval

APPROVE, REJECT = "approve", "reject"
"""The choices a tool approval offers a FastAgency client (it has no approval frame)."""


def answer_value(request: InputRequest, text: str) -> AnswerValue:
    """A bare-string answer as the value the request takes.

    FastAgency joins the labels of a multi-select with ``","``; an empty answer to a choice
    picks its default when there is one. A tool approval's choice is its decision (any other
    text rejects the call, with the text as the reason).
    """
    if isinstance(request, ToolApproval):
        if text.strip() == APPROVE:
            return {"decision": APPROVE}
        reason = text.strip() if text.strip() not in ("", REJECT) else "rejected in the chat"
        return {"decision": REJECT, "reason": reason}
    if not isinstance(request, MultipleChoice):
        return text
    if not text.strip() and request.default is not None:
        return request.default if request.single else [request.default]
    if request.single:
        return text
    if text in request.choices:  # one label that itself contains a comma
        return [text]
    return [part.strip() for part in text.split(",") if part.strip()]
