"""The identity-provider file (``CIVICFLOW_IDP_CONFIG``, DESIGN.md §3), validated at
start-up.

Read with the engine's line-aware YAML loader, so every mistake is reported at
``file:line:col`` and all of them at once, like a definition. Secrets never live in
the file: it names the environment variable holding the client secret, or a private
key file for ``private_key_jwt``, and a missing secret is a start-up error rather
than a failed sign-in later.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from civicflow.loopback import is_loopback
from workflow import DefinitionError, Document, Problem, load_document

__all__ = ["ClaimMapping", "MfaSettings", "ProviderConfig", "load_providers", "parse_providers"]

_SLUG = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_QUEUE = re.compile(r"^[a-z][a-z0-9-]*/[a-z][a-z0-9-]*$")
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$")
_ENV = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_KEYS = {
    "name": "a slug used in /auth/login/<name> and /auth/callback/<name>",
    "label": "the name shown on the sign-in page",
    "discovery_url": "the provider's /.well-known/openid-configuration URL",
    "client_id": "Civicflow's client id at the provider",
    "client_secret_env": "the environment variable holding the client secret",
    "private_key_jwt": "{key_file, key_id}: sign client assertions instead of a secret",
    "scopes": "scopes to ask for (openid is always included)",
    "claims": "which claims hold email, name, department and groups",
    "groups_to_queues": "group value -> department/group queue",
    "allowed_email_domains": "e-mail domains this provider may sign in",
    "mfa": "{acr_values, accept_amr, max_age}: what proves multi-factor authentication",
}
_CLAIMS = ("email", "name", "department", "groups")


@dataclass(frozen=True, slots=True)
class ClaimMapping:
    email: str = "email"
    name: str = "name"
    department: str = "department"
    groups: str = "groups"


@dataclass(frozen=True, slots=True)
class MfaSettings:
    """What to ask for on step-up, and what in the returned ID token proves MFA:
    an ``acr`` among ``acr_values`` or an ``amr`` among ``accept_amr``, from an
    authentication no older than ``max_age`` seconds."""

    acr_values: tuple[str, ...] = ()
    accept_amr: tuple[str, ...] = ()
    max_age: int = 300

    def proven(self, acr: str | None, amr: tuple[str, ...]) -> bool:
        return (acr is not None and acr in self.acr_values) or bool(set(amr) & set(self.accept_amr))


@dataclass(frozen=True, slots=True)
class ProviderConfig:
    name: str
    label: str
    discovery_url: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)  # PEM, for private_key_jwt
    private_key_id: str | None = None
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    claims: ClaimMapping = ClaimMapping()
    groups_to_queues: Mapping[str, str] = field(default_factory=dict)
    allowed_email_domains: tuple[str, ...] = ()
    mfa: MfaSettings = MfaSettings()

    def email_allowed(self, email: str) -> bool:
        if not self.allowed_email_domains:
            return True
        domain = email.rpartition("@")[2].lower()
        return domain in self.allowed_email_domains

    def queues(self, groups: object, department: object = None) -> frozenset[str]:
        """The queues a ``groups`` claim grants: mapped names, values that are already
        ``department/group`` queue names, or ``<department claim>/<group>``. Queues
        Civicflow does not know are dropped when the person is synced."""
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list):
            return frozenset()
        queues = set()
        for group in groups:
            if not isinstance(group, str):
                continue
            if group in self.groups_to_queues:
                queues.add(self.groups_to_queues[group])
            elif _QUEUE.match(group):
                queues.add(group)
            elif isinstance(department, str) and _QUEUE.match(f"{department}/{group}"):
                queues.add(f"{department}/{group}")
        return frozenset(queues)


def load_providers(
    path: str | Path, *, env: Mapping[str, str] | None = None
) -> dict[str, ProviderConfig]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DefinitionError(
            [Problem(str(path), 1, 1, f"cannot read the file: {error}")]
        ) from error
    return parse_providers(text, str(path), env=os.environ if env is None else env)


def parse_providers(
    text: str, path: str = "<string>", *, env: Mapping[str, str]
) -> dict[str, ProviderConfig]:
    doc = load_document(text, path)
    problems: list[Problem] = []
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("providers"), list):
        raise DefinitionError([doc.problem((), "the file needs 'providers:', a list")])
    for key in data:
        if key != "providers":
            problems.append(doc.problem((key,), f"unknown key '{key}'", key=True))
    result: dict[str, ProviderConfig] = {}
    for index, body in enumerate(data["providers"]):
        provider = _Provider(doc, ("providers", index), env, problems).parse(body)
        if provider is None:
            continue
        if provider.name in result:
            problems.append(
                doc.problem(("providers", index, "name"), f"provider '{provider.name}' twice")
            )
        result[provider.name] = provider
    if not result and not problems:
        problems.append(doc.problem(("providers",), "list at least one provider"))
    if problems:
        raise DefinitionError(problems)
    return result


class _Provider:
    """Checks one provider entry, collecting every problem before giving up."""

    def __init__(
        self, doc: Document, at: tuple[str | int, ...], env: Mapping[str, str], out: list[Problem]
    ) -> None:
        self.doc, self.at, self.env, self.out = doc, at, env, out

    def problem(self, key: str | tuple[str | int, ...], message: str) -> None:
        path = (key,) if isinstance(key, str) else key
        self.out.append(self.doc.problem((*self.at, *path), message))

    def text(self, body: dict[str, Any], key: str, *, required: bool = True) -> str | None:
        value = body.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(key, f"'{key}' is required: {_KEYS[key]}")
            return None
        return value

    def strings(self, body: dict[str, Any], key: str) -> tuple[str, ...] | None:
        value = body.get(key, [])
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.problem(key, f"'{key}' must be a list of texts: {_KEYS[key]}")
            return None
        return tuple(value)

    def parse(self, body: Any) -> ProviderConfig | None:
        if not isinstance(body, dict):
            self.problem((), "each provider is a mapping: name, label, discovery_url, ...")
            return None
        count = len(self.out)
        for key in body:
            if key not in _KEYS:
                known = ", ".join(_KEYS)
                self.out.append(
                    self.doc.problem((*self.at, key), f"unknown key '{key}' ({known})", key=True)
                )
        name = self.text(body, "name")
        if name is not None and not _SLUG.match(name):
            self.problem("name", f"'{name}' must be a lowercase slug (letters, digits, -)")
        label = self.text(body, "label")
        discovery = self.text(body, "discovery_url")
        if discovery is not None:
            self.check_discovery(discovery)
        client_id = self.text(body, "client_id")
        secret, key, key_id = self.client_auth(body)
        scopes = self.strings(body, "scopes") or ("openid", "email", "profile")
        if "openid" not in scopes:
            scopes = ("openid", *scopes)
        claims = self.claims(body.get("claims", {}))
        groups = self.groups(body.get("groups_to_queues", {}))
        domains = self.strings(body, "allowed_email_domains") or ()
        for position, domain in enumerate(domains):
            if not _DOMAIN.match(domain.lower()):
                self.problem(("allowed_email_domains", position), f"'{domain}' is not a domain")
        mfa = self.mfa(body.get("mfa", {}))
        if len(self.out) > count:
            return None
        assert name and label and discovery and client_id  # each checked above
        return ProviderConfig(
            name=name,
            label=label,
            discovery_url=discovery,
            client_id=client_id,
            client_secret=secret,
            private_key=key,
            private_key_id=key_id,
            scopes=scopes,
            claims=claims,
            groups_to_queues=groups,
            allowed_email_domains=tuple(d.lower() for d in domains),
            mfa=mfa,
        )

    def check_discovery(self, url: str) -> None:
        parts = urlsplit(url)
        if not parts.path.endswith("/.well-known/openid-configuration"):
            self.problem("discovery_url", "must end with /.well-known/openid-configuration")
        if parts.scheme == "https":
            return
        if parts.scheme == "http" and is_loopback(parts.hostname or ""):
            return  # a provider on this machine (tests, the development provider)
        self.problem("discovery_url", "must be an https URL (http only on loopback)")

    def client_auth(self, body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
        has_secret, has_key = "client_secret_env" in body, "private_key_jwt" in body
        if has_secret == has_key:
            self.problem((), "give exactly one of 'client_secret_env' or 'private_key_jwt'")
            return None, None, None
        if has_secret:
            variable = self.text(body, "client_secret_env")
            if variable is None:
                return None, None, None
            if not _ENV.match(variable):
                self.problem(
                    "client_secret_env", f"'{variable}' is not an environment variable name"
                )
                return None, None, None
            secret = self.env.get(variable)
            if not secret:
                self.problem("client_secret_env", f"the environment variable {variable} is not set")
            return secret, None, None
        spec = body["private_key_jwt"]
        if not isinstance(spec, dict) or not isinstance(spec.get("key_file"), str):
            self.problem("private_key_jwt", "private_key_jwt needs {key_file: PATH, key_id: ID}")
            return None, None, None
        try:
            pem = Path(spec["key_file"]).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            self.problem(("private_key_jwt", "key_file"), f"cannot read the key: {error}")
            return None, None, None
        if "PRIVATE KEY-----" not in pem:
            self.problem(("private_key_jwt", "key_file"), "the file is not a PEM private key")
            return None, None, None
        key_id = spec.get("key_id")
        return None, pem, key_id if isinstance(key_id, str) else None

    def claims(self, raw: Any) -> ClaimMapping:
        if not isinstance(raw, dict):
            self.problem("claims", "'claims' maps email, name, department, groups to claim names")
            return ClaimMapping()
        names: dict[str, str] = {}
        for key, value in raw.items():
            if key not in _CLAIMS:
                self.problem(("claims", key), f"unknown claim role '{key}' ({', '.join(_CLAIMS)})")
            elif not isinstance(value, str) or not value:
                self.problem(("claims", key), "the claim's name, a text")
            else:
                names[key] = value
        return ClaimMapping(**names)

    def groups(self, raw: Any) -> dict[str, str]:
        if not isinstance(raw, dict):
            self.problem("groups_to_queues", "'groups_to_queues' maps group values to queues")
            return {}
        result: dict[str, str] = {}
        for group, queue in raw.items():
            if not isinstance(queue, str) or not _QUEUE.match(queue):
                self.problem(("groups_to_queues", group), "the queue, as department/group")
            else:
                result[group] = queue
        return result

    def mfa(self, raw: Any) -> MfaSettings:
        if not isinstance(raw, dict):
            self.problem("mfa", "'mfa' is {acr_values, accept_amr, max_age}")
            return MfaSettings()
        for key in raw:
            if key not in ("acr_values", "accept_amr", "max_age"):
                self.problem(("mfa", key), f"unknown key '{key}' (acr_values, accept_amr, max_age)")
        acr = raw.get("acr_values", [])
        amr = raw.get("accept_amr", [])
        acr = acr.split() if isinstance(acr, str) else acr
        values: list[tuple[str, ...]] = []
        for key, value in (("acr_values", acr), ("accept_amr", amr)):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                self.problem(("mfa", key), f"'{key}' is a list of texts")
                value = []
            values.append(tuple(value))
        max_age = raw.get("max_age", 300)
        if isinstance(max_age, bool) or not isinstance(max_age, int) or not 0 <= max_age <= 86400:
            self.problem(("mfa", "max_age"), "'max_age' is seconds, 0 to 86400")
            max_age = 300
        return MfaSettings(acr_values=values[0], accept_amr=values[1], max_age=max_age)
