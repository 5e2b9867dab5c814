"""The state machine of a definition version says what may be done in each state."""

from __future__ import annotations

from tests.conftest import read
from workflow.language.compiler import compile_definition
from workflow.runtime.machine import StateMachine

APPROVAL = StateMachine(compile_definition(read("engine/approval")))
WAIT = StateMachine(compile_definition(read("engine/wait")))


def test_offers__a_task_states_actions_in_declaration_order() -> None:
    assert APPROVAL.offers("intake") == ("accept", "reject")


def test_offers__a_parallel_branchs_actions_not_its_routing() -> None:
    assert (APPROVAL.offers("reviews", "fire"), APPROVAL.offers("reviews")) == (
        ("approve", "reject"),
        (),
    )


def test_offers__the_events_a_wait_awaits_not_its_timeout() -> None:
    assert WAIT.offers("awaiting_applicant") == ("applicant.responded", "applicant.withdrew")


def test_offers__nothing_in_a_final_state() -> None:
    assert APPROVAL.offers("approved") == ()
