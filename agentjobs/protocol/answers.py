"""Which answers fit a request: the one rule the API, the test sink and clients share."""

from __future__ import annotations

from pydantic import ValidationError

from agentjobs.protocol.events import ApprovalDecision, InputRequest, MultipleChoice, TextInput


def answer_problem(request: InputRequest, value: object) -> str | None:
    """Why the API would refuse ``value`` as the answer to ``request``, or None if it fits.

    The arguments of an ``edit`` decision are checked against the tool's schema separately
    (``agentjobs.approvals.arguments_problem``): this module needs nothing but pydantic.
    """
    if isinstance(request, TextInput):
        return None if isinstance(value, str) else "a text_input answer must be a string"
    if not isinstance(request, MultipleChoice):
        return decision_problem(value)
    if request.single:
        if isinstance(value, str) and value in request.choices:
            return None
        return f"{value!r} is not one of the offered choices {request.choices}"
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return "this request takes several choices: give a list of them"
    missing = [item for item in value if item not in request.choices]
    return f"{missing} are not among the offered choices {request.choices}" if missing else None


def decision_problem(value: object) -> str | None:
    """Why ``value`` is not a tool-approval decision, or None when it is one."""
    try:
        decision = ApprovalDecision.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "value"
        return f"a tool_approval answer is a decision object: {where}: {first['msg']}"
    if decision.decision == "edit" and decision.arguments is None:
        return "an edit decision needs the arguments to run the tool with"
    if decision.decision != "edit" and decision.arguments is not None:
        return f"a {decision.decision} decision takes no arguments (use decision 'edit')"
    return None
