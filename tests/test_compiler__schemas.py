"""JSON Schemas are checked once, at compile time, with validators built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow import load_definition
from workflow.language.spec import WorkflowSpec

EVERY_FEATURE = Path(__file__).parent / "data" / "valid" / "every-feature.yaml"


@pytest.fixture(scope="module")
def spec() -> WorkflowSpec:
    return load_definition(EVERY_FEATURE)


def test_input_validator_accepts_valid_input(spec: WorkflowSpec) -> None:
    assert spec.input is not None
    assert spec.input.validator.is_valid({"applicant": "Ana", "address": "1 Main St"})


def test_input_validator_rejects_invalid_input(spec: WorkflowSpec) -> None:
    assert spec.input is not None
    assert not spec.input.validator.is_valid({"applicant": "Ana", "floor_area_m2": -1})


def test_form_validator_is_built(spec: WorkflowSpec) -> None:
    form = spec.task_spec("intake").form
    assert form is not None and not form.validator.is_valid({"unexpected": 1})


def test_branch_form_validator_is_built(spec: WorkflowSpec) -> None:
    form = spec.task_spec("reviews", "fire").form
    assert form is not None and form.validator.is_valid({"findings": "ok"})


def test_validator_is_built_once_per_compilation(spec: WorkflowSpec) -> None:
    form = spec.task_spec("intake").form
    assert form is not None and spec.task_spec("intake").form is form


def test_task_without_form_has_none(spec: WorkflowSpec) -> None:
    assert spec.task_spec("legal_signoff").form is None


def test_schema_keeps_its_content(spec: WorkflowSpec) -> None:
    form = spec.task_spec("intake").form
    assert form is not None and form.schema["additionalProperties"] is False
