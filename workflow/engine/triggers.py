"""What the inbound webhook adapter asks the engine: which workflows a source's
webhooks start or signal, and which instance a business key names.

Triggers are read from the *latest* version of each workflow (a new version's
triggers take over at once). The lookup reads only the ids and content hashes of
those versions; specs come from the runtime cache, so a webhook compiles nothing
after the first one per version.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.engine.base import EngineBase
from workflow.language.spec import WebhookTrigger
from workflow.store.models import DefinitionRow
from workflow.store.repository import Store
from workflow.views import InstanceView

__all__ = ["Triggers"]

# the newest version of every workflow (versions are numbered in id order); built once
_LATEST = (
    select(DefinitionRow.id, DefinitionRow.key, DefinitionRow.content_hash)
    .where(
        DefinitionRow.id.in_(
            select(func.max(DefinitionRow.id)).group_by(DefinitionRow.key).scalar_subquery()
        )
    )
    .order_by(DefinitionRow.key)
)


class Triggers(EngineBase):
    def webhook_triggers(self, session: Session, source: str) -> list[tuple[str, WebhookTrigger]]:
        """(workflow key, trigger) for every trigger of ``source``, in workflow order."""
        rows = session.connection().execute(_LATEST).all()
        found: list[tuple[str, WebhookTrigger]] = []
        store = Store(session)
        for definition_id, key, content_hash in rows:
            runtime = self._runtimes.get(content_hash)
            if runtime is None:
                runtime = self.runtime(store.definition(definition_id))
            found.extend((key, t) for t in runtime.spec.triggers if t.source == source)
        return found

    def instance_by_business_key(
        self, session: Session, workflow: str, business_key: str
    ) -> InstanceView | None:
        store = Store(session)
        row = store.instance_by_business_key(workflow, business_key)
        if row is None:
            return None
        version, _ = self.pinned(store, row.definition_id)
        return store.instance_view(row, version=version, history=False)
