"""The built-in development identity provider: a real OpenID provider, for the
embedded defaults only.

``civicflow serve`` on embedded defaults (no ``CIVICFLOW_IDP_CONFIG``) runs it on its
own loopback port, and Civicflow signs people in through it exactly as through an
agency's provider — discovery, PKCE, the code exchange, ID-token checks — so the
first command exercises the production code path. It is built from Authlib's
server components (authorization-code grant, PKCE, OpenID Connect), lists the
directory's people with a one-click sign-in, and an optional one-time code turns the
sign-in into MFA (its ``acr``). Anyone who can reach it can be anyone: it refuses to
bind to a non-loopback address without ``force``, refuses requests from other
machines unless forced, and says so loudly in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo
from flask import Flask, abort, jsonify, render_template_string, request
from joserfc.jwk import RSAKey
from werkzeug.wrappers import Response

from civicflow.config import Settings
from civicflow.loopback import DevProviderError, check_bind, is_loopback
from web.auth.config import MfaSettings, ProviderConfig
from workflow import Directory

__all__ = [
    "CLIENT_ID",
    "DEV_ACR",
    "MFA_ACR",
    "NAME",
    "ONE_TIME_CODE",
    "DevProviderError",
    "check_bind",
    "client_secret",
    "create_dev_provider",
    "provider_config",
]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

NAME = "dev"  # /auth/login/dev
CLIENT_ID = "civicflow-dev"
DEV_ACR = "urn:civicflow:dev:single-factor"
MFA_ACR = "urn:civicflow:dev:mfa"
ONE_TIME_CODE = "123456"  # shown on the page: this provider proves nothing


def client_secret(secret_key: str) -> str:
    """Civicflow's client secret at the development provider, derived from the app's
    secret key so the two sides agree without a shared file."""
    return hmac.new(secret_key.encode(), b"civicflow.dev-idp.client", hashlib.sha256).hexdigest()


def provider_config(settings: Settings) -> ProviderConfig:
    """How Civicflow, as a relying party, sees the development provider: like any
    other provider, found by discovery on this machine."""
    base = f"http://127.0.0.1:{settings.dev_idp_port}"
    return ProviderConfig(
        name=NAME,
        label="Development sign-in (not for production)",
        discovery_url=f"{base}/.well-known/openid-configuration",
        client_id=CLIENT_ID,
        client_secret=client_secret(settings.secret_key),
        scopes=("openid", "email", "profile", "groups"),
        mfa=MfaSettings(acr_values=(MFA_ACR,), accept_amr=("mfa",), max_age=300),
    )


@dataclass(frozen=True)
class _Client(ClientMixin):  # type: ignore[misc]
    secret: str
    redirect_uris: tuple[str, ...]

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        allowed = {"openid", "email", "profile", "groups"}
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret, self.secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class _Code:
    code: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    email: str
    acr: str
    amr: list[str]
    auth_time: int
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return self.acr

    def get_amr(self) -> list[str]:
        return self.amr


@dataclass
class _State:
    """Everything the provider remembers: in memory, for this process only."""

    issuer: str
    directory: Directory
    client: _Client
    key: RSAKey
    codes: dict[str, _Code] = field(default_factory=dict)


@dataclass(frozen=True)
class _Person:
    email: str
    acr: str
    amr: list[str]
    auth_time: int


def create_dev_provider(
    *,
    issuer: str,
    directory: Directory,
    secret_key: str,
    redirect_uris: list[str],
    force: bool = False,
) -> Flask:
    """The provider as its own small WSGI app (serve it on its own port)."""
    state = _State(
        issuer=issuer.rstrip("/"),
        directory=directory,
        client=_Client(secret=client_secret(secret_key), redirect_uris=tuple(redirect_uris)),
        key=RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig"}),
    )
    app = Flask(__name__)
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = True
    server = AuthorizationServer(
        app,
        query_client=lambda client_id: state.client if client_id == CLIENT_ID else None,
        save_token=lambda token, req: None,  # no API behind it: tokens are not kept
    )
    server.register_grant(_grant(state), [CodeChallenge(required=True), _openid(state)])

    @app.before_request
    def _only_this_machine() -> None:
        if not force and not is_loopback(request.remote_addr or ""):
            abort(403)

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Any:
        return jsonify(
            issuer=state.issuer,
            authorization_endpoint=f"{state.issuer}/authorize",
            token_endpoint=f"{state.issuer}/token",
            jwks_uri=f"{state.issuer}/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=["client_secret_basic"],
            scopes_supported=["openid", "email", "profile", "groups"],
            acr_values_supported=[DEV_ACR, MFA_ACR],
            authorization_response_iss_parameter_supported=True,
        )

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify(keys=[state.key.as_dict(private=False) | {"alg": "RS256"}])

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        try:
            grant = server.get_consent_grant(end_user=None)
        except Exception as error:  # Authlib's OAuth2Error: show it, never redirect
            return Response(f"invalid authorization request: {error}", 400, mimetype="text/plain")
        if request.method == "GET":
            # a step-up names the person (login_hint): them first, the code asked for
            hint = request.args.get("login_hint", "").lower()
            people = sorted(state.directory.users.values(), key=lambda p: (p.email != hint, p.name))
            mfa = MFA_ACR in request.args.get("acr_values", "").split()
            return render_template_string(_PAGE, people=people, code=ONE_TIME_CODE, mfa=mfa)
        person = state.directory.user(request.form.get("email", ""))
        if person is None:
            return Response("unknown person", 400, mimetype="text/plain")
        otp = request.form.get("otp", "")
        if otp and otp != ONE_TIME_CODE:
            return Response("wrong one-time code", 400, mimetype="text/plain")
        user = _Person(
            email=person.email,
            acr=MFA_ACR if otp else DEV_ACR,
            amr=["mfa", "otp"] if otp else ["pwd"],
            auth_time=int(time.time()),
        )
        grant = server.get_consent_grant(end_user=user)
        response = server.create_authorization_response(grant_user=user, grant=grant)
        location = response.headers.get("Location")
        if location:  # RFC 9207: say who is answering (Authlib 1.9 does not)
            response.headers["Location"] = add_params_to_uri(location, [("iss", state.issuer)])
        log.warning("development provider: signed in %s (%s)", person.email, user.acr)
        return response

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    return app


def _grant(state: _State) -> type[grants.AuthorizationCodeGrant]:
    class Grant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

        def save_authorization_code(self, code: str, req: Any) -> None:
            user: _Person = req.user
            state.codes[code] = _Code(
                code=code,
                redirect_uri=req.payload.redirect_uri,
                scope=req.scope,
                nonce=req.payload.data.get("nonce"),
                code_challenge=req.payload.data.get("code_challenge"),
                code_challenge_method=req.payload.data.get("code_challenge_method"),
                email=user.email,
                acr=user.acr,
                amr=user.amr,
                auth_time=user.auth_time,
                expires_at=time.time() + 60,
            )

        def query_authorization_code(self, code: str, client: Any) -> _Code | None:
            found = state.codes.get(code)
            return found if found and found.expires_at > time.time() else None

        def delete_authorization_code(self, authorization_code: _Code) -> None:
            state.codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: _Code) -> _Person:
            return _Person(
                email=authorization_code.email,
                acr=authorization_code.acr,
                amr=authorization_code.amr,
                auth_time=authorization_code.auth_time,
            )

    return Grant


def _openid(state: _State) -> OpenIDCode:
    class OpenID(OpenIDCode):  # type: ignore[misc]
        def exists_nonce(self, nonce: str, req: Any) -> bool:
            return any(c.nonce == nonce for c in state.codes.values())

        def resolve_client_private_key(self, client: Any) -> RSAKey:
            return state.key

        def get_client_claims(self, client: Any) -> dict[str, Any]:
            return {"iss": state.issuer, "aud": [CLIENT_ID], "exp": int(time.time()) + 600}

        def get_encode_header(self, client: Any) -> dict[str, Any]:
            return {"alg": "RS256", "kid": state.key.kid}

        def generate_user_info(self, user: _Person, scope: str) -> UserInfo:
            person = state.directory.user(user.email)
            assert person is not None
            return UserInfo(
                sub=person.email,
                email=person.email,
                email_verified=True,
                name=person.name,
                groups=sorted(person.queues),
            )

    return OpenID(require_nonce=True)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Development sign-in — Civicflow</title></head>
<body><main>
<h1>Development sign-in</h1>
<p role="alert"><strong>For development only.</strong> Anyone who reaches this page can
sign in as anyone. Production uses each agency's own identity provider.</p>
{% if mfa %}<p><strong>Civicflow asks you to confirm your identity with a second factor.
</strong> Type the one-time code <code>{{ code }}</code> beside your name, then sign in.
</p>{% else %}
<p>Type the one-time code <code>{{ code }}</code> to sign in with MFA (needed for tasks
marked <code>assurance: mfa</code>).</p>{% endif %}
<ul>
{% for person in people %}
<li><form method="post">
  <input type="hidden" name="email" value="{{ person.email }}">
  <label>One-time code for {{ person.name }} (optional)
    <input name="otp" inputmode="numeric" autocomplete="one-time-code"></label>
  <button type="submit">Sign in as {{ person.name }}</button>
  <small>{{ person.email }} — {{ person.queues | sort | join(", ") }}</small>
</form></li>
{% endfor %}
</ul></main></body></html>
"""
