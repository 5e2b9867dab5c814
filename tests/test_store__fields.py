"""The input-field index: canonical values keep JSON equality, and instances started
before the index existed are indexed by the migration that adds it."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from tests.conftest import T0
from workflow.store.database import Database
from workflow.store.fields import MAX_TEXT, field_rows, field_value
from workflow.store.models import DefinitionRow, InputFieldRow, InstanceRow


@pytest.mark.parametrize(
    ("left", "right"),
    [(5, 5.0), (-0.0, 0), (0.5, 0.5), ("a", "a"), (True, True), (10**20, 10**20)],
)
def test_field_value__equal_json_values_have_one_text(left: object, right: object) -> None:
    assert field_value(left) == field_value(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [(5, "5"), (True, 1), (False, 0), ("true", True), (0.1, 0.10000000000000002), ("a", "A")],
)
def test_field_value__different_json_values_differ(left: object, right: object) -> None:
    assert field_value(left) != field_value(right)


def test_field_value__a_long_text_is_stored_as_its_digest() -> None:
    long = "x" * (MAX_TEXT + 1)
    assert field_value(long) == field_value("x" * (MAX_TEXT + 1))
    assert len(field_value(long) or "") < MAX_TEXT
    assert field_value(long) != field_value(long + "y")


@pytest.mark.parametrize("value", [None, [1], {"a": 1}, float("nan"), float("inf")])
def test_field_value__non_scalars_are_not_indexed(value: object) -> None:
    assert field_value(value) is None


def test_field_rows__skip_names_the_inbox_cannot_filter_on() -> None:
    instance = uuid.uuid4()
    rows = field_rows(instance, {"address": "1 Main St", "a.b": "x", "nested": {"a": 1}})
    assert rows == [{"name": "address", "value": "s:1 Main St", "instance_id": instance}]


def test_migration__indexes_the_instances_that_exist_already(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path}/old.db")
    db.upgrade("0004")
    instance = uuid.uuid4()
    with db.engine.begin() as connection:
        connection.execute(
            insert(DefinitionRow.__table__),
            [
                {
                    "id": 1,
                    "key": "w",
                    "version": 1,
                    "content_hash": "0" * 64,
                    "title": "W",
                    "source": "",
                    "source_path": "w.yaml",
                    "registered_at": T0,
                    "registered_by": "test",
                }
            ],
        )
        connection.execute(
            insert(InstanceRow.__table__).values(
                id=instance,
                definition_id=1,
                workflow_key="w",
                state="s",
                status="running",
                input={"address": "1 Main St", "floor_area_m2": 120.0},
                data={},
                outcomes={},
                created_at=T0,
                updated_at=T0,
                created_by="test",
                audit_seq=0,
                version=1,
            )
        )
    db.upgrade()
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(InputFieldRow.name, InputFieldRow.value, InputFieldRow.instance_id).order_by(
                InputFieldRow.name
            )
        ).all()
    db.dispose()
    assert [tuple(r) for r in rows] == [
        ("address", "s:1 Main St", instance),
        ("floor_area_m2", "n:120", instance),
    ]
