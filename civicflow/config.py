"""Configuration, in one place: ``CIVICFLOW_*`` environment variables with embedded
defaults that give a complete single-machine system (SQLite file, demo directory,
the example definitions). Read once at start-up; passed down, never global.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-not-secret"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    idp_config: Path | None
    definitions_dir: Path
    directory_file: Path | None
    # E-mail for notifications; with no host they stay queued (the worker says so once).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "civicflow@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    # API rate limits (Flask-Limiter syntax), per token and per client address
    rate_limit_token: str = "600/minute"
    rate_limit_address: str = "1200/minute"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(f"CIVICFLOW_{name}")
            return value if value else None

        data_dir = Path(get("DATA_DIR") or PROJECT_ROOT / "var")
        directory = get("DIRECTORY_FILE")
        idp = get("IDP_CONFIG")
        return cls(
            data_dir=data_dir,
            database_url=get("DATABASE_URL") or f"sqlite:///{data_dir / 'civicflow.db'}",
            redis_url=get("REDIS_URL"),
            secret_key=get("SECRET_KEY") or DEV_SECRET,
            idp_config=Path(idp) if idp else None,
            definitions_dir=Path(get("DEFINITIONS_DIR") or PROJECT_ROOT / "definitions"),
            directory_file=Path(directory)
            if directory
            else PROJECT_ROOT / "demo" / "directory.yaml",
            smtp_host=get("SMTP_HOST"),
            smtp_port=_port(get("SMTP_PORT") or "25"),
            smtp_sender=get("SMTP_SENDER") or "civicflow@localhost",
            smtp_starttls=(get("SMTP_STARTTLS") or "").lower() in ("1", "true", "yes", "on"),
            smtp_username=get("SMTP_USERNAME"),
            smtp_password=get("SMTP_PASSWORD"),
            rate_limit_token=get("RATE_LIMIT_TOKEN") or "600/minute",
            rate_limit_address=get("RATE_LIMIT_ADDRESS") or "1200/minute",
        )


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"CIVICFLOW_SMTP_PORT must be a TCP port number (1-65535), got {text!r}")
    return int(text)
