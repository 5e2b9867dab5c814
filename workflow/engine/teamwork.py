"""Working a shared inbox: claiming, releasing, assigning, delegating, priorities,
comments and attachments. Who may do what is decided here, on the server, and every
change is audited on the instance's chain in the same transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.engine.base import EngineBase, conflict_means
from workflow.engine.events import (
    TaskAssigned,
    TaskClaimed,
    TaskDelegated,
    TaskEvent,
    TaskPrioritized,
    TaskUnclaimed,
)
from workflow.errors import ForbiddenError, InvalidDataError, NotFoundError
from workflow.inbox.query import InboxPage, InboxQuery, inbox
from workflow.limits import MAX_COMMENT, MAX_EMAIL, MAX_FILENAME, check_text
from workflow.people.registry import People
from workflow.runtime.permissions import (
    may_assign,
    may_claim,
    may_comment,
    may_delegate,
    may_prioritize,
    may_unclaim,
)
from workflow.store.files import AttachmentStore
from workflow.store.models import AttachmentRow, CommentRow, InstanceRow, TaskRow
from workflow.store.repository import Store
from workflow.views import AttachmentView, CommentView, TaskView

__all__ = ["Teamwork"]

_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


class Teamwork(EngineBase):
    @conflict_means("someone else changed this task first; reload it")
    def claim(self, session: Session, *, task_id: uuid.UUID, actor: Actor) -> TaskView:
        """Take an open task from the queue; a second claimer gets a conflict."""
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        self._refuse(may_claim(task, actor))
        return self._change(store, task, instance, actor, TaskClaimed, assignee=actor.id)

    @conflict_means("someone else changed this task first; reload it")
    def unclaim(self, session: Session, *, task_id: uuid.UUID, actor: Actor) -> TaskView:
        """Put a claimed task back in the queue (its assignee or a queue lead)."""
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        self._refuse(may_unclaim(task, actor))
        return self._change(
            store, task, instance, actor, TaskUnclaimed, assignee=None, delegate=None
        )

    @conflict_means("someone else changed this task first; reload it")
    def assign(
        self, session: Session, *, task_id: uuid.UUID, assignee: str | None, actor: Actor
    ) -> TaskView:
        """A queue lead assigns (or reassigns) a task to a member of its queue.

        If the assignee is away, the notification goes to their substitute, who may
        act on their behalf."""
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        self._refuse(may_assign(task, actor))
        people = People(session)
        if assignee is not None:
            assignee = check_text(assignee, what="the assignee", max_length=MAX_EMAIL).lower()
            if not people.is_member(assignee, task.queue):
                raise InvalidDataError(
                    f"{assignee} is not a member of '{task.queue}'", task=str(task.id)
                )
        view = self._change(
            store, task, instance, actor, TaskAssigned, assignee=assignee, delegate=None
        )
        if assignee is not None:
            away = people.substitute_of(assignee, self.clock.now().date())
            self._notify(
                store,
                [away or assignee],
                kind="task.assigned",
                subject=f"Assigned to {'you' if away is None else assignee}: {task.title}",
                body=f"{actor.name or actor.id} assigned you '{task.title}' ({task.queue})."
                + (f" You are substituting for {assignee}." if away else ""),
                task=task,
            )
        return view

    @conflict_means("someone else changed this task first; reload it")
    def delegate(self, session: Session, *, task_id: uuid.UUID, to: str, actor: Actor) -> TaskView:
        """The assignee (or a queue lead) lets someone else act on the assignee's behalf.

        The delegate's actions are audited as "delegate on behalf of assignee", and the
        four-eyes rule treats them as the assignee's."""
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        self._refuse(may_delegate(task, actor))
        to = check_text(to, what="the delegate", max_length=MAX_EMAIL).lower()
        if to == task.assignee:
            raise InvalidDataError(
                "a task cannot be delegated to its own assignee", task=str(task.id)
            )
        people = People(session)
        if not people.exists(to):
            raise InvalidDataError(f"{to} is not a known person", task=str(task.id))
        self._check_delegate(store, people, task, instance, to)
        view = self._change(store, task, instance, actor, TaskDelegated, delegate=to)
        self._notify(
            store,
            [to],
            kind="task.delegated",
            subject=f"Delegated to you: {task.title}",
            body=f"{actor.name or actor.id} asked you to act on '{task.title}' on behalf of "
            f"{task.assignee}.",
            task=task,
        )
        return view

    @conflict_means("someone else changed this task first; reload it")
    def prioritize(
        self, session: Session, *, task_id: uuid.UUID, priority: int, actor: Actor
    ) -> TaskView:
        store = Store(session)
        task, instance = store.task_for_update(task_id)
        self._refuse(may_prioritize(task, actor))
        if not -100 <= priority <= 100:
            raise InvalidDataError("priority must be between -100 and 100", task=str(task.id))
        return self._change(store, task, instance, actor, TaskPrioritized, priority=priority)

    @conflict_means("the case changed while the comment was saved; send it again")
    def comment(
        self,
        session: Session,
        *,
        instance_id: uuid.UUID,
        body: str,
        actor: Actor,
        task_id: uuid.UUID | None = None,
    ) -> CommentView:
        """Comment on an instance or one of its tasks; ``@person@agency.gov`` mentions
        known people, who are notified."""
        body = check_text(body.strip(), what="the comment", max_length=MAX_COMMENT)
        if not body:
            raise InvalidDataError(f"a comment has 1 to {MAX_COMMENT} characters")
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        task = self._task_of(store, instance, task_id)
        self._refuse(may_comment(self._case_tasks(store, instance, task), actor, instance.id))
        people = People(session)
        mentions = sorted({m.lower() for m in _MENTION.findall(body) if people.exists(m)})
        now = self.clock.now()
        row = CommentRow(
            id=uuid.uuid4(),
            instance_id=instance.id,
            task_id=task_id,
            author=actor.id,
            body=body,
            mentions=mentions,
            created_at=now,
        )
        store.add(row)
        self._record(
            store,
            instance,
            actor,
            "comment.added",
            task_id,
            {"comment_id": str(row.id), "mentions": mentions},
        )
        self._notify(
            store,
            [m for m in mentions if m != actor.id],
            kind="comment.mention",
            subject=f"{actor.name or actor.id} mentioned you",
            body=body,
            task=task,
            instance_id=instance.id,
        )
        session.flush()
        return CommentView(
            id=row.id,
            instance_id=instance.id,
            task_id=task_id,
            author=row.author,
            body=row.body,
            mentions=tuple(mentions),
            created_at=now,
        )

    @conflict_means("the case changed while the file was saved; upload it again")
    def attach(
        self,
        session: Session,
        *,
        instance_id: uuid.UUID,
        filename: str,
        content_type: str,
        content: bytes,
        files: AttachmentStore,
        actor: Actor,
        task_id: uuid.UUID | None = None,
    ) -> AttachmentView:
        """Attach a file; its type and size are checked before anything is stored."""
        filename = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
        check_text(filename, what="the file name", max_length=MAX_FILENAME)
        if not filename:
            raise InvalidDataError(f"the file needs a name of at most {MAX_FILENAME} characters")
        files.check(filename, content_type, content)
        store = Store(session)
        instance = store.instance(instance_id, lock=True)
        task = self._task_of(store, instance, task_id)
        self._refuse(may_comment(self._case_tasks(store, instance, task), actor, instance.id))
        digest = files.put(content)
        now = self.clock.now()
        row = AttachmentRow(
            id=uuid.uuid4(),
            instance_id=instance.id,
            task_id=task_id,
            filename=filename,
            content_type=content_type,
            size=len(content),
            sha256=digest,
            uploaded_by=actor.id,
            created_at=now,
        )
        store.add(row)
        self._record(
            store,
            instance,
            actor,
            "attachment.added",
            task_id,
            {
                "attachment_id": str(row.id),
                "filename": filename,
                "sha256": digest,
                "size": len(content),
            },
        )
        session.flush()
        return AttachmentView(
            id=row.id,
            instance_id=instance.id,
            task_id=task_id,
            filename=filename,
            content_type=content_type,
            size=len(content),
            sha256=digest,
            uploaded_by=actor.id,
            created_at=now,
        )

    def inbox(
        self,
        session: Session,
        *,
        actor: Actor,
        view: str = "queues",
        status: str = "open",
        limit: int = 100,
    ) -> list[TaskView]:
        """The first page of an inbox view, for callers that want a plain list.

        ``status`` is kept for older callers: ``completed`` lists what the actor
        completed (the ``completed`` view); ``inbox_page`` takes the full query."""
        if status not in ("open", "completed"):
            raise InvalidDataError(f"unknown status '{status}': use open or completed")
        if status == "completed":
            if view not in ("mine", "completed"):
                raise InvalidDataError(
                    "completed tasks are listed per person: use view mine (or completed)"
                )
            view = "completed"
        return self.inbox_page(session, actor=actor, query=InboxQuery(view, limit=limit)).items

    def inbox_page(self, session: Session, *, actor: Actor, query: InboxQuery) -> InboxPage:
        """One page of ``actor``'s inbox (see ``workflow.inbox.query``), as of the engine's
        clock: it decides what is overdue and whom the actor substitutes for today."""
        return inbox(session, actor, query, now=self.clock.now())

    # -- internals -----------------------------------------------------------------------

    def _task_of(
        self, store: Store, instance: InstanceRow, task_id: uuid.UUID | None
    ) -> TaskRow | None:
        if task_id is None:
            return None
        task = store.session.get(TaskRow, task_id)
        if task is None or task.instance_id != instance.id:
            raise NotFoundError(f"no task {task_id} in this instance", task=str(task_id))
        return task

    def _case_tasks(
        self, store: Store, instance: InstanceRow, task: TaskRow | None
    ) -> Sequence[TaskRow]:
        """The tasks whose staff may comment: the one commented on, else all the case's."""
        return [task] if task is not None else store.tasks_of(instance.id)

    def _check_delegate(
        self, store: Store, people: People, task: TaskRow, instance: InstanceRow, to: str
    ) -> None:
        """A task goes to someone who could work it anyway — a member of its queue or
        the assignee's declared substitute — unless its definition says
        ``delegate: anyone``."""
        _, runtime = self.pinned(store, instance.definition_id)
        if runtime.spec.task_spec(task.state, task.branch).delegate == "anyone":
            return
        assignee = task.assignee or ""
        today = self.clock.now().date()
        if people.is_member(to, task.queue) or people.is_declared_substitute(
            to, of=assignee, today=today
        ):
            return
        raise ForbiddenError(
            f"{to} is neither a member of '{task.queue}' nor a declared substitute of "
            f"{assignee}; this task may be delegated only to them (the definition can "
            "allow more with 'delegate: anyone')",
            task=str(task.id),
            queue=task.queue,
        )

    def _change(
        self,
        store: Store,
        task: TaskRow,
        instance: InstanceRow,
        actor: Actor,
        event: type[TaskEvent],
        **changes: Any,
    ) -> TaskView:
        before = {name: getattr(task, name) for name in changes}
        for name, value in changes.items():
            setattr(task, name, value)
        details = {"before": before, "after": changes}
        return self._task_changed(store, task, instance, actor, event, details)
