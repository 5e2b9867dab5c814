"""The browser session's cookie, CSRF tokens, and the authenticator that turns a
session cookie into the caller of a request (web-core's ``current_principal()``).

The cookie is ``HttpOnly`` and ``SameSite=Lax`` always, ``Secure`` (and then named
with the ``__Host-`` prefix) when the request came over HTTPS — as Flask sees it,
which honours ``X-Forwarded-Proto`` only when ``CIVICFLOW_TRUST_PROXY`` installs the
proxy fix. CSRF is structural: every unsafe request authenticated by a session
cookie must carry the session's token (form field ``csrf_token`` or header
``X-CSRF-Token``), whatever route it goes to.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Request, current_app
from werkzeug.wrappers import Response

from civicflow.services import Services
from web.auth.config import ProviderConfig
from web.principal import SCOPES, Principal
from web.problems import ProblemError
from workflow import SignIns, SignInSession

__all__ = [
    "COOKIE",
    "SECURE_COOKIE",
    "check_csrf",
    "clear_cookie",
    "csrf_token",
    "mfa_proven",
    "resume",
    "session_authenticator",
    "set_cookie",
    "token_of",
]

COOKIE = "civicflow_session"
SECURE_COOKIE = "__Host-civicflow_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_AFTER = timedelta(minutes=1)


def token_of(request: Request) -> str | None:
    return request.cookies.get(SECURE_COOKIE) or request.cookies.get(COOKIE)


def set_cookie(response: Response, token: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(
        SECURE_COOKIE if secure else COOKIE,
        token,
        max_age=max_age,
        path="/",
        secure=secure,
        httponly=True,
        samesite="Lax",
    )


def clear_cookie(response: Response) -> None:
    for name, secure in ((COOKIE, False), (SECURE_COOKIE, True)):
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")


def csrf_token(session_id: str, secret: str) -> str:
    """The session's CSRF token: derived, so nothing more is stored."""
    return hmac.new(secret.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, session_id: str, secret: str) -> bool:
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    return hmac.compare_digest(sent, csrf_token(session_id, secret))


def mfa_proven(config: ProviderConfig, session: SignInSession, now: float) -> bool:
    """Whether the session's last authentication proves MFA and is recent enough."""
    assurance = session.assurance
    if not config.mfa.proven(assurance.acr, assurance.amr) or assurance.auth_time is None:
        return False
    return now - assurance.auth_time <= config.mfa.max_age


def resume(services: Services, token: str) -> SignInSession | None:
    """The live session for ``token``: its own small unit of work, because resuming
    may end a timed-out session or restart the idle clock (at most once a minute)."""
    settings = services.settings
    with services.db.transaction() as db_session:
        return SignIns(db_session).resume(
            token,
            now=services.engine.clock.now(),
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_max_hours),
            touch_after=TOUCH_AFTER,
        )


def session_authenticator(request: Request, services: Services) -> Principal | None:
    """The person signed in with this request's session cookie, or None without one."""
    token = token_of(request)
    if token is None:
        return None
    found = resume(services, token)
    if found is None:
        return None
    providers: dict[str, ProviderConfig] = current_app.extensions["civicflow.auth"].configs
    config = providers.get(found.provider)
    if config is None:  # the provider was removed from the configuration
        return None
    if request.method not in SAFE_METHODS and not check_csrf(
        request, found.id, current_app.config["SECRET_KEY"]
    ):
        raise ProblemError(
            "forbidden", "this form or request lacks the session's CSRF token (X-CSRF-Token)"
        )
    now = services.engine.clock.now().timestamp()
    return Principal(
        kind="session",
        id=found.id,
        name=found.email,
        scopes=frozenset(SCOPES),
        user=found.email,
        idp=found.provider,
        mfa=mfa_proven(config, found, now),
        details={"session": found, "assurance": found.assurance},
    )
