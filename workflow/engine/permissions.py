""" "What may this person do here?": the engine's answer for one task and one actor.

A read-only query for the UI's buttons and the API: it asks the same rules
(``workflow.runtime.permissions``) every command asks before it writes, and the
state machine of the task's definition version for the actions the task offers, so
what it allows is what the commands accept and what it refuses they refuse, for the
same reason.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from workflow.actors import Actor
from workflow.engine.base import EngineBase
from workflow.runtime.permissions import (
    Refusal,
    TaskPermissions,
    may_act,
    may_assign,
    may_claim,
    may_comment,
    may_delegate,
    may_prioritize,
    may_unclaim,
)
from workflow.store.repository import Store

__all__ = ["Permissions"]


class Permissions(EngineBase):
    def permissions(self, session: Session, *, task_id: uuid.UUID, actor: Actor) -> TaskPermissions:
        """What ``actor`` may do to the task now, and why not where they may not.

        Input a command also checks (form data, the person assigned or delegated to,
        a priority's range) is not known here: allowed means the actor may, given
        valid input. Writes nothing and locks nothing."""
        store = Store(session)
        task, instance = store.task(task_id)
        _, runtime = self.pinned(store, instance.definition_id)
        acting = may_act(
            task,
            actor,
            runtime.spec.task_spec(task.state, task.branch),
            substitute_of=self._substitutes(store),
            completers=lambda states: store.completers(instance.id, states),
        )
        refused = acting if isinstance(acting, Refusal) else None
        return TaskPermissions(
            task_id=task.id,
            actor=actor.id,
            on_behalf_of=None if isinstance(acting, Refusal) else acting.on_behalf_of,
            actions={name: refused for name in runtime.machine.offers(task.state, task.branch)},
            commands={
                "claim": may_claim(task, actor),
                "unclaim": may_unclaim(task, actor),
                "assign": may_assign(task, actor),
                "delegate": may_delegate(task, actor),
                "prioritize": may_prioritize(task, actor),
                "comment": may_comment([task], actor, instance.id),
            },
        )
