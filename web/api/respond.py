"""How API views answer: typed JSON bodies, ``next`` links, and the idempotent
unit of work for requests that create or act.

``changing(make)`` runs ``make(session)`` in the request's one unit of work. With an
``Idempotency-Key`` header, the key is claimed in that same transaction before the
effect and the response stored with it, so a repeat (same principal, same key,
same request) replays the first response (``Idempotent-Replayed: true``) with no
second effect; the same key with a different request is a 422 problem. A request
that failed stored nothing: repeating it runs it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Response, json, request, url_for
from pydantic import BaseModel
from sqlalchemy.orm import Session

from web.principal import current_principal
from web.problems import ProblemError
from web.uow import services, unit_of_work
from workflow import AuditEntry, IdempotencyKeys, InstanceView, TaskView

__all__ = ["changing", "instance_json", "json_response", "page_links", "task_json"]

HEADER = "Idempotency-Key"
Made = tuple[int, BaseModel, Mapping[str, str]]


def json_response(model: BaseModel, status: int = 200, headers: Mapping[str, str] = {}) -> Response:
    response = Response(model.model_dump_json(), status=status, mimetype="application/json")
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.query_string.decode()}\n".encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def changing(make: Callable[[Session], Made]) -> Response:
    key = request.headers.get(HEADER)
    if key is not None and not 1 <= len(key) <= 255:
        raise ProblemError("malformed-request", f"{HEADER} is 1 to 255 characters")
    principal = current_principal()
    owner = f"{principal.kind}:{principal.id}"[:150]
    fingerprint = _fingerprint() if key else ""
    with unit_of_work() as session:
        if key is not None:
            keys = IdempotencyKeys(session)
            stored = keys.find(owner, key)
            now = services().engine.clock.now()
            if stored is None and not keys.claim(owner, key, fingerprint, now=now):
                stored = keys.find(owner, key)
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    raise ProblemError(
                        "idempotency-key-reused",
                        f"this {HEADER} was used for a different request",
                    )
                return _replay(stored.status, stored.response)
        status, model, headers = make(session)
        body = model.model_dump(mode="json")
        if key is not None:
            keys.complete(owner, key, status, {"body": body, "headers": dict(headers)})
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    for name, value in headers.items():
        response.headers[name] = value
    return response


def _replay(status: int, stored: dict[str, Any]) -> Response:
    response = Response(json.dumps(stored["body"]), status=status, mimetype="application/json")
    for name, value in stored.get("headers", {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response


def page_links(endpoint: str, next_cursor: str | None, **values: Any) -> dict[str, Any]:
    """``{"next": {"href": ...}}``: this request's query with the next cursor."""
    if next_cursor is None:
        return {}
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"]
    args.append(("cursor", next_cursor))
    return {"next": {"href": url_for(endpoint, **values) + "?" + urlencode(args)}}


def task_json(task: TaskView) -> dict[str, Any]:
    return task.as_json()


def _audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "actor_idp": entry.actor_idp,
        "on_behalf_of": entry.on_behalf_of,
        "action": entry.action,
        "state_before": entry.state_before,
        "state_after": entry.state_after,
        "task_id": str(entry.task_id) if entry.task_id else None,
        "details": entry.details,
    }


def instance_json(view: InstanceView, *, history: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": str(view.id),
        "workflow": view.workflow,
        "definition_version": view.definition_version,
        "business_key": view.business_key,
        "state": view.state,
        "status": view.status,
        "input": view.input,
        "data": view.data,
        "created_at": view.created_at.isoformat(),
        "completed_at": view.completed_at.isoformat() if view.completed_at else None,
        "version": view.version,
        "tasks": [task_json(t) for t in view.tasks],
    }
    if history:
        found["history"] = [_audit_json(e) for e in view.history]
    return found
