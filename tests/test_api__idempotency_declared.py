"""Every POST under /api/v1 creates or acts, so every one declares the
Idempotency-Key header in the OpenAPI document (a new POST that forgets it fails here)."""

from __future__ import annotations

import re
from typing import Any


def test_every_api_post_declares_the_idempotency_key_header(app: Any, client: Any) -> None:
    document = client.get("/api/openapi.json").get_json()
    posts = [
        re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and "POST" in (rule.methods or ())
    ]
    assert "/api/v1/webhooks" in posts and "/api/v1/instances" in posts
    undeclared = [
        path
        for path in posts
        if not any(
            p.get("in") == "header" and p.get("name") == "Idempotency-Key"
            for p in document["paths"][path]["post"].get("parameters", [])
        )
    ]
    assert undeclared == []
