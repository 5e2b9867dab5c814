"""Is an address this machine? The development identity provider signs anyone in as
anyone, so it listens only on loopback unless forced.

Kept apart from ``web`` so that ``civicflow serve`` can refuse a public development
provider before it imports the web app (and before gevent patches the process).
"""

from __future__ import annotations

import ipaddress

from workflow import CivicflowError

__all__ = ["DevProviderError", "check_bind", "is_loopback"]


class DevProviderError(CivicflowError):
    """The development provider was asked to do something unsafe."""

    title = "Development provider refused"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(host: str, *, force: bool) -> None:
    """Refuse to listen beyond this machine unless forced."""
    if not is_loopback(host) and not force:
        raise DevProviderError(
            f"the development identity provider signs anyone in as anyone; it will not "
            f"listen on {host} (not loopback) without --force-dev-idp"
        )
