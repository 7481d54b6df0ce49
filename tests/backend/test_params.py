"""Unit tests for ``backend.params.params_errors`` against pydantic-generated schemas."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from backend.params import params_errors


class Traveller(BaseModel):
    name: str
    age: int = Field(ge=0, le=130)


class TripParams(BaseModel):
    destination: str
    days: int = Field(default=3, ge=1, le=30)
    lead: Traveller
    tags: list[str] = Field(default_factory=list)


SCHEMA: dict[str, Any] = TripParams.model_json_schema()

VALID: dict[str, Any] = {
    "destination": "Lisbon",
    "days": 4,
    "lead": {"name": "Ana", "age": 34},
    "tags": ["food"],
}


_DROP = object()


def _with(**changes: Any) -> dict[str, Any]:
    params = {**VALID, **changes}
    return {k: v for k, v in params.items() if v is not _DROP}


def _locs(errors: list[dict[str, Any]]) -> list[list[Any]]:
    return [e["loc"] for e in errors]


def test_schema_uses_a_ref_for_the_nested_model() -> None:
    # Guards the premise of the nested tests: the validator must resolve ``$defs``.
    assert "$defs" in SCHEMA
    assert "Traveller" in SCHEMA["$defs"]


def test_valid_params_have_no_errors() -> None:
    assert params_errors(SCHEMA, VALID) == []


def test_defaults_may_be_omitted() -> None:
    assert params_errors(SCHEMA, {"destination": "Porto", "lead": {"name": "Rui", "age": 0}}) == []


def test_wrong_type() -> None:
    errors = params_errors(SCHEMA, _with(days="four"))
    assert len(errors) == 1
    assert errors[0]["loc"] == ["body", "params", "days"]
    assert errors[0]["type"] == "schema.type"
    assert "four" in errors[0]["msg"]


@pytest.mark.parametrize(
    ("days", "kind"), [(0, "schema.minimum"), (31, "schema.maximum")], ids=["below", "above"]
)
def test_int_bounds(days: int, kind: str) -> None:
    errors = params_errors(SCHEMA, _with(days=days))
    assert [(e["loc"], e["type"]) for e in errors] == [(["body", "params", "days"], kind)]


@pytest.mark.parametrize("days", [1, 30])
def test_int_bounds_are_inclusive(days: int) -> None:
    assert params_errors(SCHEMA, _with(days=days)) == []


def test_missing_required_names_the_field() -> None:
    errors = params_errors(SCHEMA, _with(destination=_DROP))
    assert len(errors) == 1
    assert errors[0]["loc"] == ["body", "params", "destination"]
    assert errors[0]["type"] == "schema.required"


def test_nested_wrong_type_has_nested_path() -> None:
    errors = params_errors(SCHEMA, _with(lead={"name": "Ana", "age": "old"}))
    assert _locs(errors) == [["body", "params", "lead", "age"]]
    assert errors[0]["type"] == "schema.type"


def test_nested_missing_required_has_nested_path() -> None:
    errors = params_errors(SCHEMA, _with(lead={"age": 40}))
    assert _locs(errors) == [["body", "params", "lead", "name"]]
    assert errors[0]["type"] == "schema.required"


def test_nested_out_of_range() -> None:
    errors = params_errors(SCHEMA, _with(lead={"name": "Ana", "age": 131}))
    assert _locs(errors) == [["body", "params", "lead", "age"]]
    assert errors[0]["type"] == "schema.maximum"


def test_array_item_error_has_index_in_path() -> None:
    errors = params_errors(SCHEMA, _with(tags=["ok", 5]))
    assert _locs(errors) == [["body", "params", "tags", 1]]


def test_several_errors_are_all_reported_in_path_order() -> None:
    params = {"days": 99, "lead": {"name": 1, "age": -1}}
    errors = params_errors(SCHEMA, params)
    assert _locs(errors) == [
        ["body", "params", "destination"],
        ["body", "params", "days"],
        ["body", "params", "lead", "age"],
        ["body", "params", "lead", "name"],
    ]
    assert all(set(e) == {"loc", "msg", "type"} for e in errors)


class Licence(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    holder: str = Field(alias="driver's name")


def test_missing_required_field_with_apostrophe() -> None:
    errors = params_errors(Licence.model_json_schema(), {})
    assert errors[0]["loc"] == ["body", "params", "driver's name"]
