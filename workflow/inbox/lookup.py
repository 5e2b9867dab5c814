"""Read-only questions the web API asks that the engine's commands do not answer:
a definition's versions and source, one task, instance search, and the department
boundary (who may see which task or instance).

The boundary: a person sees a task when its queue belongs to a department they have
a queue in, or when they hold, were delegated or completed it; an instance when they
started it or see one of its tasks. ``viewer=None`` is a caller bound by no person
(an integration's token, the command line), which sees everything its scopes allow.
Anything outside the boundary is reported exactly like something that does not
exist (``NotFoundError``), so its existence is not revealed.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.errors import InvalidDataError, NotFoundError
from workflow.store.models import DefinitionRow, InstanceRow, TaskRow
from workflow.store.repository import Store, definition_info, task_view
from workflow.views import DefinitionInfo, InstanceView, TaskView

__all__ = [
    "InstancePage",
    "definition_source",
    "definition_versions",
    "departments",
    "find_instance",
    "find_task",
    "search_instances",
]

MAX_PAGE = 200


def departments(actor: Actor) -> frozenset[str]:
    return frozenset(queue.split("/", 1)[0] for queue in actor.queues)


def _task_visible(viewer: Actor) -> ColumnElement[bool]:
    prefixes = [TaskRow.queue.startswith(f"{d}/", autoescape=True) for d in departments(viewer)]
    personal = [
        TaskRow.assignee == viewer.id,
        TaskRow.delegate == viewer.id,
        TaskRow.completed_by == viewer.id,
        TaskRow.on_behalf_of == viewer.id,
    ]
    return or_(*prefixes, *personal) if prefixes or personal else false()


def _instance_visible(viewer: Actor) -> ColumnElement[bool]:
    return or_(
        InstanceRow.created_by == viewer.id,
        exists().where(TaskRow.instance_id == InstanceRow.id, _task_visible(viewer)),
    )


def definition_versions(session: Session, key: str) -> list[DefinitionInfo]:
    rows = session.scalars(
        select(DefinitionRow).where(DefinitionRow.key == key).order_by(DefinitionRow.version)
    ).all()
    if not rows:
        raise NotFoundError(f"no workflow '{key}'", workflow=key)
    return [definition_info(row) for row in rows]


def definition_source(session: Session, key: str, version: int | None = None) -> str:
    """The YAML text of a version (the latest by default)."""
    query = select(DefinitionRow.source).where(DefinitionRow.key == key)
    if version is not None:
        query = query.where(DefinitionRow.version == version)
    source = session.scalar(query.order_by(DefinitionRow.version.desc()).limit(1))
    if source is None:
        raise NotFoundError(f"no workflow '{key}' version {version}", workflow=key)
    return source


def find_task(session: Session, task_id: uuid.UUID, *, viewer: Actor | None) -> TaskView:
    query = select(TaskRow).where(TaskRow.id == task_id)
    if viewer is not None:
        query = query.where(_task_visible(viewer))
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFoundError(f"no task {task_id}")
    return task_view(row)


def find_instance(
    session: Session, instance_id: uuid.UUID, *, viewer: Actor | None, history: bool = True
) -> InstanceView:
    query = select(InstanceRow).where(InstanceRow.id == instance_id)
    if viewer is not None:
        query = query.where(_instance_visible(viewer))
    row = session.scalars(query).one_or_none()
    if row is None:
        raise NotFoundError(f"no instance {instance_id}")
    store = Store(session)
    view = store.instance_view(row, history=False)
    if history:
        view = replace(view, history=tuple(store.history(row.id)))
    return view


@dataclass(frozen=True, slots=True)
class InstancePage:
    items: tuple[InstanceView, ...]
    next_cursor: str | None


def _encode(created_at: datetime, instance_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(instance_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, ident = json.loads(raw)
        return datetime.fromisoformat(moment), uuid.UUID(ident)
    except (ValueError, TypeError) as error:
        raise InvalidDataError("the cursor is not one this API gave out") from error


def search_instances(
    session: Session,
    *,
    viewer: Actor | None,
    workflow: str | None = None,
    state: str | None = None,
    status: str | None = None,
    business_key: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> InstancePage:
    """Instances, newest first, filtered; ``next_cursor`` continues after the page."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidDataError(f"limit is 1 to {MAX_PAGE}")
    query = select(InstanceRow)
    conditions: list[ColumnElement[bool]] = []
    if workflow is not None:
        conditions.append(InstanceRow.workflow_key == workflow)
    if state is not None:
        conditions.append(InstanceRow.state == state)
    if status is not None:
        conditions.append(InstanceRow.status == status)
    if business_key is not None:
        conditions.append(InstanceRow.business_key == business_key)
    if viewer is not None:
        conditions.append(_instance_visible(viewer))
    if cursor is not None:
        moment, ident = _decode(cursor)
        conditions.append(
            or_(
                InstanceRow.created_at < moment,
                and_(InstanceRow.created_at == moment, InstanceRow.id < ident),
            )
        )
    rows = session.scalars(
        query.where(*conditions)
        .order_by(InstanceRow.created_at.desc(), InstanceRow.id.desc())
        .limit(limit + 1)
    ).all()
    store = Store(session)
    page = rows[:limit]
    items = tuple(store.instance_view(row, history=False) for row in page)
    more = len(rows) > limit
    return InstancePage(items, _encode(page[-1].created_at, page[-1].id) if more else None)
