"""API tokens as an authenticator (``Authorization: Bearer cf_…``).

Verifying a token is its own small unit of work: it reads the token and, at most
once a minute per token, records its last use. That bookkeeping is committed even
when the request it authenticated is then refused, which is what "last use" means.
"""

from __future__ import annotations

from flask import Request

from civicflow.services import Services
from web.principal import Principal
from web.problems import ProblemError
from workflow import ApiTokens

__all__ = ["token_principal"]

SCHEME = "bearer"


def token_principal(request: Request, services: Services) -> Principal | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != SCHEME:
        return None  # not a token request: another authenticator may know it
    secret = secret.strip()
    with services.db.transaction() as session:
        info = ApiTokens(session).verify(secret, now=services.engine.clock.now())
    if info is None:
        raise ProblemError(
            "unauthenticated",
            "the token is unknown or revoked",
            headers={"WWW-Authenticate": 'Bearer realm="civicflow", error="invalid_token"'},
        )
    return Principal(
        kind="token",
        id=str(info.id),
        name=info.name,
        scopes=frozenset(info.scopes),
        user=info.user,
        idp="api-token",
        mfa=False,  # a token never satisfies assurance: mfa
    )
