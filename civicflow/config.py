"""Configuration, in one place: ``CIVICFLOW_*`` environment variables with embedded
defaults that give a complete single-machine system (SQLite file, demo directory,
the example definitions). Read once at start-up; passed down, never global.

The defaults work wherever Civicflow is installed: data goes under ``var/`` in the
working directory (never next to the code, which may be a read-only site-packages),
and the example definitions and demo directory come from the package
(``civicflow.examples``), which in a checkout are the repository's own files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from civicflow import examples

__all__ = ["Settings"]

DEV_SECRET = "dev-only-not-secret"
SECRET_PREFIX = "CIVICFLOW_WEBHOOK_SECRET_"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    idp_config: Path | None
    definitions_dir: Path
    directory_file: Path | None
    # Embedded defaults (CIVICFLOW_DATABASE_URL unset: the SQLite file under data_dir)
    # and whether directory_file is the packaged demo one (CIVICFLOW_DIRECTORY_FILE
    # unset): `serve` imports the demo staff only on embedded defaults.
    embedded: bool = False
    directory_is_demo: bool = False
    # E-mail for notifications; with no host they stay queued (the worker says so once).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "civicflow@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    # Browser sessions (SSO): idle and absolute timeouts; trust X-Forwarded-Proto/Host
    # only behind a proxy that sets them (else a client could claim HTTPS).
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    trust_proxy: bool = False
    # The built-in development identity provider (``serve`` on embedded defaults).
    dev_idp: bool = False
    dev_idp_port: int = 8001
    # API rate limits (Flask-Limiter syntax), per token and per client address
    rate_limit_token: str = "600/minute"
    rate_limit_address: str = "1200/minute"
    # Webhooks: inbound secrets by source (CIVICFLOW_WEBHOOK_SECRET_<SOURCE>, several
    # space-separated during a rotation); outbound egress to private addresses.
    webhook_secrets: Mapping[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    webhook_allow_private: bool = False
    webhook_max_body: int = 256 * 1024
    # Presence with CIVICFLOW_REDIS_URL: a web process that stops beating (killed,
    # lost) has its viewers dropped this many seconds after its last heartbeat.
    presence_ttl_seconds: int = 30

    def webhook_secret(self, source: str) -> tuple[str, ...]:
        """The secrets of inbound source ``source`` (``permit-portal`` is read from
        ``CIVICFLOW_WEBHOOK_SECRET_PERMIT_PORTAL``); empty when none is set."""
        return self.webhook_secrets.get(source.upper().replace("-", "_"), ())

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(f"CIVICFLOW_{name}")
            return value if value else None

        data_dir = Path(get("DATA_DIR") or Path.cwd() / "var")
        definitions = get("DEFINITIONS_DIR")
        directory = get("DIRECTORY_FILE")
        idp = get("IDP_CONFIG")
        return cls(
            data_dir=data_dir,
            database_url=get("DATABASE_URL") or f"sqlite:///{data_dir / 'civicflow.db'}",
            redis_url=get("REDIS_URL"),
            secret_key=get("SECRET_KEY") or DEV_SECRET,
            idp_config=Path(idp) if idp else None,
            definitions_dir=Path(definitions)
            if definitions
            else _packaged(examples.DEFINITIONS, "DEFINITIONS_DIR"),
            directory_file=Path(directory)
            if directory
            else _packaged(examples.DIRECTORY, "DIRECTORY_FILE"),
            embedded=get("DATABASE_URL") is None,
            directory_is_demo=directory is None,
            smtp_host=get("SMTP_HOST"),
            smtp_port=_port(get("SMTP_PORT") or "25"),
            smtp_sender=get("SMTP_SENDER") or "civicflow@localhost",
            smtp_starttls=(get("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes", "on"),
            smtp_username=get("SMTP_USERNAME"),
            smtp_password=get("SMTP_PASSWORD"),
            session_idle_minutes=_positive("SESSION_IDLE_MINUTES", get("SESSION_IDLE_MINUTES"), 30),
            session_max_hours=_positive("SESSION_MAX_HOURS", get("SESSION_MAX_HOURS"), 12),
            trust_proxy=(get("TRUST_PROXY") or "").lower() in ("1", "true", "yes", "on"),
            rate_limit_token=get("RATE_LIMIT_TOKEN") or "600/minute",
            rate_limit_address=get("RATE_LIMIT_ADDRESS") or "1200/minute",
            webhook_secrets={
                name.removeprefix(SECRET_PREFIX): tuple(value.split())
                for name, value in env.items()
                if name.startswith(SECRET_PREFIX) and value.strip()
            },
            webhook_allow_private=_flag(get("WEBHOOK_ALLOW_PRIVATE")),
            webhook_max_body=int(get("WEBHOOK_MAX_BODY") or 256 * 1024),
            presence_ttl_seconds=_positive("PRESENCE_TTL_SECONDS", get("PRESENCE_TTL_SECONDS"), 30),
        )


def _packaged(resource: Traversable, variable: str) -> Path:
    """A packaged example as a path on disk. pip installs packages as plain files, so
    only an unusual install (a zip archive) lands in the error, which says what to set."""
    if not isinstance(resource, Path):
        raise ValueError(
            f"Civicflow's packaged examples are not files on disk ({resource}); "
            f"set CIVICFLOW_{variable}"
        )
    return resource.resolve()  # in a checkout: the repository's own file, as people know it


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"CIVICFLOW_SMTP_PORT must be a TCP port number (1-65535), got {text!r}")
    return int(text)


def _flag(text: str | None) -> bool:
    return (text or "").lower() in ("1", "true", "yes", "on")


def _positive(name: str, text: str | None, default: int) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) == 0:
        raise ValueError(f"CIVICFLOW_{name} must be a positive whole number, got {text!r}")
    return int(text)
