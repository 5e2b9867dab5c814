"""An inbox filter holding text no database column can hold (NUL, a lone surrogate)
is refused clearly on both databases; PostgreSQL would otherwise fail on it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.conftest import staff
from workflow.engine import Engine
from workflow.errors import InvalidDataError
from workflow.inbox.query import InboxQuery

CLERK = staff("clerk@city.example.gov", "planning/intake")


@pytest.mark.parametrize(
    ("name", "value"),
    [("workflow", "approval\x00"), ("state", "intake\ud800"), ("queue", "planning/\x00")],
)
def test_inbox_filters__text_no_column_can_hold_is_refused(
    engine: Engine, session: Session, name: str, value: str
) -> None:
    with pytest.raises(InvalidDataError, match=f"the {name} filter is invalid"):
        engine.inbox_page(session, actor=CLERK, query=InboxQuery("queues", **{name: value}))
