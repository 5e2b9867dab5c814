"""One error hierarchy for everything Civicflow refuses.

Every error carries the context a person needs to act on it (the instance, state,
task, action, or ``file:line`` of a definition). The web layer maps these classes to
HTTP status codes in exactly one place; nothing below it knows about HTTP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BusyError",
    "CivicflowError",
    "ConflictError",
    "DefinitionError",
    "ExpressionError",
    "FieldError",
    "ForbiddenError",
    "InvalidDataError",
    "InvariantError",
    "NotFoundError",
    "Problem",
    "StoredContentError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a YAML file, located at ``file:line:col`` (1-based)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: error: {self.message}"


class CivicflowError(Exception):
    """Root of every error Civicflow raises on purpose.

    ``context`` holds the identifiers the error is about (instance, task, state,
    action...). It is safe to show to the person who made the request: it never
    holds internal state beyond those identifiers.
    """

    title = "Civicflow error"

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = {k: v for k, v in context.items() if v is not None}

    def __str__(self) -> str:
        return self.message


class DefinitionError(CivicflowError):
    """A workflow definition (or another operator YAML file) is invalid.

    Carries *all* problems found, so a process owner fixes them in one pass.
    """

    title = "Invalid definition"

    def __init__(self, problems: Sequence[Problem], **context: Any) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        first = str(self.problems[0]) if self.problems else "invalid definition"
        more = len(self.problems) - 1
        message = first if more <= 0 else f"{first} (and {more} more)"
        super().__init__(message, **context)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ExpressionError(CivicflowError):
    """A guard or title expression failed to evaluate at run time."""

    title = "Expression error"


class InvariantError(CivicflowError):
    """Something the validator or the engine guarantees did not hold: a decision
    state with no rule that matched, a transition the compiled machine lacks, a
    timer the engine cannot apply. It is a bug in Civicflow (or a spec that bypassed
    validation), not in the request: treat it like an unexpected exception (log it
    with its traceback; over HTTP, 500), not as a refusal the person can fix."""

    title = "Engine invariant violated"


class NotFoundError(CivicflowError):
    """The named definition, instance or task does not exist."""

    title = "Not found"


class StoredContentError(CivicflowError):
    """Stored bytes are missing, or are not the bytes that were recorded (another
    size or SHA-256): the server's storage failed or was tampered with, not the
    request. Nothing is handed out; over HTTP it is a logged 500 that says so, since
    no retry or other input can fix it — an operator restores the file."""

    title = "Stored content damaged"


class ConflictError(CivicflowError):
    """The action lost a race or is stale: someone else changed the thing first."""

    title = "Conflict"


class ForbiddenError(CivicflowError):
    """The actor may not do this (membership, four-eyes, assurance...)."""

    title = "Forbidden"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field of submitted data, addressed by a JSON pointer-like path."""

    path: str
    message: str


class InvalidDataError(CivicflowError):
    """Submitted data (input, form, event payload) does not match its schema, or the
    request names something the workflow does not offer (an unknown action)."""

    title = "Invalid data"

    def __init__(self, message: str, *, errors: Sequence[FieldError] = (), **context: Any) -> None:
        super().__init__(message, **context)
        self.errors: tuple[FieldError, ...] = tuple(errors)


class BusyError(CivicflowError):
    """The database is busy: another command holds a lock this one needed for longer
    than it waits. Nothing was changed; the same command can be retried shortly."""

    title = "Busy"
