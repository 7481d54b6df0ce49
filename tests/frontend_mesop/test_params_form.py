"""Params forms from a workflow's JSON schema, and typed values back from the filled form."""

from __future__ import annotations

from enum import StrEnum

import pytest
from pydantic import BaseModel, Field

from frontend_mesop.params_form import FormError, form_fields, form_values


class Mode(StrEnum):
    FAST = "fast"
    SLOW = "slow"


class Params(BaseModel):
    turns: int = Field(default=4, ge=2, le=10, description="How many messages.")
    topic: str
    ratio: float = 0.5
    loud: bool = False
    mode: Mode = Mode.FAST
    tags: list[str] = Field(default_factory=list)


def test_fields_follow_the_schema() -> None:
    fields = {f.name: f for f in form_fields(Params.model_json_schema())}
    assert list(fields) == ["turns", "topic", "ratio", "loud", "mode"]  # lists are left out
    turns = fields["turns"]
    assert (turns.kind, turns.default, turns.label) == ("integer", "4", "Turns")
    assert turns.hint == "How many messages. (min 2, max 10)"
    assert fields["topic"].required and not turns.required
    assert (fields["loud"].kind, fields["loud"].default) == ("boolean", "false")
    assert (fields["mode"].kind, fields["mode"].options) == ("enum", ["fast", "slow"])


def test_values_are_typed_and_blanks_left_to_defaults() -> None:
    fields = form_fields(Params.model_json_schema())
    raw = {"turns": " 6 ", "topic": "primes", "ratio": "", "loud": "true", "mode": "slow"}
    assert form_values(fields, raw) == {
        "turns": 6,
        "topic": "primes",
        "loud": True,
        "mode": "slow",
    }
    assert Params.model_validate(form_values(fields, raw)).turns == 6


def test_bad_values_name_their_field() -> None:
    fields = form_fields(Params.model_json_schema())
    with pytest.raises(FormError, match="Turns must be a whole number"):
        form_values(fields, {"turns": "four", "topic": "x"})
    with pytest.raises(FormError, match="Topic is required"):
        form_values(fields, {"topic": " "})


def test_a_workflow_without_params_has_no_fields() -> None:
    class NoParams(BaseModel):
        pass

    assert form_fields(NoParams.model_json_schema()) == []
    assert form_values([], {}) == {}
