"""Sign-ins in progress, kept in the browser in a signed, short-lived cookie.

Each flow is keyed by its ``state`` and remembers the provider it went to (the
mix-up defence compares the response against it), the ``nonce``, the PKCE verifier
and where to return. The cookie is signed with the app's secret key, so a browser
cannot forge one, and a flow is removed the moment its callback is handled, so a
replayed callback finds nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = ["COOKIE", "MAX_FLOWS", "TTL_SECONDS", "Pending", "dump", "load", "safe_next"]

COOKIE = "civicflow_login"
TTL_SECONDS = 600
MAX_FLOWS = 3  # a few tabs signing in at once; older flows are forgotten


@dataclass(frozen=True, slots=True)
class Pending:
    state: str
    provider: str
    nonce: str
    verifier: str
    next: str
    step_up: bool
    started: float  # seconds since the epoch, by the app's clock
    # a step-up that fails returns to ``next`` (which then finds no MFA and says so)
    # instead of ending on the refusal page: a page that kept the person's work
    back: bool = False


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="civicflow.auth.pending")


def load(value: str | None, secret: str) -> dict[str, Pending]:
    if not value:
        return {}
    try:
        raw: Any = _serializer(secret).loads(value, max_age=TTL_SECONDS)
    except BadSignature:
        return {}
    if not isinstance(raw, list):
        return {}
    flows: dict[str, Pending] = {}
    for item in raw:
        try:
            flow = Pending(**item)
        except TypeError:
            continue
        flows[flow.state] = flow
    return flows


def dump(flows: dict[str, Pending], secret: str) -> str:
    newest = sorted(flows.values(), key=lambda f: f.started)[-MAX_FLOWS:]
    return _serializer(secret).dumps([asdict(f) for f in newest])


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/auth/me"
    return value
