"""Request and response models shared by the API's views and its OpenAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
