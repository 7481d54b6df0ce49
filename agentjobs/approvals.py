"""Tool approvals: a tool's arguments and their schema, checking edited arguments, and what the
agent is told when a human rejects a call (``JobUI.tool(func, approval=True)`` asks)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal

import jsonschema
from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from agentjobs.protocol import ApprovalDecision

DefaultDecision = ApprovalDecision | Literal["approve", "reject"] | Mapping[str, Any]
"""What a workflow may give as an approval's ``default``: a decision, or its short form."""


def arguments_model(func: Callable[..., Any]) -> type[BaseModel]:
    """A pydantic model of ``func``'s parameters (the edited arguments are validated by it)."""
    hints = typing.get_type_hints(func)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        default = ... if param.default is param.empty else param.default
        fields[name] = (hints.get(name, Any), default)
    return create_model(
        f"{func.__name__}_arguments", __config__=ConfigDict(extra="forbid"), **fields
    )


def bound_arguments(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """The call's arguments by parameter name (how a human sees and edits them)."""
    bound = inspect.signature(func).bind(*args, **kwargs)
    return dict(bound.arguments)


def arguments_problem(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> str | None:
    """Why ``arguments`` do not fit the tool's JSON ``schema`` (naming the field), or None."""
    if not schema:
        return None
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(dict(arguments)))
    if error is None:
        return None
    where = ".".join(str(part) for part in error.absolute_path)
    if not where and error.validator == "required":
        where = str(error.message).split("'")[1] if "'" in error.message else ""
    field = f"arguments.{where}" if where else "arguments"
    return f"{field}: {error.message}"


def decision_of(value: Any) -> ApprovalDecision:
    """The answer to a ``tool_approval`` as a decision (the API checked its shape)."""
    return ApprovalDecision.model_validate(value)


def default_decision(default: DefaultDecision | None) -> ApprovalDecision | None:
    """A workflow's ``default=`` for an approval as a decision (``"approve"`` is short for
    ``{"decision": "approve"}``)."""
    if default is None or isinstance(default, ApprovalDecision):
        return default
    if isinstance(default, str):
        return ApprovalDecision(decision=default)
    return ApprovalDecision.model_validate(dict(default))


def edited_arguments(model: type[BaseModel], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The edited arguments as the tool receives them; raises ``ValueError`` if they do not fit
    (the API checks them first: this is for sinks that do not)."""
    try:
        parsed = model.model_validate(dict(arguments))
    except ValidationError as exc:
        raise ValueError(f"edited arguments do not fit the tool: {exc}") from exc
    return {name: getattr(parsed, name) for name in type(parsed).model_fields}


def refusal(tool: str, decision: ApprovalDecision) -> str:
    """What the agent gets instead of the tool's result when a human rejects the call."""
    why = f": {decision.reason}" if decision.reason else " (no reason given)"
    return (
        f"The call to {tool} was rejected by a human reviewer{why}. The tool did not run; "
        "do not call it again with the same arguments."
    )


def approval_schema(arguments_schema: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a ``tool_approval``'s answer (for clients that render forms from
    one): a decision, a reason, and for an edit the arguments as the tool's schema has them."""
    return {
        "type": "object",
        "properties": {
            "decision": {"type": "string", "enum": ["approve", "reject", "edit"]},
            "reason": {"type": "string"},
            "arguments": dict(arguments_schema) or {"type": "object"},
        },
        "required": ["decision"],
        "additionalProperties": False,
    }
