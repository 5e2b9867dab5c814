"""Authentication is structural: every registered route except the declared public
ones refuses a request without credentials, whatever blueprint added it."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from web.principal import is_public

PUBLIC = {
    "static",
    "ops.healthz",
    "ops.readyz",
    "apidocs.openapi_json",
    "apidocs.docs",
    # signing in happens before there is a session; the provider's server calls
    # back-channel logout with a signed logout token, not a session
    "auth.login",
    "auth.start",
    "auth.callback",
    "auth.step_up",
    "auth.logout",
    "auth.backchannel_logout",
}


def _sample_path(rule: str) -> str:
    rule = re.sub(r"<int:[^>]+>", "1", rule)
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", "00000000-0000-0000-0000-000000000000", rule)


def test_only_the_declared_views_are_public(app: Flask) -> None:
    public = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if is_public(view) or endpoint == "static"
    }
    assert public <= PUBLIC | {e for e in public if e.startswith("hooks.")}


def test_every_other_route_refuses_anonymous_requests(app: Flask, client: Any) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.startswith("hooks."):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(_sample_path(rule.rule), method=method)
            if rule.endpoint.startswith("ui."):  # pages send a person to sign in
                assert response.status_code == 302, (method, rule.rule, response.status_code)
                assert response.headers["Location"].startswith("/auth/login?next=")
            else:
                assert response.status_code == 401, (method, rule.rule, response.status_code)
                assert response.get_json()["type"] == "urn:civicflow:problem:unauthenticated"
            checked += 1
    assert checked == sum(
        len((r.methods or set()) - {"HEAD", "OPTIONS"})
        for r in app.url_map.iter_rules()
        if r.endpoint not in PUBLIC and not r.endpoint.startswith("hooks.")
    )
