"""Targets compile to rule tuples: a plain target is one rule without a guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow import load_definition
from workflow.language.spec import Rule, WorkflowSpec

EVERY_FEATURE = Path(__file__).parent / "data" / "valid" / "every-feature.yaml"


@pytest.fixture(scope="module")
def spec() -> WorkflowSpec:
    return load_definition(EVERY_FEATURE)


def test_plain_target_is_one_unguarded_rule(spec: WorkflowSpec) -> None:
    assert spec.states["intake"].on["request_info"] == (Rule(to="awaiting_applicant"),)


def test_rule_list_keeps_its_order(spec: WorkflowSpec) -> None:
    assert [rule.to for rule in spec.states["route"].next] == ["reviews", "legal_signoff"]


def test_guard_is_a_parsed_expression(spec: WorkflowSpec) -> None:
    when = spec.states["route"].next[0].when
    assert when is not None and when.source == "input.floor_area_m2 > 500"


def test_last_rule_has_no_guard(spec: WorkflowSpec) -> None:
    assert spec.states["route"].next[-1].when is None


def test_action_target_given_as_rules(spec: WorkflowSpec) -> None:
    rules = spec.states["intake"].on["accept"]
    assert [(rule.to, rule.when is not None) for rule in rules] == [
        ("route", True),
        ("route", False),
    ]


def test_wait_events_are_rules(spec: WorkflowSpec) -> None:
    assert spec.states["awaiting_applicant"].on["applicant.withdrew"] == (Rule(to="withdrawn"),)


def test_guard_names_are_known(spec: WorkflowSpec) -> None:
    when = spec.states["reviews"].next[0].when
    assert when is not None and {name[0] for name in when.names} == {"fire", "structural"}
