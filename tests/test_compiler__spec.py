"""The compiled spec mirrors the definition: kinds, tasks, timers, triggers, calendars."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow import compile_definition, load_definition
from workflow.language.spec import JoinRule, StateKind, WorkflowSpec

EVERY_FEATURE = Path(__file__).parent / "data" / "valid" / "every-feature.yaml"
MINIMAL = (EVERY_FEATURE.parent / "minimal.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def spec() -> WorkflowSpec:
    return load_definition(EVERY_FEATURE)


def test_top_level_fields(spec: WorkflowSpec) -> None:
    assert (spec.key, spec.owner, spec.start) == ("building-permit", "planning", "intake")


def test_source_path_is_kept(spec: WorkflowSpec) -> None:
    assert spec.source_path == str(EVERY_FEATURE)


def test_states_keep_declaration_order(spec: WorkflowSpec) -> None:
    assert list(spec.states)[:3] == ["intake", "awaiting_applicant", "route"]


def test_each_state_has_its_kind(spec: WorkflowSpec) -> None:
    kinds = {name: state.kind for name, state in spec.states.items()}
    assert (kinds["intake"], kinds["awaiting_applicant"], kinds["route"]) == (
        StateKind.TASK,
        StateKind.WAIT,
        StateKind.DECISION,
    )


def test_state_remembers_its_line(spec: WorkflowSpec) -> None:
    assert spec.states["intake"].line == 27


def test_task_actions_are_the_keys_of_on_in_order(spec: WorkflowSpec) -> None:
    assert spec.task_spec("intake").actions == ("accept", "request_info", "reject")


def test_task_timers_are_durations(spec: WorkflowSpec) -> None:
    task = spec.task_spec("intake")
    assert (str(task.due), str(task.remind), task.escalate and task.escalate.to) == (
        "2 business days",
        "1 business day",
        "planning/supervisors",
    )


def test_task_priority_and_description(spec: WorkflowSpec) -> None:
    task = spec.task_spec("intake")
    assert (task.priority, task.description) == (2, "Are all drawings and forms present?")


def test_assurance_and_four_eyes(spec: WorkflowSpec) -> None:
    task = spec.task_spec("legal_signoff")
    assert (task.assurance, task.four_eyes) == ("mfa", ("intake", "reviews"))


def test_branch_actions_come_from_the_branch(spec: WorkflowSpec) -> None:
    assert spec.task_spec("reviews", "fire").actions == ("approve", "reject")


def test_join_at_least(spec: WorkflowSpec) -> None:
    assert spec.states["reviews"].join == JoinRule(mode="at_least", count=2)


def test_join_defaults_to_all() -> None:
    spec = load_definition(Path(__file__).parent / "data" / "engine" / "approval.yaml")
    assert spec.states["reviews"].join == JoinRule(mode="all")


def test_wait_timeout(spec: WorkflowSpec) -> None:
    timeout = spec.states["awaiting_applicant"].timeout
    assert timeout is not None and (str(timeout.after), timeout.to) == ("30 days", "withdrawn")


def test_final_emit(spec: WorkflowSpec) -> None:
    assert spec.states["approved"].emit == "permit.approved"


def test_targets_of_a_state(spec: WorkflowSpec) -> None:
    assert spec.states["intake"].targets() == ("route", "awaiting_applicant", "rejected")


def test_trigger(spec: WorkflowSpec) -> None:
    [trigger] = spec.triggers
    assert (trigger.source, dict(trigger.input), trigger.business_key) == (
        "permit-portal",
        {"applicant": "$.applicant.name", "address": "$.site.address"},
        "$.application_id",
    )


def test_workflow_calendar(spec: WorkflowSpec) -> None:
    calendar = spec.calendar
    assert calendar is not None
    assert (calendar.country, calendar.subdivision, calendar.timezone, calendar.weekend) == (
        "US",
        "CA",
        "America/Los_Angeles",
        frozenset({5, 6}),
    )


def test_department_calendar_has_its_own_weekend(spec: WorkflowSpec) -> None:
    calendar = spec.departments["fire"].calendar
    assert calendar is not None and calendar.weekend == frozenset({4, 5})


def test_department_calendar_inherits_the_rest(spec: WorkflowSpec) -> None:
    calendar = spec.departments["fire"].calendar
    assert calendar is not None
    assert (calendar.country, calendar.subdivision, calendar.timezone) == (
        "US",
        "CA",
        "America/Los_Angeles",
    )


def test_department_in_another_country_drops_the_subdivision() -> None:
    text = MINIMAL.replace(
        "  clerks: {title: Clerks}",
        "  clerks: {title: Clerks, calendar: {country: DE}}\n"
        "calendar: {country: US, subdivision: CA}",
    )
    calendar = compile_definition(text).departments["clerks"].calendar
    assert calendar is not None and (calendar.country, calendar.subdivision) == ("DE", None)


def test_department_without_calendar(spec: WorkflowSpec) -> None:
    assert spec.departments["legal"].calendar is None


def test_title_is_a_template(spec: WorkflowSpec) -> None:
    title = spec.task_spec("intake").title
    assert title.source == "Check completeness: {{ input.address }}"
