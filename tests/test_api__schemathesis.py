"""Schemathesis drives every operation of /api/openapi.json with a valid token: no
5xx, and every response conforms to the document (status, content type, schema)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 8  # per operation: the whole test stays well under a minute


def test_every_operation_conforms_and_never_fails(
    app: Flask, make_token: Callable[..., dict[str, str]], approval: str
) -> None:
    token = make_token(user="ana@planning.example.gov")
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    started = time.monotonic()
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=token, checks=CHECKS)

        check()
        tested += 1
    assert tested >= 15
    assert time.monotonic() - started < 60
