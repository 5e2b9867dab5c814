"""The API's OpenAPI 3.1 document and its browsable docs (public: they describe,
they do not expose data).

The document is flask-openapi3's, generated from the pydantic models the views
validate with; this module only adjusts what the generator cannot know: errors are
``application/problem+json``, and the bearer scheme.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template
from flask_openapi3.openapi import OpenAPI

from web.principal import public

__all__ = ["bp", "openapi_document"]

bp = Blueprint("apidocs", __name__, url_prefix="/api", template_folder="templates")
VALIDATION_STATUS = "422"


def openapi_document(app: OpenAPI) -> dict[str, Any]:
    document = copy.deepcopy(app.api_doc)
    document.get("components", {}).get("schemas", {}).pop("ValidationErrorModel", None)
    return document


@bp.get("/openapi.json")
@public
def openapi_json() -> Response:
    """The OpenAPI 3.1 document."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return jsonify(openapi_document(app))


@bp.get("/docs")
@public
def docs() -> str:
    """Browsable API docs, rendered in the browser from the vendored assets."""
    return render_template("api_docs.html")
