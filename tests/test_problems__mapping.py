"""Every error becomes an RFC 9457 problem with its documented status and type URI."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from web.principal import public
from workflow import (
    BusyError,
    CivicflowError,
    ConflictError,
    DefinitionError,
    ExpressionError,
    FieldError,
    ForbiddenError,
    InvalidDataError,
    InvariantError,
    NotFoundError,
    Problem,
)

CASES = [
    (NotFoundError("no task 42", task="42", queue="fire/inspectors"), 404, "not-found"),
    (ConflictError("task changed", task="42"), 409, "conflict"),
    (ForbiddenError("four-eyes", task="42"), 403, "forbidden"),
    (InvalidDataError("bad", errors=[FieldError("/amount", "too big")]), 422, "invalid-data"),
    (DefinitionError([Problem("x.yaml", 3, 5, "unknown key")]), 422, "invalid-definition"),
    (ExpressionError("guard failed"), 422, "expression-failed"),
    (BusyError("the database is busy"), 503, "unavailable"),
    (CivicflowError("refused"), 400, "refused"),
    (InvariantError("no rule matched"), 500, "internal"),
    (RuntimeError("secret internals"), 500, "internal"),
]


def _raising(app: Flask, error: Exception) -> Any:
    @public
    def view() -> str:
        raise error

    app.add_url_rule("/test-raise", "test_raise", view)
    return app.test_client()


@pytest.mark.parametrize(
    ("error", "status", "kind"), CASES, ids=[type(c[0]).__name__ for c in CASES]
)
def test_error_becomes_its_problem(app: Flask, error: Exception, status: int, kind: str) -> None:
    response = _raising(app, error).get("/test-raise")
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"urn:civicflow:problem:{kind}"
    assert body["status"] == status


def test_not_found_reveals_no_context(app: Flask) -> None:
    error = NotFoundError("no such task", task="42", queue="fire/inspectors")
    body = _raising(app, error).get("/test-raise").get_json()
    assert "fire/inspectors" not in str(body)


def test_internal_error_shows_no_traceback(app: Flask) -> None:
    client = _raising(app, RuntimeError("password=hunter2"))
    body = client.get("/test-raise").get_data(as_text=True)
    assert "hunter2" not in body
    assert "Traceback" not in body


def test_invalid_data_has_a_pointer_per_problem(app: Flask) -> None:
    error = InvalidDataError(
        "bad", errors=[FieldError("/amount", "too big"), FieldError("/name", "required")]
    )
    body = _raising(app, error).get("/test-raise").get_json()
    assert [e["pointer"] for e in body["errors"]] == ["/amount", "/name"]


def test_definition_errors_list_line_and_column(app: Flask) -> None:
    error = DefinitionError([Problem("x.yaml", 3, 5, "unknown key"), Problem("x.yaml", 9, 1, "y")])
    body = _raising(app, error).get("/test-raise").get_json()
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, 5), (9, 1)]


def test_unknown_route_is_a_not_found_problem(client: Any) -> None:
    response = client.get("/no/such/route")
    assert response.status_code == 404
    assert response.get_json()["type"] == "urn:civicflow:problem:not-found"


def test_wrong_method_is_a_problem_with_allow(client: Any) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.get_json()["type"] == "urn:civicflow:problem:method-not-allowed"
    assert "GET" in response.headers["Allow"]


def test_busy_says_when_to_try_again(app: Flask) -> None:
    response = _raising(app, BusyError("the database is busy")).get("/test-raise")
    assert response.headers["Retry-After"] == "1"
