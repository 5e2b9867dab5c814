"""The relying party's side of one provider: discovery, keys, the authorization
request, the code exchange, and the validation of ID and logout tokens.

Authlib builds the PKCE S256 authorization request and authenticates the code
exchange (client secret or ``private_key_jwt``); joserfc — Authlib's JOSE library —
verifies signatures. Every claim check OpenID Connect Core §3.1.3.7 and Back-Channel
Logout §2.6 ask for is written out here, because each is a refusal a person may see
and a test names: issuer, audience, ``azp``, expiry, issue time, nonce, and for
logout tokens ``typ``, the events claim, ``jti`` and the absent nonce.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from web.auth.config import ProviderConfig
from workflow import ForbiddenError

__all__ = ["IdToken", "ProviderClient", "SignInError"]

ALGORITHMS = ["RS256", "PS256", "ES256"]
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
JWKS_REFETCH_SECONDS = 10  # an unknown key id refetches the keys at most this often


class SignInError(ForbiddenError):
    """A sign-in, step-up or logout token was refused; ``reason`` is safe to show."""

    title = "Sign-in refused"


@dataclass(frozen=True, slots=True)
class IdToken:
    raw: str
    claims: dict[str, Any]

    @property
    def acr(self) -> str | None:
        value = self.claims.get("acr")
        return value if isinstance(value, str) else None

    @property
    def amr(self) -> tuple[str, ...]:
        value = self.claims.get("amr")
        return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()

    @property
    def auth_time(self) -> int | None:
        value = self.claims.get("auth_time")
        return value if isinstance(value, int) and not isinstance(value, bool) else None


class ProviderClient:
    """One configured provider, its discovery document and keys cached for the
    app's lifetime (the app owns this object: no module-level state)."""

    def __init__(
        self,
        config: ProviderConfig,
        *,
        timeout: float = 10.0,
        jwks_min_interval: float = JWKS_REFETCH_SECONDS,
    ) -> None:
        self.config = config
        self.timeout = timeout
        self.jwks_min_interval = jwks_min_interval
        self._http = requests.Session()
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._keys_fetched = 0.0

    # -- discovery and keys ---------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                document = self._get_json(self.config.discovery_url)
                issuer = document.get("issuer")
                expected = self.config.discovery_url.removesuffix(
                    "/.well-known/openid-configuration"
                )
                if issuer != expected:  # OpenID Connect Discovery §4.3
                    raise SignInError(
                        f"the provider's discovery document names issuer {issuer!r}, "
                        f"not {expected!r}",
                        provider=self.config.name,
                    )
                self._metadata = document
            return self._metadata

    @property
    def issuer(self) -> str:
        return str(self.metadata()["issuer"])

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = self._http.get(url, timeout=self.timeout)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, json.JSONDecodeError) as error:
            raise SignInError(
                f"the identity provider {self.config.label} cannot be reached",
                provider=self.config.name,
            ) from error
        if not isinstance(document, dict):
            raise SignInError("the identity provider answered nonsense", provider=self.config.name)
        return document

    def _key_set(self, kid: str | None) -> KeySet:
        """The provider's keys; refetched when a token names a key id we lack (key
        rotation), at most once per ``jwks_min_interval`` seconds so forged ids cannot
        make us hammer the provider."""
        with self._lock:
            known = self._keys is not None and (
                kid is None or any(k.kid == kid for k in self._keys.keys)
            )
            stale = time.monotonic() - self._keys_fetched >= self.jwks_min_interval
            if self._keys is None or (not known and stale):
                uri = self._metadata["jwks_uri"] if self._metadata else None
            else:
                return self._keys
        if uri is None:
            uri = self.metadata()["jwks_uri"]
        document = self._get_json(str(uri))
        try:
            keys = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError) as error:
            raise SignInError(
                "the provider's keys are unreadable", provider=self.config.name
            ) from error
        with self._lock:
            self._keys, self._keys_fetched = keys, time.monotonic()
        return keys

    # -- the authorization-code flow ------------------------------------------------------

    def _oauth(self, redirect_uri: str | None = None) -> OAuth2Session:
        config = self.config
        if config.private_key is not None:
            session = OAuth2Session(
                config.client_id,
                config.private_key,
                token_endpoint_auth_method="private_key_jwt",
                redirect_uri=redirect_uri,
                code_challenge_method="S256",
            )
            headers = {"kid": config.private_key_id} if config.private_key_id else None
            session.register_client_auth_method(
                PrivateKeyJWT(self.metadata()["token_endpoint"], headers=headers, alg="RS256")
            )
            return session
        return OAuth2Session(
            config.client_id,
            config.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )

    def authorization_url(
        self,
        *,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_verifier: str,
        step_up: bool = False,
        login_hint: str | None = None,
    ) -> str:
        """The provider's authorization URL: PKCE S256, state and nonce; a step-up
        asks for the provider's MFA ``acr_values`` and a fresh login (``max_age``)."""
        extra: dict[str, Any] = {"nonce": nonce, "scope": " ".join(self.config.scopes)}
        if step_up:
            if self.config.mfa.acr_values:
                extra["acr_values"] = " ".join(self.config.mfa.acr_values)
            extra["max_age"] = 0
            extra["prompt"] = "login"
        if login_hint:
            extra["login_hint"] = login_hint
        url, _ = self._oauth(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=state,
            code_verifier=code_verifier,
            **extra,
        )
        return str(url)

    def exchange(self, *, code: str, redirect_uri: str, code_verifier: str) -> str:
        """Trade the code for tokens; returns the raw ID token."""
        try:
            token = self._oauth(redirect_uri).fetch_token(
                self.metadata()["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=self.timeout,
            )
        except Exception as error:  # Authlib raises OAuthError, requests its own
            raise SignInError(
                "the identity provider refused to complete the sign-in "
                f"({getattr(error, 'error', None) or type(error).__name__})",
                provider=self.config.name,
            ) from error
        raw = token.get("id_token")
        if not isinstance(raw, str):
            raise SignInError("the provider sent no ID token", provider=self.config.name)
        return raw

    def end_session_url(self, *, id_token: str, post_logout_redirect_uri: str) -> str | None:
        """RP-initiated logout at the provider, when it offers it."""
        endpoint = self.metadata().get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = urlencode(
            {"id_token_hint": id_token, "post_logout_redirect_uri": post_logout_redirect_uri}
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    # -- token validation -----------------------------------------------------------------

    def _verified(self, raw: str, what: str) -> tuple[dict[str, Any], dict[str, Any]]:
        try:
            header = jws.extract_compact(raw.encode()).protected
        except (JoseError, ValueError) as error:
            raise SignInError(
                f"the {what} is not a signed JWT", provider=self.config.name
            ) from error
        if header.get("alg") not in ALGORITHMS:
            raise SignInError(f"the {what} is not signed with an allowed algorithm")
        kid = header.get("kid")
        keys = self._key_set(kid if isinstance(kid, str) else None)
        try:
            token = jwt.decode(raw, keys, algorithms=ALGORITHMS)
        except (JoseError, ValueError) as error:
            raise SignInError(
                f"the {what}'s signature does not verify with the provider's keys",
                provider=self.config.name,
            ) from error
        return dict(token.header), dict(token.claims)

    def _common(self, claims: dict[str, Any], what: str, now: float, leeway: int) -> None:
        name = self.config.name
        if claims.get("iss") != self.issuer:
            raise SignInError(f"the {what} was issued by someone else", provider=name)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.config.client_id not in audiences:
            raise SignInError(f"the {what} is meant for another client", provider=name)
        iat = claims.get("iat")
        if not isinstance(iat, int) or iat > now + leeway:
            raise SignInError(f"the {what} has no valid issue time", provider=name)

    def validate_id_token(
        self, raw: str, *, nonce: str, now: float, leeway: int = 60, max_age: int = 600
    ) -> IdToken:
        _, claims = self._verified(raw, "ID token")
        name = self.config.name
        self._common(claims, "ID token", now, leeway)
        audience = claims.get("aud")
        several = isinstance(audience, list) and len(audience) > 1
        if (several or "azp" in claims) and claims.get("azp") != self.config.client_id:
            raise SignInError("the ID token's authorized party is another client", provider=name)
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= now - leeway:
            raise SignInError("the ID token has expired", provider=name)
        if claims["iat"] < now - max_age - leeway:
            raise SignInError("the ID token was issued too long ago", provider=name)
        if claims.get("nonce") != nonce:
            raise SignInError("the ID token's nonce is not this sign-in's", provider=name)
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise SignInError("the ID token names no subject", provider=name)
        return IdToken(raw=raw, claims=claims)

    def validate_logout_token(
        self, raw: str, *, now: float, leeway: int = 60, max_age: int = 300
    ) -> dict[str, Any]:
        header, claims = self._verified(raw, "logout token")
        name = self.config.name
        if header.get("typ") not in ("logout+jwt", "application/logout+jwt"):
            raise SignInError("the logout token is not typed logout+jwt", provider=name)
        self._common(claims, "logout token", now, leeway)
        if claims["iat"] < now - max_age - leeway:
            raise SignInError("the logout token is too old", provider=name)
        exp = claims.get("exp")
        if exp is not None and (not isinstance(exp, int) or exp <= now - leeway):
            raise SignInError("the logout token has expired", provider=name)
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
            raise SignInError(
                "the logout token carries no back-channel logout event", provider=name
            )
        if "nonce" in claims:
            raise SignInError("a logout token must not carry a nonce", provider=name)
        if not isinstance(claims.get("jti"), str):
            raise SignInError("the logout token has no jti", provider=name)
        if not isinstance(claims.get("sub"), str) and not isinstance(claims.get("sid"), str):
            raise SignInError(
                "the logout token names neither a subject nor a session", provider=name
            )
        return claims
