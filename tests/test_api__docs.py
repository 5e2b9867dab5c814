"""The OpenAPI 3.1 document is generated from the models, and the browsable docs
load only vendored assets (no CDN)."""

from __future__ import annotations

import re
from typing import Any


def test_the_document_is_openapi_3_1_from_the_request_models(client: Any) -> None:
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    start = document["paths"]["/api/v1/instances"]["post"]
    body = start["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body == "#/components/schemas/StartBody"
    schema = document["components"]["schemas"]["StartBody"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"workflow"}
    problem = start["responses"]["422"]["content"]["application/problem+json"]
    assert problem["schema"]["$ref"] == "#/components/schemas/Problem"


def test_the_docs_page_loads_only_vendored_assets(client: Any) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    assert sources and all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        with client.get(source) as asset:
            assert asset.status_code == 200, source
