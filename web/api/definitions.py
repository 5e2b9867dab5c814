"""Definitions: list, one with its versions and diagram, upload (YAML)."""

from __future__ import annotations

from flask import Response, request, url_for
from flask_openapi3.models.tag import Tag
from sqlalchemy.orm import Session

from web.api import accepts, bp
from web.api.models import (
    Definition,
    DefinitionCreated,
    DefinitionDetail,
    DefinitionList,
    DefinitionPath,
    IdempotencyHeader,
    problem_content,
)
from web.api.respond import Made, changing, json_response
from web.principal import current_principal, requires
from web.problems import ProblemError
from web.uow import read_session, services
from workflow import (
    DefinitionInfo,
    compile_definition,
    definition_source,
    definition_versions,
    to_mermaid,
)

TAG = [Tag(name="definitions", description="Workflow definitions (YAML)")]
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def _definition(info: DefinitionInfo) -> Definition:
    return Definition(
        key=info.key,
        version=info.version,
        title=info.title,
        content_hash=info.content_hash,
        source_path=info.source_path,
        registered_at=info.registered_at,
    )


@bp.get("/definitions", tags=TAG, responses={200: DefinitionList})
def list_definitions() -> Response:
    """Every registered version of every workflow."""
    with read_session() as session:
        infos = services().engine.definitions(session)
    return json_response(DefinitionList(items=[_definition(i) for i in infos]))


@bp.get("/definitions/<key>", tags=TAG, responses={200: DefinitionDetail})
def get_definition(path: DefinitionPath) -> Response:
    """A workflow's versions and its latest version as a Mermaid diagram."""
    with read_session() as session:
        versions = definition_versions(session, path.key)
        source = definition_source(session, path.key)
    spec = compile_definition(source, f"{path.key}.yaml")
    return json_response(
        DefinitionDetail(
            key=path.key,
            title=versions[-1].title,
            latest=versions[-1].version,
            versions=[_definition(v) for v in versions],
            mermaid=to_mermaid(spec),
        )
    )


@bp.post(
    "/definitions",
    tags=TAG,
    responses={
        201: DefinitionCreated,
        200: DefinitionCreated,
        409: problem_content("Registered concurrently: send it again"),
    },
    openapi_extensions={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string"}} for t in YAML_TYPES[:1]},
        }
    },
)
@accepts(*YAML_TYPES)
@requires("definitions:write")
def upload_definition(header: IdempotencyHeader) -> Response:
    """Register a definition's YAML: 201 for a new version, 200 when this exact
    content is already registered, 422 listing every problem with line and column."""
    try:
        text = request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProblemError("malformed-request", "the definition is not UTF-8 text") from error
    if not text.strip():
        raise ProblemError("malformed-request", "send the definition's YAML as the body")

    def make(session: Session) -> Made:
        actor = current_principal().actor(session)
        info = services().engine.register(session, text, path="<api>", actor=actor)
        body = DefinitionCreated(**_definition(info).model_dump(), created=info.created)
        location = url_for("api.get_definition", key=info.key)
        return (201 if info.created else 200), body, {"Location": location}

    return changing(make)
