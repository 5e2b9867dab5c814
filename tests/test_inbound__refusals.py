"""Each refused webhook gets its own error (mapped to its documented 4xx by the web
layer) and starts nothing: checked in the database after the unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from integrations.inbound import (
    Inbound,
    MalformedPayloadError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from integrations.signatures import SignatureError
from tests.conftest import read
from tests.webhooks import PORTAL_SECRET, SUBMITTED, signed
from workflow import (
    CivicflowError,
    Database,
    Engine,
    InvalidDataError,
    NotFoundError,
    SystemClock,
)
from workflow.store.models import InstanceRow, WebhookReceiptRow


@pytest.fixture
def inbound(committed: Database) -> Iterator[Inbound]:
    engine = Engine(clock=SystemClock())
    with committed.transaction() as session:
        engine.register(session, read("webhooks/portal-permit"), path="portal-permit.yaml")
    secrets = {"permit-portal": (PORTAL_SECRET,)}
    yield Inbound(engine, lambda source: secrets.get(source, ()), max_body=4096)


def refused(
    database: Database,
    inbound: Inbound,
    headers: dict[str, str],
    body: bytes,
    error: type[CivicflowError],
    *,
    source: str = "permit-portal",
    content_type: str | None = "application/json",
) -> None:
    with pytest.raises(error), database.transaction() as session:
        inbound.receive(
            session, source=source, headers=headers, body=body, content_type=content_type
        )
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InstanceRow)) == 0
        assert session.scalar(select(func.count()).select_from(WebhookReceiptRow)) == 0


def test_refusals__a_bad_signature(committed: Database, inbound: Inbound) -> None:
    headers, body = signed(SUBMITTED, secret="whsec_" + "A" * 32)
    refused(committed, inbound, headers, body, SignatureError)


def test_refusals__a_stale_timestamp(committed: Database, inbound: Inbound) -> None:
    headers, body = signed(SUBMITTED, skew=timedelta(minutes=-10))
    refused(committed, inbound, headers, body, SignatureError)


def test_refusals__malformed_json(committed: Database, inbound: Inbound) -> None:
    headers, body = signed(b'{"type": "application.submitted",')
    refused(committed, inbound, headers, body, MalformedPayloadError)


def test_refusals__a_json_array(committed: Database, inbound: Inbound) -> None:
    headers, body = signed([SUBMITTED])
    refused(committed, inbound, headers, body, MalformedPayloadError)


def test_refusals__a_body_over_the_limit(committed: Database, inbound: Inbound) -> None:
    headers, body = signed(SUBMITTED | {"padding": "x" * 5000})
    refused(committed, inbound, headers, body, PayloadTooLargeError)


def test_refusals__a_payload_failing_the_input_schema(
    committed: Database, inbound: Inbound
) -> None:
    payload: dict[str, Any] = SUBMITTED | {"applicant": {"name": ""}}
    headers, body = signed(payload)
    refused(committed, inbound, headers, body, InvalidDataError)


def test_refusals__a_payload_no_trigger_matches(committed: Database, inbound: Inbound) -> None:
    headers, body = signed(SUBMITTED | {"type": "application.archived"})
    refused(committed, inbound, headers, body, InvalidDataError)


def test_refusals__a_payload_without_business_key(committed: Database, inbound: Inbound) -> None:
    payload = {k: v for k, v in SUBMITTED.items() if k != "application_id"}
    headers, body = signed(payload)
    refused(committed, inbound, headers, body, InvalidDataError)


def test_refusals__an_unknown_source(committed: Database, inbound: Inbound) -> None:
    headers, body = signed(SUBMITTED)
    refused(committed, inbound, headers, body, NotFoundError, source="tax-portal")


def test_refusals__a_body_that_is_not_json_typed(committed: Database, inbound: Inbound) -> None:
    headers, body = signed(SUBMITTED)
    refused(committed, inbound, headers, body, UnsupportedMediaTypeError, content_type="text/plain")


def test_refusals__a_replayed_id_has_no_second_effect(
    committed: Database, inbound: Inbound
) -> None:
    headers, body = signed(SUBMITTED)
    with committed.transaction() as session:
        first = inbound.receive(session, source="permit-portal", headers=headers, body=body)
    other_headers, other_body = signed(
        SUBMITTED | {"application_id": "A-2"}, message_id=headers["webhook-id"]
    )
    with committed.transaction() as session:
        again = inbound.receive(
            session, source="permit-portal", headers=other_headers, body=other_body
        )
    assert (again.replayed, again.body) == (True, first.body)
    with committed.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InstanceRow)) == 1
