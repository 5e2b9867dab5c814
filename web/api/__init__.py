"""The REST API under ``/api/v1``: JSON in and out, validated at the edge.

The blueprint's guard runs before every API view: a request with a body must say
it is JSON (``415`` otherwise, unless the view declared other media types with
``accepts``) and must parse (``400``). Field-level validation is pydantic's, through
flask-openapi3, so the models that validate a request are the ones the OpenAPI
document shows; their errors become ``422`` problems in ``web.problems``.

Why flask-openapi3: it is plain Flask (blueprints, before_request, error handlers
stay ours), it validates path, query, header and body with pydantic v2 models
declared in the view's signature, and it emits OpenAPI 3.1 from those same models.
APIFlask is marshmallow-first and emits 3.0 by default; spectree validates with
pydantic too, but names the models in a decorator apart from the arguments the
handler receives, where flask-openapi3 takes them from the signature itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, request
from flask_openapi3.blueprint import APIBlueprint
from flask_openapi3.models.tag import Tag

from web.api.models import ERROR_RESPONSES
from web.problems import ProblemError

__all__ = ["accepts", "bp"]

F = TypeVar("F", bound=Callable[..., Any])
JSON_TYPES = frozenset({"application/json"})

bp = APIBlueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    abp_security=[{"bearer": []}],
    abp_responses=ERROR_RESPONSES,
)


def accepts(*media_types: str) -> Callable[[F], F]:
    """Let a view take a body in other media types than JSON (e.g. YAML uploads)."""

    def mark(view: F) -> F:
        view._civicflow_accepts = frozenset(media_types)  # type: ignore[attr-defined]
        return view

    return mark


@bp.before_request
def _guard_body() -> None:
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    allowed = getattr(view, "_civicflow_accepts", JSON_TYPES)
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
    if not has_body:
        return  # an empty body validates (or not) as "no data"
    if request.mimetype not in allowed:
        raise ProblemError(
            "unsupported-media-type",
            f"send the body as {' or '.join(sorted(allowed))} (got {request.mimetype or 'none'})",
            headers={"Accept-Post": ", ".join(sorted(allowed))},
        )
    if request.mimetype in JSON_TYPES and request.get_json(silent=True) is None:
        raise ProblemError("malformed-request", "the body is not valid JSON")


# the views register themselves on ``bp`` when their modules are imported
from web.api import routes as _routes  # noqa: E402,F401

TAGS = [Tag(name=name) for name in ("definitions", "instances", "tasks", "people", "tokens")]
