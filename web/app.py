"""The app factory: one Flask app, one blueprint per surface.

``create_app(settings)`` builds everything from the settings it is given and does
nothing else: no migrations, no network, no threads (``civicflow serve`` does those
before it calls the factory). Tests pass ``services=`` to share a database.

Surfaces: ``ops`` (/healthz, /readyz), ``apidocs`` (/api/openapi.json, /api/docs),
``api`` (/api/v1), ``hooks`` (/hooks). The ``auth`` and ``ui`` blueprints register
in ``_register_surfaces`` the same way; every route they add passes through the
app's authentication step (``web.principal``) and error mapping (``web.problems``)
without doing anything.
"""

from __future__ import annotations

from typing import Any

from flask_openapi3.models.info import Info
from flask_openapi3.openapi import OpenAPI
from pydantic import ValidationError

from civicflow.config import Settings
from civicflow.services import Services
from web import docs, limits, ops, principal, problems
from web.api.models import Problem
from web.tokens import token_principal
from web.uow import EXTENSION as SERVICES

__all__ = ["MAX_BODY_BYTES", "create_app"]

MAX_BODY_BYTES = 1024 * 1024  # a definition or a form is far smaller; webhooks too


def create_app(settings: Settings, *, services: Services | None = None) -> OpenAPI:
    """A Civicflow web app for ``settings``, over ``services`` when given (tests and
    ``serve`` share theirs); otherwise over its own, which lives as long as the app."""
    app = OpenAPI(
        __name__,
        info=Info(
            title="Civicflow API",
            version="1",
            description="Cross-department approval workflows. Errors are RFC 9457 problems.",
        ),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        validation_error_status=422,
        validation_error_model=Problem,
        validation_error_callback=_validation_problem,
        doc_ui=False,
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
    )
    app.extensions[SERVICES] = services or Services(settings)
    problems.install(app)
    # limits first: an anonymous or wrong-token request spends the address's budget
    limits.install(app, settings, exempt=[ops.bp, docs.bp])
    principal.install(app).add(token_principal)
    _register_surfaces(app, settings)
    return app


def _register_surfaces(app: OpenAPI, settings: Settings) -> None:
    from web import auth
    from web.api import bp as api
    from web.hooks import bp as hooks

    app.register_blueprint(ops.bp)
    app.register_blueprint(docs.bp)
    app.register_api(api)
    app.register_api(hooks)
    auth.install(app, settings)  # /auth, and browser sessions for every route
    # ui:   app.register_blueprint(web.ui.bp)   -- the UI work adds it here
    from web import realtime, ui

    ui.install(app, app.extensions[SERVICES])
    realtime.install(app, app.extensions[SERVICES])


def _validation_problem(error: ValidationError) -> Any:
    """pydantic's errors as one 422 problem: a JSON pointer per body problem, the
    parameter's name for query, path and header problems."""
    where = _location(error.title)
    items = []
    for item in error.errors(include_url=False, include_context=False, include_input=False):
        loc = [str(part) for part in item["loc"]]
        entry: dict[str, Any] = {"detail": item["msg"]}
        if where == "body":
            entry["pointer"] = "".join(
                "/" + part.replace("~", "~0").replace("/", "~1") for part in loc
            )
        else:
            entry["parameter"] = loc[0] if loc else ""
            entry["in"] = where
        items.append(entry)
    return problems.problem_response(
        "invalid-data", f"{len(items)} invalid item(s) in the request {where}", errors=items
    )


def _location(model_name: str) -> str:
    """Where the failing model was read from, by the API's naming convention:
    ``...Query``, ``...Path`` and ``...Header`` models; everything else is a body."""
    for suffix, where in (("Query", "query"), ("Path", "path"), ("Header", "header")):
        if model_name.endswith(suffix):
            return where
    return "body"
