"""An index of every instance's top-level input fields, for the inbox's business-data
filters (``InboxQuery.fields``).

JSON columns cannot be indexed on both databases, so filtering on ``input.address``
without this table means opening every candidate instance. Instead each scalar field
of an instance's input is written once, when the instance starts (the input never
changes afterwards; ``Store.index_input``), as a row ``(name, value, instance_id)``
whose primary key is the lookup index: the inbox asks "which instances have
``address = '1 Main St'``" and reads exactly those, and the planner knows from the
column statistics how many there are. This module is pure: values, no I/O.

``value`` is a canonical text that keeps JSON equality: a kind prefix, so the text
"5" never equals the number 5 nor ``true`` equals 1; integral numbers written as
integers, so 5 equals 5.0; texts longer than ``MAX_TEXT`` (or holding a NUL, which
PostgreSQL text cannot store) written as their SHA-256.
Objects, arrays and nulls are not indexed (the inbox does not filter on them).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from typing import Any

__all__ = ["FIELD_NAME", "MAX_TEXT", "field_rows", "field_value"]

MAX_TEXT = 200
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,99}")


def field_value(value: Any) -> str | None:
    """The canonical text of a scalar JSON value; None for what is not indexed."""
    if isinstance(value, bool):
        return "b:true" if value else "b:false"
    if isinstance(value, int):
        return f"n:{value}"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if value.is_integer() and abs(value) < 2**63:
            return f"n:{int(value)}"
        return f"n:{value!r}"
    if isinstance(value, str):
        # PostgreSQL text cannot hold NUL, and JSON strings can; a digest can
        if len(value) > MAX_TEXT or "\x00" in value:
            return "h:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
        return "s:" + value
    return None


def field_rows(instance_id: uuid.UUID, input: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The index rows of one instance's input: its filterable scalar fields."""
    rows = []
    for name, value in input.items():
        text = field_value(value)
        if text is not None and FIELD_NAME.fullmatch(name):
            rows.append({"name": name, "value": text, "instance_id": instance_id})
    return rows
