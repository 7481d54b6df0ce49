"""A workflow's params JSON schema as form fields, and the typed values a filled form sends.

Only flat schemas of scalars and enums become fields (what pydantic emits for a simple params
model); anything else is left to the workflow's defaults. Pure, so it is unit-tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_SCALARS = ("string", "integer", "number", "boolean")


@dataclass
class FormField:
    """One input of the params form."""

    name: str = ""
    label: str = ""
    kind: str = "string"
    """string, integer, number, boolean or enum."""
    hint: str = ""
    default: str = ""
    """The default as the input shows it."""
    required: bool = False
    options: list[str] = field(default_factory=list)


def form_fields(schema: dict[str, Any]) -> list[FormField]:
    """The fields of a params schema, in its property order."""
    required = set(schema.get("required", []))
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        kind = _kind(prop, schema.get("$defs", {}))
        if kind is None:
            continue
        fields.append(
            FormField(
                name=name,
                label=str(prop.get("title") or name.replace("_", " ").capitalize()),
                kind=kind,
                hint=_hint(prop),
                default=_as_text(prop.get("default")),
                required=name in required,
                options=[str(v) for v in _enum(prop, schema.get("$defs", {}))],
            )
        )
    return fields


def _kind(prop: dict[str, Any], defs: dict[str, Any]) -> str | None:
    if _enum(prop, defs):
        return "enum"
    kind = prop.get("type")
    return kind if kind in _SCALARS else None


def _enum(prop: dict[str, Any], defs: dict[str, Any]) -> list[Any]:
    if "enum" in prop:
        return list(prop["enum"])
    ref = prop.get("$ref") or next(
        (p.get("$ref") for p in prop.get("allOf", []) if "$ref" in p), None
    )
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return list(defs.get(ref.removeprefix("#/$defs/"), {}).get("enum", []))
    return []


def _hint(prop: dict[str, Any]) -> str:
    parts = [str(prop["description"])] if prop.get("description") else []
    bounds = [
        f"{word} {prop[key]}"
        for key, word in (("minimum", "min"), ("maximum", "max"))
        if key in prop
    ]
    if bounds:
        parts.append("(" + ", ".join(bounds) + ")")
    return " ".join(parts)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class FormError(ValueError):
    """A value the user typed does not fit its field."""


def form_values(fields: list[FormField], raw: dict[str, str]) -> dict[str, Any]:
    """Typed params from the form's text values; blank fields are left to the defaults."""
    params: dict[str, Any] = {}
    for f in fields:
        text = raw.get(f.name, f.default).strip()
        if not text:
            if f.required:
                raise FormError(f"{f.label} is required")
            continue
        params[f.name] = _convert(f, text)
    return params


def _convert(f: FormField, text: str) -> Any:
    try:
        if f.kind == "integer":
            return int(text)
        if f.kind == "number":
            return float(text)
    except ValueError as exc:
        raise FormError(
            f"{f.label} must be a {'whole ' if f.kind == 'integer' else ''}number"
        ) from exc
    if f.kind == "boolean":
        return text.lower() in ("true", "1", "yes", "on")
    return text
