"""Validating a job's params against the JSON schema its workflow published."""

from __future__ import annotations

import ast
from typing import Any

from jsonschema import Draft202012Validator


def params_errors(schema: dict[str, Any], params: dict[str, Any]) -> list[dict[str, Any]]:
    """FastAPI-style error items (``loc``, ``msg``, ``type``), one per violation; empty if valid."""
    validator = Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(params), key=lambda e: list(e.absolute_path))
    return [
        {
            "loc": ["body", "params", *error.absolute_path, *_missing_field(error)],
            "msg": error.message,
            "type": f"schema.{error.validator}",
        }
        for error in errors
    ]


def _missing_field(error: Any) -> list[str]:
    """Name the missing property itself for ``required`` errors, not just its parent."""
    if error.validator == "required":
        # jsonschema words it as f"{name!r} is a required property".
        return [ast.literal_eval(error.message.removesuffix(" is a required property"))]
    return []
