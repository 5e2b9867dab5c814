"""Request and response models shared by the API's views and its OpenAPI document."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["ERROR_RESPONSES", "Problem", "ProblemItem", "problem_content"]


class ProblemItem(BaseModel):
    """One invalid item: where (a JSON pointer into the body, a query parameter, or a
    line and column of an uploaded definition) and what is wrong."""

    model_config = ConfigDict(extra="allow")

    detail: str
    pointer: str | None = None
    parameter: str | None = None
    line: int | None = None
    column: int | None = None


class Problem(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a stable URI naming the kind of problem (docs/api.md)")
    title: str
    status: int
    detail: str | None = None
    errors: list[ProblemItem] | None = None


def problem_content(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


ERROR_RESPONSES: dict[Any, Any] = {
    400: problem_content("Malformed request (the body is not JSON, or a parameter is invalid)"),
    401: problem_content("No token, or a token that is unknown, revoked or expired"),
    403: problem_content("The token lacks a scope, or the engine refused (four-eyes, queue)"),
    404: problem_content("Not found, or not visible to this caller"),
    413: problem_content("Request body too large"),
    415: problem_content("Unsupported media type"),
    422: problem_content("Invalid data: one item per problem, each with a JSON pointer"),
    429: problem_content("Too many requests: see Retry-After"),
}


# -- shared shapes -------------------------------------------------------------------------


class Link(BaseModel):
    href: str


class Definition(BaseModel):
    key: str
    version: int
    title: str
    content_hash: str
    source_path: str
    registered_at: datetime


class DefinitionList(BaseModel):
    items: list[Definition]


class DefinitionDetail(BaseModel):
    key: str
    title: str
    latest: int
    versions: list[Definition]
    mermaid: str = Field(description="the latest version as a Mermaid flowchart")


class DefinitionCreated(Definition):
    created: bool = Field(description="false when the same content was already registered")


class Task(BaseModel):
    id: uuid.UUID
    instance_id: uuid.UUID
    workflow: str
    state: str
    branch: str | None
    title: str
    queue: str
    actions: list[str]
    status: str
    priority: int
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None
    completed_by: str | None
    on_behalf_of: str | None
    outcome: str | None
    version: int


class AuditRecord(BaseModel):
    seq: int
    at: datetime
    actor: str
    actor_idp: str
    on_behalf_of: str | None
    action: str
    state_before: str | None
    state_after: str | None
    task_id: uuid.UUID | None
    details: dict[str, Any]


class Instance(BaseModel):
    id: uuid.UUID
    workflow: str
    definition_version: int
    business_key: str | None
    state: str
    status: str
    input: dict[str, Any]
    data: dict[str, Any]
    created_at: datetime
    completed_at: datetime | None
    version: int
    tasks: list[Task]
    history: list[AuditRecord] | None = None


class Page(BaseModel):
    next_cursor: str | None
    links: dict[str, Link] = Field(description="``next`` when there is a next page")


class InstancePage(Page):
    items: list[Instance]


class TaskPage(Page):
    items: list[Task]


class Comment(BaseModel):
    id: str
    mentions: list[str]


class Attachment(BaseModel):
    """A file attached to the instance or one of its tasks; ``links.content`` downloads
    it (the bytes, in ``content_type``, checked against ``sha256``)."""

    id: uuid.UUID
    task_id: uuid.UUID | None
    filename: str
    content_type: str
    size: int = Field(description="in bytes")
    sha256: str
    uploaded_by: str
    created_at: datetime
    links: dict[str, Link] = Field(description="``content``: the file itself")


class AttachmentList(BaseModel):
    items: list[Attachment]


# -- requests --------------------------------------------------------------------------------

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Email = Annotated[
    str, StringConstraints(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartBody(Strict):
    workflow: Name = Field(description="the definition's key")
    input: dict[str, Any] = Field(default_factory=dict)
    business_key: Name | None = Field(
        default=None, description="unique per workflow: a second start with it is a 409"
    )


class SignalBody(Strict):
    event: Name
    data: dict[str, Any] | None = None


class CancelBody(Strict):
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class ActBody(Strict):
    action: Name
    data: dict[str, Any] | None = None
    expected_version: int | None = Field(
        default=None, description="the task's version you saw; a changed task is a 409"
    )


class AssignBody(Strict):
    assignee: Email | None = Field(description="a member of the task's queue; null unassigns")


class DelegateBody(Strict):
    to: Email


class CommentBody(Strict):
    body: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    task_id: uuid.UUID | None = None


class AbsenceBody(Strict):
    substitute: Email
    starts_on: date
    ends_on: date


class DefinitionPath(BaseModel):
    key: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class InstancePath(BaseModel):
    instance_id: uuid.UUID


class AttachmentPath(BaseModel):
    instance_id: uuid.UUID
    attachment_id: uuid.UUID


class TaskPath(BaseModel):
    task_id: uuid.UUID


class PersonPath(BaseModel):
    email: Email


class Cursor(BaseModel):
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=2000)] | None = None


class InstanceSearchQuery(Cursor):
    workflow: Name | None = None
    state: Name | None = None
    status: Literal["running", "completed", "cancelled"] | None = None
    business_key: Name | None = None


class InboxViewQuery(Cursor):
    view: Literal["mine", "queues", "overdue", "completed"] = "queues"
    workflow: Name | None = None
    state: Name | None = None
    queue: Name | None = None
    field: list[Annotated[str, StringConstraints(pattern=r"^[^=]+=.*$")]] = Field(
        default_factory=list,
        description="NAME=VALUE: the case's input field NAME equals VALUE (JSON when it "
        "parses as JSON, text otherwise); repeat for several",
    )
    due_after: AwareDatetime | None = None
    due_before: AwareDatetime | None = None
    sort: Literal["due", "created", "priority"] = "due"


class IdempotencyHeader(BaseModel):
    idempotency_key: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = Field(
        default=None, alias="Idempotency-Key"
    )
