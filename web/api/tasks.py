"""Tasks: the inbox (every view, filter, sort and cursor), one task, and the team
commands: claim, unclaim, assign, delegate, act."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from flask_openapi3.models.tag import Tag
from sqlalchemy.orm import Session

from web.api import bp
from web.api.models import (
    ActBody,
    AssignBody,
    DelegateBody,
    IdempotencyHeader,
    InboxViewQuery,
    Instance,
    Task,
    TaskPage,
    TaskPath,
    problem_content,
)
from web.api.respond import Made, changing, instance_json, json_response, page_links, task_json
from web.principal import current_principal, requires
from web.uow import read_session, services
from workflow import Actor, InboxQuery, find_task

TAG = [Tag(name="tasks", description="Inboxes and the work on tasks")]
CONFLICT: dict[Any, Any] = {
    409: problem_content("Stale or duplicate: someone changed the task first")
}


def _fields(pairs: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for pair in pairs:
        name, _, raw = pair.partition("=")
        try:
            found[name] = json.loads(raw)
        except ValueError:
            found[name] = raw
    return found


@bp.get("/tasks", tags=TAG, responses={200: TaskPage})
@requires("tasks:act")
def inbox(query: InboxViewQuery) -> Response:
    """One page of the token's person's inbox: ``mine``, ``queues``, ``overdue`` or
    ``completed``, filtered and sorted as the engine allows."""
    inbox_query = InboxQuery(
        query.view,
        workflow=query.workflow,
        state=query.state,
        queue=query.queue,
        fields=_fields(query.field),
        due_after=query.due_after,
        due_before=query.due_before,
        sort=query.sort,
        limit=query.limit,
        cursor=query.cursor,
    )
    with read_session() as session:
        actor = current_principal().actor(session)
        page = services().engine.inbox_page(session, actor=actor, query=inbox_query)
    return json_response(
        TaskPage.model_validate(
            {
                "items": [task_json(t) for t in page.items],
                "next_cursor": page.next_cursor,
                "links": page_links("api.inbox", page.next_cursor),
            }
        )
    )


def _seen(session: Session, path: TaskPath) -> Actor:
    """The caller as an actor, once the task is known to be within its boundary."""
    principal = current_principal()
    actor = principal.actor(session)
    find_task(session, path.task_id, viewer=actor if principal.user is not None else None)
    return actor


@bp.get("/tasks/<uuid:task_id>", tags=TAG, responses={200: Task})
@requires("tasks:act")
def get_task(path: TaskPath) -> Response:
    """One task (404 when it is outside the caller's departments)."""
    with read_session() as session:
        principal = current_principal()
        viewer = principal.actor(session) if principal.user is not None else None
        task = find_task(session, path.task_id, viewer=viewer)
    return json_response(Task.model_validate(task_json(task)))


@bp.post("/tasks/<uuid:task_id>/claim", tags=TAG, responses={200: Task, **CONFLICT})
@requires("tasks:act")
def claim(path: TaskPath, header: IdempotencyHeader) -> Response:
    """Take an unclaimed task from a queue you are in; a second claimer gets a 409."""

    def make(session: Session) -> Made:
        actor = _seen(session, path)
        task = services().engine.claim(session, task_id=path.task_id, actor=actor)
        return 200, Task.model_validate(task_json(task)), {}

    return changing(make)


@bp.post("/tasks/<uuid:task_id>/unclaim", tags=TAG, responses={200: Task, **CONFLICT})
@requires("tasks:act")
def unclaim(path: TaskPath, header: IdempotencyHeader) -> Response:
    """Put a claimed task back in its queue (its assignee or a queue lead)."""

    def make(session: Session) -> Made:
        actor = _seen(session, path)
        task = services().engine.unclaim(session, task_id=path.task_id, actor=actor)
        return 200, Task.model_validate(task_json(task)), {}

    return changing(make)


@bp.post("/tasks/<uuid:task_id>/assign", tags=TAG, responses={200: Task, **CONFLICT})
@requires("tasks:act")
def assign(path: TaskPath, body: AssignBody, header: IdempotencyHeader) -> Response:
    """A queue lead assigns the task to a member of its queue."""

    def make(session: Session) -> Made:
        actor = _seen(session, path)
        task = services().engine.assign(
            session, task_id=path.task_id, assignee=body.assignee, actor=actor
        )
        return 200, Task.model_validate(task_json(task)), {}

    return changing(make)


@bp.post("/tasks/<uuid:task_id>/delegate", tags=TAG, responses={200: Task, **CONFLICT})
@requires("tasks:act")
def delegate(path: TaskPath, body: DelegateBody, header: IdempotencyHeader) -> Response:
    """Let someone act on the task on the assignee's behalf."""

    def make(session: Session) -> Made:
        actor = _seen(session, path)
        task = services().engine.delegate(session, task_id=path.task_id, to=body.to, actor=actor)
        return 200, Task.model_validate(task_json(task)), {}

    return changing(make)


@bp.post("/tasks/<uuid:task_id>/act", tags=TAG, responses={200: Instance, **CONFLICT})
@requires("tasks:act")
def act(path: TaskPath, body: ActBody, header: IdempotencyHeader) -> Response:
    """Complete the task with one of its actions; ``expected_version`` guards against
    acting on a task someone else changed (409)."""

    def make(session: Session) -> Made:
        actor = _seen(session, path)
        view = services().engine.act(
            session,
            task_id=path.task_id,
            action=body.action,
            actor=actor,
            data=body.data,
            expected_version=body.expected_version,
        )
        return 200, Instance.model_validate(instance_json(view)), {}

    return changing(make)
