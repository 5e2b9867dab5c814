"""A compiled spec is shared by every instance and thread, so it cannot be changed."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from workflow import load_definition
from workflow.language.spec import WorkflowSpec

EVERY_FEATURE = Path(__file__).parent / "data" / "valid" / "every-feature.yaml"


@pytest.fixture(scope="module")
def spec() -> WorkflowSpec:
    return load_definition(EVERY_FEATURE)


def test_spec_fields_cannot_be_assigned(spec: WorkflowSpec) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.start = "approved"  # type: ignore[misc]


def test_states_mapping_is_read_only(spec: WorkflowSpec) -> None:
    states: Any = spec.states
    with pytest.raises(TypeError):
        states["extra"] = states["approved"]


def test_on_mapping_is_read_only(spec: WorkflowSpec) -> None:
    on: Any = spec.states["intake"].on
    with pytest.raises(TypeError):
        on["sneak"] = ()


def test_every_state_mapping_is_read_only(spec: WorkflowSpec) -> None:
    for state in spec.states.values():
        for mapping in (state.on, state.branches):
            with pytest.raises(TypeError):
                mapping["x"] = None  # type: ignore[index]


def test_branches_mapping_is_read_only(spec: WorkflowSpec) -> None:
    branches: Any = spec.states["reviews"].branches
    with pytest.raises(TypeError):
        del branches["fire"]


def test_departments_mapping_is_read_only(spec: WorkflowSpec) -> None:
    departments: Any = spec.departments
    with pytest.raises(TypeError):
        departments["new"] = departments["fire"]


def test_trigger_input_is_read_only(spec: WorkflowSpec) -> None:
    fields: Any = spec.triggers[0].input
    with pytest.raises(TypeError):
        fields["applicant"] = "$.other"


def test_schema_is_read_only_all_the_way_down(spec: WorkflowSpec) -> None:
    assert spec.input is not None
    properties: Any = spec.input.schema["properties"]
    with pytest.raises(TypeError):
        properties["applicant"]["type"] = "number"


def test_schema_lists_become_tuples(spec: WorkflowSpec) -> None:
    assert spec.input is not None and spec.input.schema["required"] == ("applicant", "address")


def test_rules_are_tuples(spec: WorkflowSpec) -> None:
    assert isinstance(spec.states["route"].next, tuple)
