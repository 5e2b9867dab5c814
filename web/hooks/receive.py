"""``POST /hooks/{source}``: a signed webhook starts or signals a workflow.

The view is a thin adapter around ``integrations.inbound.Inbound.receive``: the
raw body and headers go in (the signature covers the exact bytes, so the body is not
parsed before it is verified), the result comes out as JSON, and errors become
problems in ``web.problems``. One unit of work per request: the start or signal and
the message's receipt commit together. A concurrent duplicate (same ``webhook-id``
or business key) answers 409; sent again, it gets the first message's answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from flask import Response, current_app, json, request
from flask_openapi3.models.tag import Tag
from pydantic import BaseModel, Field

from integrations.inbound import Inbound
from web.api.models import problem_content
from web.hooks import bp
from web.principal import public
from web.uow import services, unit_of_work

__all__ = ["receive"]

EXTENSION = "civicflow.inbound"
TAG = [Tag(name="hooks", description="Inbound Standard Webhooks (docs/webhooks.md)")]


class SourcePath(BaseModel):
    source: str = Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=100)


class HookAnswer(BaseModel):
    result: str = Field(description="started | existing | signalled | kept")
    workflow: str
    instance_id: str
    business_key: str | None
    state: str
    status: str
    event: str | None = None


RESPONSES: dict[Any, Any] = {
    200: HookAnswer,
    201: HookAnswer,
    400: problem_content("The body is not a JSON object"),
    401: problem_content("Missing, stale or non-matching signature"),
    404: problem_content("Unknown source, or no instance with that business key"),
    409: problem_content("The instance does not wait for the event, or a concurrent duplicate"),
    413: problem_content("Body over the limit"),
    415: problem_content("Not application/json"),
    422: problem_content("No trigger matches, no business key, or invalid input"),
}


def inbound() -> Inbound:
    """The app's ``Inbound`` (its compiled JSONPaths and decoded keys are reused)."""
    found: Inbound | None = current_app.extensions.get(EXTENSION)
    if found is None:
        shared = services()
        settings = shared.settings
        found = Inbound(shared.engine, settings.webhook_secret, max_body=settings.webhook_max_body)
        current_app.extensions[EXTENSION] = found
    return found


@bp.post("/<source>", tags=TAG, responses=RESPONSES)
@public
def receive(path: SourcePath) -> Response:
    """Authenticated by its Standard Webhooks signature, not by a token."""
    hooks = inbound()
    body = request.get_data(cache=False)
    with unit_of_work() as session:
        result = hooks.receive(
            session,
            source=path.source,
            headers=cast(Mapping[str, str], request.headers),
            body=body,
            content_type=request.mimetype or None,
        )
    response = Response(json.dumps(result.body), status=result.status, mimetype="application/json")
    if result.replayed:
        response.headers["Webhook-Replayed"] = "true"
    return response
