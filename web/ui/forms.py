"""A state's JSON Schema ``form`` as HTML fields, and a submitted HTML form back as
the JSON the engine validates.

The page never decides what is valid: it converts what a browser can send (text)
into the types the schema names, reports only what cannot be converted ("not a whole
number"), and lets the engine's schema check report everything else. Both kinds of
message land beside their field, keyed by the field's JSON pointer.

Supported fields (what definitions use): text, whole and decimal numbers, yes/no,
a choice among ``enum`` values (a select), and a list of texts (one per line).
Anything else is shown as JSON text, so no definition makes the page fail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

__all__ = ["Field", "fields_of", "parse_submission"]


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str  # text | integer | number | boolean | choice | list | json
    required: bool
    choices: tuple[str, ...] = ()
    description: str | None = None
    value: Any = None

    @property
    def pointer(self) -> str:
        return "/" + self.name.replace("~", "~0").replace("/", "~1")

    @property
    def html_id(self) -> str:
        return "field-" + "".join(c if c.isalnum() else "-" for c in self.name)

    def shown(self) -> str:
        """The value as the control shows it."""
        if self.value is None:
            return ""
        if self.kind == "list" and isinstance(self.value, list):
            return "\n".join(str(v) for v in self.value)
        if self.kind == "json":
            return self.value if isinstance(self.value, str) else json.dumps(self.value)
        return str(self.value)


def _kind(schema: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if "enum" in schema and all(isinstance(v, str) for v in schema["enum"]):
        return "choice"
    if kind == "string":
        return "text"
    if kind in ("integer", "number", "boolean"):
        return str(kind)
    if kind == "array" and (schema.get("items") or {}).get("type") == "string":
        return "list"
    return "json"


def fields_of(
    form: Mapping[str, Any] | None, values: Mapping[str, Any] | None = None
) -> list[Field]:
    """The fields of a form schema in its own order, holding ``values`` if given."""
    if not form:
        return []
    required = set(form.get("required", ()))
    values = values or {}
    fields = []
    for name, schema in (form.get("properties") or {}).items():
        schema = schema if isinstance(schema, Mapping) else {}
        fields.append(
            Field(
                name=name,
                label=str(schema.get("title") or name.replace("_", " ").capitalize()),
                kind=_kind(schema),
                required=name in required,
                choices=tuple(schema.get("enum", ())) if _kind(schema) == "choice" else (),
                description=schema.get("description"),
                value=values.get(name),
            )
        )
    return fields


def parse_submission(
    fields: list[Field], form: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """(data for the engine, conversion errors by pointer, what to show again)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    shown: dict[str, Any] = {}
    for field in fields:
        raw = form.get(field.name, "")
        if field.kind == "boolean":
            data[field.name] = raw in ("on", "true", "yes", "1")
            shown[field.name] = data[field.name]
            continue
        raw = raw.strip()
        shown[field.name] = raw
        if raw == "":
            continue  # absent: the schema says whether that is allowed
        if field.kind == "integer":
            try:
                data[field.name] = int(raw)
            except ValueError:
                errors[field.pointer] = _("Enter a whole number, like 3.")
        elif field.kind == "number":
            try:
                data[field.name] = float(raw) if any(c in raw for c in ".eE") else int(raw)
            except ValueError:
                errors[field.pointer] = _("Enter a number, like 12.5.")
        elif field.kind == "list":
            items = [line.strip() for line in raw.splitlines() if line.strip()]
            data[field.name] = items
            shown[field.name] = items
        elif field.kind == "json":
            try:
                data[field.name] = json.loads(raw)
            except ValueError:
                errors[field.pointer] = _("Enter valid JSON.")
        else:
            data[field.name] = raw
    return data, errors, shown
