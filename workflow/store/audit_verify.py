"""``civicflow audit verify``: re-hash every stream and compare with the recorded heads."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.runtime.audit import AuditFinding, AuditRecord, verify_stream
from workflow.store.models import AuditRow, AuditStreamRow, InstanceRow

__all__ = ["verify_audit"]


def verify_audit(session: Session) -> tuple[int, list[AuditFinding]]:
    """(records checked, findings). Streams are read in storage order, in batches."""
    heads: dict[str, tuple[int, str | None]] = {
        f"instance:{i.id}": (i.audit_seq, i.audit_head)
        for i in session.execute(
            select(InstanceRow.id, InstanceRow.audit_seq, InstanceRow.audit_head)
        )
    }
    heads.update(
        (s.stream, (s.seq, s.head))
        for s in session.execute(
            select(AuditStreamRow.stream, AuditStreamRow.seq, AuditStreamRow.head)
        )
    )
    findings: list[AuditFinding] = []
    checked = 0
    seen: set[str] = set()
    for stream, rows in _streams(session):
        seen.add(stream)
        checked += len(rows)
        head_seq, head_hash = heads.get(stream, (None, None))
        if stream not in heads:
            findings.append(AuditFinding(stream, None, None, "no owner records this stream's head"))
        findings.extend(verify_stream(stream, rows, head_seq=head_seq, head_hash=head_hash))
    for stream, (seq, _head) in heads.items():
        if seq and stream not in seen:
            findings.append(
                AuditFinding(stream, seq, None, f"all {seq} records of this stream are missing")
            )
    return checked, findings


def _streams(
    session: Session,
) -> Iterator[tuple[str, list[tuple[int, AuditRecord, str | None, str]]]]:
    query = (
        select(AuditRow).order_by(AuditRow.stream, AuditRow.id).execution_options(yield_per=2000)
    )
    current: str | None = None
    batch: list[tuple[int, AuditRecord, str | None, str]] = []
    for row in session.scalars(query):
        if row.stream != current:
            if current is not None:
                yield current, batch
            current, batch = row.stream, []
        record = AuditRecord(
            stream=row.stream,
            seq=row.seq,
            at=row.at,
            actor=row.actor,
            actor_idp=row.actor_idp,
            on_behalf_of=row.on_behalf_of,
            action=row.action,
            instance_id=row.instance_id,
            task_id=row.task_id,
            state_before=row.state_before,
            state_after=row.state_after,
            details=row.details,
        )
        batch.append((row.id, record, row.prev_hash, row.hash))
    if current is not None:
        yield current, batch
