"""Who is calling: the authentication seam every route passes through.

``install(app)`` adds ONE ``before_request`` to the app. For every request that
reached a view it asks the registered authenticators, in order, who is calling
(an API token now; browser sessions when the auth blueprint registers its own),
then checks the scopes the view declared with ``requires``. A view is reachable
without a principal only when it is marked ``public`` (health checks, the API
document, inbound webhooks that authenticate by signature). Because the check is on
the app, not on each view, a blueprint registered later is covered without doing
anything, and a test walks ``app.url_map`` to prove it.

Handlers read the caller with ``current_principal()`` and build the engine's
``Actor`` with ``Principal.actor(session)``: a principal acting for a person is bound
by that person's queues and four-eyes exactly as the person is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from flask import Flask, Request, current_app, g, request
from sqlalchemy.orm import Session

from civicflow.services import Services
from web.problems import ProblemError
from workflow import Actor, Assurance, People

__all__ = [
    "SCOPES",
    "Authentication",
    "Authenticator",
    "Principal",
    "current_principal",
    "install",
    "is_public",
    "public",
    "required_scopes",
    "requires",
]

SCOPES = (
    "definitions:write",
    "instances:start",
    "instances:read",
    "tasks:act",
    "webhooks:manage",
)
EXTENSION = "civicflow.authentication"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. ``user`` is the person it acts for (an e-mail), if
    any; ``scopes`` bound what it may do (a browser session holds all of them: the
    engine's own rules still apply to the person)."""

    kind: str  # "token" | "session"
    id: str  # the token's or session's id
    name: str
    scopes: frozenset[str]
    user: str | None = None
    idp: str = "api-token"
    mfa: bool = False
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def allows(self, scope: str) -> bool:
        return scope in self.scopes

    def actor(self, session: Session) -> Actor:
        """The engine's view of this caller: the person (queues, leads) it acts for,
        or a queue-less client identity when it acts for no one."""
        if self.user is not None:
            actor = People(session).actor(self.user, idp=self.idp, mfa=self.mfa)
            assurance = self.details.get("assurance")
            if isinstance(assurance, Assurance):  # how a signed-in person proved it
                actor = replace(actor, assurance=assurance)
            return actor
        return Actor(id=f"{self.kind}:{self.name}", name=self.name, idp=self.idp)


# (request, services) -> the caller, or None when these credentials are not its kind.
# Raise ProblemError("unauthenticated", ...) for credentials of its kind that are bad.
Authenticator = Callable[[Request, Services], Principal | None]


@dataclass
class Authentication:
    """The app's authenticators (``app.extensions``), asked in registration order,
    and per-blueprint answers to an anonymous request (the UI redirects to sign-in;
    the default is a 401 problem)."""

    authenticators: list[Authenticator] = field(default_factory=list)
    on_anonymous: dict[str, Callable[[], Any]] = field(default_factory=dict)

    def add(self, authenticator: Authenticator) -> None:
        self.authenticators.append(authenticator)

    @staticmethod
    def of(app: Flask) -> Authentication:
        found: Authentication = app.extensions[EXTENSION]
        return found


def public(view: F) -> F:
    """Mark a view as reachable without a principal (it must say why in its docstring)."""
    view._civicflow_public = True  # type: ignore[attr-defined]
    return view


def requires(*scopes: str) -> Callable[[F], F]:
    """Declare the scopes a view needs (all of them); checked before the view runs."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scope(s) {unknown}; known: {', '.join(SCOPES)}")

    def mark(view: F) -> F:
        view._civicflow_scopes = frozenset(scopes)  # type: ignore[attr-defined]
        return view

    return mark


def is_public(view: Callable[..., Any]) -> bool:
    return bool(getattr(view, "_civicflow_public", False))


def required_scopes(view: Callable[..., Any]) -> frozenset[str]:
    found: frozenset[str] = getattr(view, "_civicflow_scopes", frozenset())
    return found


def current_principal() -> Principal:
    """The caller of this request (set by the app's authentication step)."""
    principal: Principal | None = g.get("_civicflow_principal")
    if principal is None:
        raise ProblemError("unauthenticated", "this request carries no valid credentials")
    return principal


def _view() -> Callable[..., Any] | None:
    if request.endpoint is None:
        return None
    return current_app.view_functions.get(request.endpoint)


def _is_static(endpoint: str | None) -> bool:
    """Static files (vendored CSS and scripts) are public like any web page's assets."""
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def _authenticate() -> Any:
    view = _view()
    if view is None or is_public(view) or _is_static(request.endpoint):
        return None  # routing errors (404/405) answer as problems on their own
    authentication = Authentication.of(current_app)
    services: Services = current_app.extensions["civicflow.services"]
    principal = None
    for authenticator in authentication.authenticators:
        principal = authenticator(request, services)
        if principal is not None:
            break
    if principal is None:
        handler = authentication.on_anonymous.get(request.blueprint or "")
        if handler is not None:
            return handler()
        raise ProblemError(
            "unauthenticated",
            "send an API token: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": 'Bearer realm="civicflow"'},
        )
    missing = sorted(required_scopes(view) - principal.scopes)
    if missing:
        wanted = " ".join(missing)
        raise ProblemError(
            "insufficient-scope",
            f"this token lacks the scope(s) {', '.join(missing)}",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{wanted}"'},
        )
    g._civicflow_principal = principal
    return None


def install(app: Flask) -> Authentication:
    authentication = Authentication()
    app.extensions[EXTENSION] = authentication
    app.before_request(_authenticate)
    return authentication
