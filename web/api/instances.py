"""Instances: start, search, get (with tasks and history), signal, cancel, comment."""

from __future__ import annotations

from typing import Any

from flask import Response, url_for
from flask_openapi3.models.tag import Tag
from sqlalchemy.orm import Session

from web.api import bp
from web.api.models import (
    CancelBody,
    Comment,
    CommentBody,
    IdempotencyHeader,
    Instance,
    InstancePage,
    InstancePath,
    InstanceSearchQuery,
    SignalBody,
    StartBody,
    problem_content,
)
from web.api.respond import Made, changing, instance_json, json_response, page_links
from web.principal import Principal, current_principal, requires
from web.uow import read_session, services
from workflow import Actor, find_instance, search_instances

TAG = [Tag(name="instances", description="Running and finished workflow instances")]
CONFLICT: dict[Any, Any] = {
    409: problem_content("Stale or duplicate: the instance changed, or the key exists")
}


def viewer(principal: Principal, session: Session) -> Actor | None:
    """Whose department boundary applies: the person the principal acts for, if any."""
    return principal.actor(session) if principal.user is not None else None


@bp.post("/instances", tags=TAG, responses={201: Instance, **CONFLICT})
@requires("instances:start")
def start_instance(body: StartBody, header: IdempotencyHeader) -> Response:
    """Start a workflow; a repeated ``business_key`` for the workflow is a 409."""

    def make(session: Session) -> Made:
        actor = current_principal().actor(session)
        view = services().engine.start(
            session,
            workflow=body.workflow,
            input=body.input,
            actor=actor,
            business_key=body.business_key,
        )
        location = url_for("api.get_instance", instance_id=view.id)
        return 201, Instance.model_validate(instance_json(view)), {"Location": location}

    return changing(make)


@bp.get("/instances", tags=TAG, responses={200: InstancePage})
@requires("instances:read")
def search(query: InstanceSearchQuery) -> Response:
    """Instances, newest first, by workflow, state, status and business key."""
    with read_session() as session:
        page = search_instances(
            session,
            viewer=viewer(current_principal(), session),
            workflow=query.workflow,
            state=query.state,
            status=query.status,
            business_key=query.business_key,
            limit=query.limit,
            cursor=query.cursor,
        )
    return json_response(
        InstancePage.model_validate(
            {
                "items": [instance_json(v) for v in page.items],
                "next_cursor": page.next_cursor,
                "links": page_links("api.search", page.next_cursor),
            }
        )
    )


@bp.get("/instances/<uuid:instance_id>", tags=TAG, responses={200: Instance})
@requires("instances:read")
def get_instance(path: InstancePath) -> Response:
    """An instance: state, data, tasks and its audit history."""
    with read_session() as session:
        view = find_instance(session, path.instance_id, viewer=viewer(current_principal(), session))
    return json_response(Instance.model_validate(instance_json(view, history=True)))


def _visible(session: Session, path: InstancePath) -> None:
    find_instance(
        session, path.instance_id, viewer=viewer(current_principal(), session), history=False
    )


@bp.post("/instances/<uuid:instance_id>/signal", tags=TAG, responses={200: Instance, **CONFLICT})
@requires("instances:start")
def signal_instance(path: InstancePath, body: SignalBody, header: IdempotencyHeader) -> Response:
    """Deliver an event to an instance waiting for it."""

    def make(session: Session) -> Made:
        _visible(session, path)
        view = services().engine.signal(
            session,
            instance_id=path.instance_id,
            event=body.event,
            actor=current_principal().actor(session),
            data=body.data,
        )
        return 200, Instance.model_validate(instance_json(view)), {}

    return changing(make)


@bp.post("/instances/<uuid:instance_id>/cancel", tags=TAG, responses={200: Instance, **CONFLICT})
@requires("instances:start")
def cancel_instance(path: InstancePath, body: CancelBody, header: IdempotencyHeader) -> Response:
    """Cancel a running instance and its open tasks."""

    def make(session: Session) -> Made:
        _visible(session, path)
        view = services().engine.cancel(
            session,
            instance_id=path.instance_id,
            actor=current_principal().actor(session),
            reason=body.reason,
        )
        return 200, Instance.model_validate(instance_json(view)), {}

    return changing(make)


@bp.post("/instances/<uuid:instance_id>/comments", tags=TAG, responses={201: Comment, **CONFLICT})
@requires("tasks:act")
def comment_instance(path: InstancePath, body: CommentBody, header: IdempotencyHeader) -> Response:
    """Comment on an instance (or one of its tasks); ``@name@agency.gov`` mentions."""

    def make(session: Session) -> Made:
        _visible(session, path)
        result = services().engine.comment(
            session,
            instance_id=path.instance_id,
            task_id=body.task_id,
            body=body.body,
            actor=current_principal().actor(session),
        )
        return 201, Comment(id=str(result.id), mentions=list(result.mentions)), {}

    return changing(make)
