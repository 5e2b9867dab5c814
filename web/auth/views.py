"""The ``auth`` blueprint: DESIGN.md §3's /auth routes.

A thin adapter over ``web.auth.oidc`` (the protocol checks) and the engine's
``People``/``SignIns`` (who the person is, their session). Every refusal renders one
page that says what went wrong and leaves no session behind.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from civicflow.services import Services
from web.auth import pending
from web.auth.oidc import IdToken, ProviderClient, SignInError
from web.auth.sessions import (
    check_csrf,
    clear_cookie,
    csrf_token,
    resume,
    set_cookie,
    token_of,
)
from web.auth.state import AuthState, SessionsEnded
from web.principal import current_principal, public
from web.problems import ProblemError
from web.uow import after_commit, read_session, services, unit_of_work
from workflow import Assurance, CivicflowError, People, SignIns

__all__ = ["bp"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")


def _state() -> AuthState:
    return AuthState.of(current_app)


def _now() -> float:
    return services().engine.clock.now().timestamp()


def _refused(message: str, *, status: int = 403, provider: str | None = None) -> Response:
    response = make_response(
        render_template("auth/refused.html", message=message, provider=provider), status
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/login")
@public
def login() -> Any:
    """The sign-in page: anyone must be able to reach it."""
    state = _state()
    return render_template(
        "auth/login.html",
        providers=[(c.name, c.label) for c in state.configs.values()],
        next=pending.safe_next(request.args.get("next")),
        signed_out=request.args.get("signed_out") == "1",
    )


@bp.get("/login/<provider>")
@public
def start(provider: str) -> Any:
    """Starts a sign-in at ``provider``: reachable before anyone is signed in."""
    client = _state().clients.get(provider)
    if client is None:
        return _refused(f"There is no identity provider called '{provider}'.", status=404)
    return _redirect_to_provider(client, next=request.args.get("next"), step_up=False)


@bp.get("/step-up")
@public
def step_up() -> Any:
    """Re-authenticate with MFA at the person's own provider; without a session the
    person is sent to sign in first. ``on_failure=return`` sends a failed or
    cancelled step-up back to ``next`` too, instead of the refusal page."""
    token = token_of(request)
    found = resume(services(), token) if token else None
    if found is None:
        return redirect(url_for("auth.login", next=request.args.get("next")), 303)
    client = _state().clients[found.provider]
    return _redirect_to_provider(
        client,
        next=request.args.get("next"),
        step_up=True,
        login_hint=found.email,
        back=request.args.get("on_failure") == "return",
    )


def _redirect_to_provider(
    client: ProviderClient,
    *,
    next: str | None,
    step_up: bool,
    login_hint: str | None = None,
    back: bool = False,
) -> Response:
    secret = current_app.config["SECRET_KEY"]
    flow = pending.Pending(
        state=secrets.token_urlsafe(32),
        provider=client.config.name,
        nonce=secrets.token_urlsafe(32),
        verifier=secrets.token_urlsafe(64),
        next=pending.safe_next(next),
        step_up=step_up,
        started=_now(),
        back=back,
    )
    try:
        url = client.authorization_url(
            redirect_uri=_redirect_uri(client.config.name),
            state=flow.state,
            nonce=flow.nonce,
            code_verifier=flow.verifier,
            step_up=step_up,
            login_hint=login_hint,
        )
    except SignInError as error:
        return _refused(error.message, status=502, provider=client.config.label)
    flows = pending.load(request.cookies.get(pending.COOKIE), secret)
    flows[flow.state] = flow
    response = redirect(url, 303)
    response.set_cookie(
        pending.COOKIE,
        pending.dump(flows, secret),
        max_age=pending.TTL_SECONDS,
        path="/auth/",
        secure=request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


def _redirect_uri(provider: str) -> str:
    """The exact redirect URI registered at the provider for this Civicflow."""
    return url_for("auth.callback", provider=provider, _external=True)


@bp.get("/callback/<provider>")
@public
def callback(provider: str) -> Any:
    """The provider sends the browser back here; the response itself is checked."""
    secret = current_app.config["SECRET_KEY"]
    flows = pending.load(request.cookies.get(pending.COOKIE), secret)
    flow = flows.pop(request.args.get("state", ""), None)
    try:
        response = _complete(provider, flow)
    except SignInError as error:
        log.warning("sign-in at %s refused: %s", provider, error.message)
        response = _failed(provider, flow, error.message)
    except CivicflowError as error:
        response = _failed(provider, flow, error.message)
    if flows:
        response.set_cookie(
            pending.COOKIE,
            pending.dump(flows, secret),
            max_age=pending.TTL_SECONDS,
            path="/auth/",
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(pending.COOKIE, path="/auth/")
    return response


def _failed(provider: str, flow: pending.Pending | None, message: str) -> Response:
    """The refusal page; or, for a step-up asked to return (``on_failure=return``),
    back to where it started: that page finds the session still without MFA and
    shows the person's kept work with its own message. The session is unchanged."""
    if flow is not None and flow.step_up and flow.back and flow.provider == provider:
        response = redirect(flow.next, 303)
        response.headers["Cache-Control"] = "no-store"
        return response
    return _refused(message, provider=provider)


def _complete(provider: str, flow: pending.Pending | None) -> Response:
    if flow is None:
        raise SignInError(
            "This sign-in response does not belong to a sign-in started in this browser "
            "(unknown or expired state). Start again from the sign-in page."
        )
    client = _state().clients.get(provider)
    if client is None or flow.provider != provider:
        raise SignInError(
            f"This response arrived for '{provider}', but the sign-in was started with "
            f"'{flow.provider}' (possible mix-up attack)."
        )
    if "error" in request.args:
        raise SignInError(
            f"{client.config.label} did not sign you in ({request.args['error'][:100]})."
        )
    metadata = client.metadata()
    iss = request.args.get("iss")
    if iss is None and metadata.get("authorization_response_iss_parameter_supported"):
        raise SignInError("The response does not say which provider issued it (no 'iss').")
    if iss is not None and iss != client.issuer:
        raise SignInError(
            f"The response was issued by {iss[:200]}, not by {client.config.label} where "
            "this sign-in started (possible mix-up attack)."
        )
    code = request.args.get("code")
    if not code:
        raise SignInError("The response carries no authorization code.")
    raw = client.exchange(
        code=code, redirect_uri=_redirect_uri(provider), code_verifier=flow.verifier
    )
    id_token = client.validate_id_token(raw, nonce=flow.nonce, now=_now())
    if flow.step_up:
        return _complete_step_up(client, flow, id_token)
    return _sign_in(client, flow, id_token)


def _identity(client: ProviderClient, id_token: IdToken) -> dict[str, Any]:
    config, claims = client.config, id_token.claims
    email = claims.get(config.claims.email)
    if not isinstance(email, str) or "@" not in email:
        raise SignInError(
            f"{config.label} did not share an e-mail address ('{config.claims.email}')."
        )
    verified = claims.get("email_verified") is True
    if config.allowed_email_domains and not verified:
        raise SignInError(f"{config.label} has not verified the e-mail address {email}.")
    if not config.email_allowed(email):
        raise SignInError(
            f"{email} may not sign in through {config.label}: its domain is not one this "
            "provider is trusted for."
        )
    name = claims.get(config.claims.name)
    return {
        "email": email.lower(),
        "email_verified": verified,
        "name": name if isinstance(name, str) and name else email,
        "queues": config.queues(
            claims.get(config.claims.groups), claims.get(config.claims.department)
        ),
    }


def _assurance(client: ProviderClient, id_token: IdToken) -> Assurance:
    return Assurance(
        provider=client.config.name,
        acr=id_token.acr,
        amr=id_token.amr,
        auth_time=id_token.auth_time,
    )


def _sign_in(client: ProviderClient, flow: pending.Pending, id_token: IdToken) -> Response:
    identity = _identity(client, id_token)
    assurance = _assurance(client, id_token)
    app_services = services()
    now = app_services.engine.clock.now()
    old = token_of(request)
    sid = id_token.claims.get("sid")
    with unit_of_work() as session:
        People(session).sign_in(
            issuer=client.issuer,
            subject=id_token.claims["sub"],
            email=identity["email"],
            email_verified=identity["email_verified"],
            name=identity["name"],
            idp=client.config.name,
            queues=identity["queues"],
            mfa=False,
            now=now,
        )
        sign_ins = SignIns(session)
        if old:  # a new session id at every sign-in (no session fixation)
            sign_ins.end(old, why="signed in again", now=now)
        token = sign_ins.open(
            email=identity["email"],
            provider=client.config.name,
            issuer=client.issuer,
            subject=id_token.claims["sub"],
            sid=sid if isinstance(sid, str) else None,
            assurance=assurance,
            id_token=id_token.raw,
            now=now,
        )
    response = redirect(flow.next, 303)
    clear_cookie(response)
    set_cookie(response, token, secure=request.is_secure, max_age=_max_age(app_services))
    log.info("%s signed in through %s", identity["email"], client.config.name)
    return response


def _complete_step_up(client: ProviderClient, flow: pending.Pending, id_token: IdToken) -> Response:
    config = client.config
    token = token_of(request)
    app_services = services()
    found = resume(app_services, token) if token else None
    if found is None:
        raise SignInError(
            "Your session ended before the re-authentication finished; sign in again."
        )
    if (found.issuer, found.subject) != (client.issuer, id_token.claims["sub"]):
        raise SignInError("The re-authentication was done by another person or provider.")
    assurance = _assurance(client, id_token)
    if not config.mfa.proven(assurance.acr, assurance.amr):
        raise SignInError(
            f"{config.label} did not confirm multi-factor authentication "
            f"(acr {assurance.acr!r}, amr {list(assurance.amr)}): use your one-time code."
        )
    if assurance.auth_time is None or assurance.auth_time < flow.started - 60:
        raise SignInError(f"{config.label} did not authenticate you again just now (auth_time).")
    now = app_services.engine.clock.now()
    with unit_of_work() as session:
        fresh = SignIns(session).step_up(
            token or "", assurance=assurance, id_token=id_token.raw, now=now
        )
    if fresh is None:
        raise SignInError("Your session ended before the re-authentication finished.")
    response = redirect(flow.next, 303)
    set_cookie(response, fresh, secure=request.is_secure, max_age=_max_age(app_services))
    return response


def _max_age(app_services: Services) -> int:
    return app_services.settings.session_max_hours * 3600


@bp.post("/logout")
@public
def logout() -> Any:
    """Ends the local session and then the provider's (RP-initiated logout). Public
    so that a browser whose session already ended still lands somewhere sensible;
    with a session it needs the session's CSRF token."""
    token = token_of(request)
    found = resume(services(), token) if token else None
    destination = url_for("auth.login", signed_out="1")
    if found is not None:
        if not check_csrf(request, found.id, current_app.config["SECRET_KEY"]):
            return _refused("The sign-out form is missing its CSRF token; reload the page.")
        with unit_of_work() as session:
            SignIns(session).end(token or "", why="signed out", now=services().engine.clock.now())
        client = _state().clients.get(found.provider)
        if client is not None:
            # an unreachable provider still leaves the local session ended
            with contextlib.suppress(SignInError):
                destination = (
                    client.end_session_url(
                        id_token=found.id_token,
                        post_logout_redirect_uri=url_for("auth.login", _external=True),
                    )
                    or destination
                )
    response = redirect(destination, 303)
    clear_cookie(response)
    return response


@bp.post("/backchannel-logout/<provider>")
@public
def backchannel_logout(provider: str) -> Any:
    """The provider's server calls this (no browser, no cookie): it is authenticated
    by the logout token's signature instead."""
    client = _state().clients.get(provider)
    if client is None:
        return _logout_error("unknown provider", 404)
    raw = request.form.get("logout_token")
    if not raw:
        return _logout_error("logout_token is required")
    try:
        claims = client.validate_logout_token(raw, now=_now())
    except SignInError as error:
        log.warning("back-channel logout from %s refused: %s", provider, error.message)
        return _logout_error(error.message)
    now = services().engine.clock.now()
    # remembered as long as the token could still be accepted (its iat window)
    forget_at = datetime.fromtimestamp(max(claims.get("exp") or 0, claims["iat"] + 600), UTC)
    with unit_of_work() as session:
        sign_ins = SignIns(session)
        if not sign_ins.use_logout_token(
            issuer=client.issuer, jti=claims["jti"], expires_at=forget_at, now=now
        ):
            return _logout_error("this logout token was used already (replay)")
        ended = sign_ins.end_at_provider(
            issuer=client.issuer, subject=claims.get("sub"), sid=claims.get("sid"), now=now
        )
        if ended:
            after_commit(_notify(list(_state().on_sessions_ended), ended))
    response = make_response("", 200)
    response.headers["Cache-Control"] = "no-store"
    return response


def _notify(hooks: list[SessionsEnded], ended: list[str]) -> Callable[[], None]:
    def notify() -> None:
        for hook in hooks:
            hook(ended)

    return notify


def _logout_error(description: str, status: int = 400) -> Response:
    response = jsonify(error="invalid_request", error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/me")
def me() -> Any:
    """The signed-in person (a browser session; API tokens are answered with 401)."""
    principal = current_principal()
    if principal.kind != "session" or principal.user is None:
        raise ProblemError("unauthenticated", "GET /auth/me describes a browser session")
    found = principal.details["session"]
    with read_session() as session:
        actor = People(session).actor(principal.user, idp=principal.idp)
    return jsonify(
        email=actor.id,
        name=actor.name,
        provider=principal.idp,
        queues=sorted(actor.queues),
        leads=sorted(actor.leads),
        acr=found.assurance.acr,
        amr=list(found.assurance.amr),
        auth_time=found.assurance.auth_time,
        mfa=principal.mfa,
        csrf_token=csrf_token(found.id, current_app.config["SECRET_KEY"]),
    )
