"""Property: whatever JSON-ish value arrives as input, form data or an event payload —
deep, huge, non-finite, odd Unicode — the engine answers with success or a
``CivicflowError`` carrying a clear message, never another exception, and the case
can still be moved to its end afterwards. Through the engine API and through the
command line (click's ``CliRunner``, in-process), on both databases.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from civicflow.cli import main
from tests.conftest import DATA, staff
from workflow.engine import Engine
from workflow.errors import CivicflowError
from workflow.store.database import Database

CLERK = staff("ben.okafor@planning.example.gov", "planning/intake")
RUNS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example makes its own case
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


def nested(levels: int, leaf: Any = 1) -> Any:
    value = leaf
    for index in range(levels):
        value = [value] if index % 2 else {"k": value}
    return value


class Made:
    """A value too deep or too big to print, shown in reports by how it was made."""

    def __init__(self, value: Any, how: str) -> None:
        self.value, self.how = value, how

    def __repr__(self) -> str:
        return self.how


def plain(value: Any) -> Any:
    return value.value if isinstance(value, Made) else value


ODD_TEXT = st.lists(
    st.one_of(
        st.characters(exclude_categories=()),  # lone surrogates and NUL included
        st.sampled_from(["\x00", "\ud800", "\udfff", "\u202e", "\ufeff", "😀", "e\u0301"]),
    ),
    max_size=30,
).map("".join)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**63 + 2),
    st.integers(min_value=0, max_value=5000).map(lambda digits: 10**digits),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, ODD_TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(ODD_TEXT, children, max_size=4)
    ),
    max_leaves=12,
)
DEEP = st.integers(min_value=1, max_value=1200).map(lambda n: Made(nested(n), f"nested({n})"))
HUGE = st.integers(min_value=0, max_value=400_000).map(
    lambda n: Made({"text": "x" * n}, f"{{'text': 'x' * {n}}}")
)
WIDE = st.integers(min_value=0, max_value=30_000).map(
    lambda n: Made({"list": [0] * n}, f"{{'list': [0] * {n}}}")
)
TITLED = st.builds(lambda text: {"applicant": text}, ODD_TEXT | st.just("A" * 2000))
DATA_VALUES = st.one_of(VALUES, DEEP, HUGE, WIDE, TITLED, st.dictionaries(ODD_TEXT, VALUES))


def clear(error: CivicflowError) -> bool:
    """A message a person can read: present, of sane length, printable as UTF-8."""
    message = error.message
    message.encode("utf-8")  # raises if it would break a terminal or a JSON response
    return 0 < len(message) < 2_000


# -- the engine API -------------------------------------------------------------------------


def attempt(session: Session, call: Callable[[], Any]) -> Any:
    """``call()`` in a savepoint (the unit of work of a test); None if refused."""
    try:
        with session.begin_nested():
            return call()
    except CivicflowError as error:
        assert clear(error), error.message
        return None


@settings(RUNS, max_examples=80)
@given(input=DATA_VALUES, form=DATA_VALUES, event=DATA_VALUES)
@example(
    input=Made(nested(100_000), "nested(100_000)"),
    form={"x": float("nan")},
    event=Made({"n": 10**4999}, "{'n': 10**4999}"),
)
def test_any_data__through_the_engine_is_success_or_a_clear_refusal_and_the_case_moves_on(
    engine: Engine, session: Session, register, input: Any, form: Any, event: Any
) -> None:
    workflow = register("engine/wait")
    input, form, event = plain(input), plain(form), plain(event)

    def start(value: Any) -> Any:
        return engine.start(session, workflow=workflow, input=value, actor=CLERK)

    case = attempt(session, lambda: start(input)) or start({"applicant": "Jo"})
    ask = case.open_tasks()[0].id

    def reply(value: Any) -> Any:
        return engine.act(session, task_id=ask, action="request_info", actor=CLERK, data=value)

    if attempt(session, lambda: reply(form)) is None:
        reply(None)

    def respond(value: Any) -> Any:
        event_name = "applicant.responded"
        return engine.signal(
            session, instance_id=case.id, event=event_name, actor=CLERK, data=value
        )

    view = attempt(session, lambda: respond(event)) or respond(None)
    view = engine.act(session, task_id=view.open_tasks()[0].id, action="done", actor=CLERK)
    assert view.status == "completed"


# -- the command line ------------------------------------------------------------------------


def as_json(value: Any) -> str:
    """JSON text as a person might type it: NaN/Infinity literals allowed, lone
    surrogates as ``\\ud800`` escapes, numbers of any length written out."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value) if value < 10**4000 else "1" + "0" * 4500  # past int() limits
    if isinstance(value, float):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ",".join(as_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{as_json(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def deep_text(levels: int) -> str:
    return '{"k":' * levels + "1" + "}" * levels


JSON_TEXTS = st.one_of(
    st.one_of(VALUES, HUGE.map(plain), TITLED).map(as_json),
    st.integers(min_value=1, max_value=200_000).map(deep_text),
    st.sampled_from(["", "{", "nul", '{"a": 1,}', "[1, 2", '"\\ud800"', "@", "{}"]),
)


@pytest.fixture
def shell(committed: Database) -> Callable[..., Result]:
    env = {"CIVICFLOW_DATABASE_URL": committed.url}

    def civicflow(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    assert civicflow("users", "import", str(DATA / "directory" / "small.yaml")).exit_code == 0
    assert civicflow("definitions", "load", str(DATA / "engine" / "wait.yaml")).exit_code == 0
    return civicflow


def outcome(result: Result) -> bool:
    """True for success; False for a clear refusal; anything else fails the test."""
    if result.exit_code == 0:
        return True
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1 and result.stderr.startswith("error: "), result.output
    assert "Traceback" not in result.output and len(result.stderr) < 4_000
    return False


@settings(RUNS, max_examples=12)
@given(input=JSON_TEXTS, form=JSON_TEXTS, event=JSON_TEXTS)
def test_any_json__through_the_command_line_is_success_or_a_clear_refusal_and_the_case_moves_on(
    shell: Callable[..., Result], input: str, form: str, event: str
) -> None:
    who = ("--as", CLERK.id)
    started = shell("start", "wait-for-applicant", *who, "--input", input)
    if not outcome(started):
        started = shell("start", "wait-for-applicant", *who, "--input", '{"applicant": "Jo"}')
    found = re.search(r"started (\S+) .*\n  task (\S+) \[", started.stdout)
    assert found is not None, started.output
    case, ask = found[1], found[2]
    if not outcome(shell("act", ask, "request_info", *who, "--data", form)):
        assert outcome(shell("act", ask, "request_info", *who))
    if not outcome(shell("signal", case, "applicant.responded", "--data", event)):
        assert outcome(shell("signal", case, "applicant.responded"))
    shown = shell("show", case)
    assert outcome(shown) and "state: review (running)" in shown.stdout
    assert uuid.UUID(case)
