"""Which answers fit a request: the one rule the API, the test sink and clients share."""

from __future__ import annotations

from agentjobs.protocol.events import InputRequest, MultipleChoice


def answer_problem(request: InputRequest, value: object) -> str | None:
    """Why the API would refuse ``value`` as the answer to ``request``, or None if it fits."""
    if not isinstance(request, MultipleChoice):
        return None if isinstance(value, str) else "a text_input answer must be a string"
    if request.single:
        if isinstance(value, str) and value in request.choices:
            return None
        return f"{value!r} is not one of the offered choices {request.choices}"
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "this request takes several choices: give a list of them"
    missing = [item for item in value if item not in request.choices]
    return f"{missing} are not among the offered choices {request.choices}" if missing else None
