"""The audit trail's hash chain: canonical form, hashing and verification.

Each record's hash covers its own fields and the previous record's hash, so an
edited, deleted or reordered record breaks the chain at a point ``verify_stream``
can name. Pure functions: the store feeds records in, and gets findings out.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["AuditFinding", "AuditRecord", "canonical_json", "record_hash", "verify_stream"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What an audit record says, independent of how it is stored."""

    stream: str
    seq: int
    at: datetime
    actor: str
    actor_idp: str
    on_behalf_of: str | None
    action: str
    instance_id: uuid.UUID | None
    task_id: uuid.UUID | None
    state_before: str | None
    state_after: str | None
    details: Mapping[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "seq": self.seq,
            "at": self.at.isoformat(timespec="microseconds"),
            "actor": self.actor,
            "actor_idp": self.actor_idp,
            "on_behalf_of": self.on_behalf_of,
            "action": self.action,
            "instance_id": str(self.instance_id) if self.instance_id else None,
            "task_id": str(self.task_id) if self.task_id else None,
            "state_before": self.state_before,
            "state_after": self.state_after,
            "details": self.details,
        }


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: one byte string per value."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def record_hash(record: AuditRecord, prev_hash: str | None) -> str:
    body = {"prev": prev_hash, "record": record.as_json()}
    return hashlib.sha256(canonical_json(body)).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditFinding:
    """One break in the chain, said so an auditor can find the record."""

    stream: str
    seq: int | None
    record_id: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.stream} #{self.seq}" if self.seq is not None else self.stream
        rid = f" (row id {self.record_id})" if self.record_id is not None else ""
        return f"{where}{rid}: {self.problem}"


def verify_stream(
    stream: str,
    records: Iterable[tuple[int, AuditRecord, str | None, str]],
    *,
    head_seq: int | None,
    head_hash: str | None,
) -> list[AuditFinding]:
    """Check one stream, given ``(row id, record, prev_hash, hash)`` in storage order
    (ascending row id) and the head the stream's owner recorded.

    Storage order matters: records are appended in order, so a record whose seq is
    not one more than the last means something was deleted or moved.
    """
    findings: list[AuditFinding] = []
    expected_seq = 1
    prev: str | None = None
    for row_id, record, stored_prev, stored_hash in records:
        if record.seq != expected_seq:
            problem = (
                f"expected record #{expected_seq} here but found #{record.seq}: "
                "records were deleted or reordered"
            )
            findings.append(AuditFinding(stream, record.seq, row_id, problem))
        if stored_prev != prev:
            findings.append(
                AuditFinding(
                    stream,
                    record.seq,
                    row_id,
                    "does not link to the record before it (deleted, inserted or reordered)",
                )
            )
        if record_hash(record, stored_prev) != stored_hash:
            findings.append(
                AuditFinding(stream, record.seq, row_id, "content does not match its hash (edited)")
            )
        prev = stored_hash
        expected_seq = record.seq + 1
    last_seq = expected_seq - 1
    if head_seq is not None and head_seq != last_seq:
        findings.append(
            AuditFinding(
                stream,
                head_seq,
                None,
                f"the stream should end at record #{head_seq} but ends at #{last_seq}: "
                "records at the end were deleted",
            )
        )
    elif head_hash is not None and head_hash != prev:
        findings.append(
            AuditFinding(stream, last_seq, None, "the last record is not the recorded head")
        )
    return findings
