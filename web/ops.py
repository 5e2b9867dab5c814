"""Health and readiness for load balancers and orchestrators (no authentication).

``/healthz`` says the process answers; it touches nothing, so a slow database never
gets a healthy process restarted. ``/readyz`` says this process can serve now: the
database answers and its schema is at the migrations' head (a web process started
before ``civicflow db upgrade`` finished is not ready).
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify

from web.principal import public
from web.problems import problem_response
from web.uow import services

__all__ = ["bp"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@public
def healthz() -> Response:
    """Alive: answers without authentication and without touching the database."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz() -> Response:
    """Ready: public so orchestrators can probe it; says only ok or what is missing."""
    try:
        pending = services().db.pending_migrations()
    except Exception as error:  # any failure to reach the database means "not ready"
        log.warning("readyz: database unreachable: %s", error)
        return problem_response("unavailable", "the database is unreachable")
    if pending:
        return problem_response(
            "unavailable", "the database schema is not at the latest migration", pending=pending
        )
    return jsonify(status="ready", database="ok", migrations="current")
