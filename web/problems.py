"""Every error the web app answers with, as an RFC 9457 problem, mapped in one place.

The engine's errors (``workflow.CivicflowError`` and its children), werkzeug's HTTP
errors (routing, body size, method) and request validation all end here, so a client
sees one shape (``application/problem+json``) with a stable ``type`` URI per kind of
error and never a traceback. The ``type`` URIs are names, not links: docs/api.md lists
each one. Anything unexpected is logged with its traceback and answered as a bare 500.

A 404 never says *why* a thing was not found: a task in another department's queue is
reported exactly like one that does not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from integrations.inbound import (
    MalformedPayloadError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)
from integrations.signatures import SignatureError
from web.limits import retry_after
from workflow import (
    BusyError,
    CivicflowError,
    ConflictError,
    DefinitionError,
    ExpressionError,
    ForbiddenError,
    InvalidDataError,
    InvariantError,
    NotFoundError,
    StoredContentError,
)

__all__ = [
    "PROBLEM_TYPES",
    "ProblemError",
    "install",
    "problem_response",
    "stored_content_damaged",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

MEDIA_TYPE = "application/problem+json"
PREFIX = "urn:civicflow:problem:"

# kind -> (status, title). The kinds are part of the API contract: add, never rename.
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "malformed-request": (400, "Malformed request"),
    "refused": (400, "Request refused"),
    "unauthenticated": (401, "Authentication required"),
    "invalid-signature": (401, "Invalid webhook signature"),
    "forbidden": (403, "Not allowed"),
    "insufficient-scope": (403, "Token lacks a scope"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "not-acceptable": (406, "Not acceptable"),
    "conflict": (409, "Conflict"),
    "idempotency-key-reused": (422, "Idempotency key reused with another request"),
    "payload-too-large": (413, "Request body too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "invalid-data": (422, "Invalid data"),
    "invalid-definition": (422, "Invalid definition"),
    "expression-failed": (422, "An expression of the workflow failed"),
    "rate-limited": (429, "Too many requests"),
    "internal": (500, "Internal error"),
    "stored-content-damaged": (500, "Stored content missing or damaged"),
    "unavailable": (503, "Service unavailable"),
}


def type_uri(kind: str) -> str:
    return PREFIX + kind


@dataclass
class ProblemError(Exception):
    """A problem raised by the web layer itself (not the engine): bad JSON, a missing
    token, a wrong content type, an invalid query. ``errors`` are the RFC 9457
    extension members for each invalid item (``pointer``/``parameter`` + ``detail``)."""

    kind: str
    detail: str
    errors: Sequence[Mapping[str, Any]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in PROBLEM_TYPES:
            raise ValueError(f"unknown problem kind {self.kind!r}: add it to PROBLEM_TYPES")
        super().__init__(self.detail)


def problem_response(
    kind: str,
    detail: str | None = None,
    *,
    errors: Iterable[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
    status: int | None = None,
    **extra: Any,
) -> Response:
    """The one way a problem becomes a response."""
    code, title = PROBLEM_TYPES[kind]
    body: dict[str, Any] = {"type": type_uri(kind), "title": title, "status": status or code}
    if detail:
        body["detail"] = detail
    items = [dict(item) for item in errors]
    if items:
        body["errors"] = items
    body.update({k: v for k, v in extra.items() if v is not None})
    response = Response(json.dumps(body), status=status or code, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# errors of the inbound webhook adapter (integrations/), by kind
_INTEGRATION_KINDS: tuple[tuple[type[CivicflowError], str], ...] = (
    (SignatureError, "invalid-signature"),
    (MalformedPayloadError, "malformed-request"),
    (PayloadTooLargeError, "payload-too-large"),
    (UnsupportedMediaTypeError, "unsupported-media-type"),
)


def _from_civicflow(error: CivicflowError) -> Response:
    if isinstance(error, InvariantError):  # our bug, not the request's: a logged 500
        return _internal(error)
    if isinstance(error, StoredContentError):  # our storage's fault: logged, and said so
        return stored_content_damaged(error)
    context = {k: str(v) for k, v in error.context.items()}
    for cls, kind in _INTEGRATION_KINDS:
        if isinstance(error, cls):
            return problem_response(kind, error.message, context=context or None)
    if isinstance(error, NotFoundError):
        # no context: it could tell which department holds the thing
        return problem_response("not-found", error.message)
    if isinstance(error, DefinitionError):
        return problem_response(
            "invalid-definition",
            f"{len(error.problems)} problem(s) in the definition",
            errors=[
                {"line": p.line, "column": p.column, "detail": p.message, "file": p.file}
                for p in error.problems
            ],
        )
    if isinstance(error, InvalidDataError):
        return problem_response(
            "invalid-data",
            error.message,
            errors=[{"pointer": e.path or "", "detail": e.message} for e in error.errors],
            context=context or None,
        )
    if isinstance(error, ConflictError):
        return problem_response("conflict", error.message, context=context or None)
    if isinstance(error, ForbiddenError):
        return problem_response("forbidden", error.message, context=context or None)
    if isinstance(error, ExpressionError):
        return problem_response("expression-failed", error.message, context=context or None)
    if isinstance(error, BusyError):  # nothing was written: the same request may come again
        return problem_response("unavailable", error.message, headers={"Retry-After": "1"})
    return problem_response("refused", error.message, context=context or None)


_HTTP_KINDS = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "invalid-data",
    429: "rate-limited",
    503: "unavailable",
}


def _from_http(error: HTTPException) -> Response:
    code = error.code or 500
    kind = _HTTP_KINDS.get(code)
    headers = {}
    if code == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    if kind is None:  # a status we do not name: keep it, with the generic shape
        phrase = HTTPStatus(code).phrase if code in HTTPStatus._value2member_map_ else "Error"
        body = {"type": "about:blank", "title": phrase, "status": code}
        return Response(json.dumps(body), status=code, mimetype=MEDIA_TYPE)
    response = problem_response(kind, error.description, headers=headers)
    if code == 429:
        response.headers["Retry-After"] = str(retry_after())  # the refusing limit's window
    return response


def stored_content_damaged(error: StoredContentError) -> Response:
    """A file whose stored bytes are missing or changed: a 500 that says so (no retry
    helps; an operator must restore it), logged with what identifies the file."""
    log.error("stored content damaged: %s %s", error.message, error.context)
    return problem_response(
        "stored-content-damaged",
        f"{error.message}; nothing was sent. The error was logged: an administrator "
        "must restore the file from a backup.",
        context={k: str(v) for k, v in error.context.items()} or None,
    )


def _internal(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    return problem_response("internal", "The server failed; the error was logged.")


def install(app: Flask) -> None:
    """Route every error of ``app`` through this module."""

    @app.errorhandler(ProblemError)
    def _problem(error: ProblemError) -> Response:
        return problem_response(
            error.kind, error.detail, errors=error.errors, headers=error.headers, **error.extra
        )

    @app.errorhandler(CivicflowError)
    def _civicflow(error: CivicflowError) -> Response:
        return _from_civicflow(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        return _from_http(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        return _internal(error)
