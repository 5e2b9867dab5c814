"""Outbound HTTP that cannot be pointed at the inside of the network.

A subscription URL is chosen by whoever holds a ``webhooks:manage`` token, so without
a guard it could make the worker call the database's admin port or a cloud metadata
address (server-side request forgery). ``Egress.post`` resolves the host itself,
refuses the request if *any* address is loopback, link-local, private, reserved or
multicast (unless ``CIVICFLOW_WEBHOOK_ALLOW_PRIVATE`` is set), and then connects to
exactly the address it checked — the URL is rewritten to that IP, with the original
``Host`` header and TLS server name — so a DNS answer that changes between the check
and the connection (DNS rebinding) cannot slip through. Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping

import httpx

from workflow import CivicflowError

__all__ = ["Egress", "EgressRefusedError", "Reply", "is_public"]

EXCERPT = 1000  # bytes of a response body kept for the delivery log


class EgressRefusedError(CivicflowError):
    """The URL is not http(s), does not resolve, or resolves to a private address."""

    title = "Address refused"


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


class Reply:
    """What the delivery log keeps of a response."""

    def __init__(self, status: int, headers: Mapping[str, str], excerpt: str) -> None:
        self.status = status
        self.headers = headers
        self.excerpt = excerpt


class Egress:
    def __init__(self, *, allow_private: bool, timeout: float = 10.0) -> None:
        self.allow_private = allow_private
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)

    def close(self) -> None:
        self.client.close()

    def resolve(self, url: httpx.URL) -> str:
        """The address to connect to for ``url``, checked."""
        if url.scheme not in ("http", "https") or not url.host:
            raise EgressRefusedError("only http and https URLs are delivered to", url=str(url))
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            infos = socket.getaddrinfo(url.host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise EgressRefusedError(f"{url.host} does not resolve: {error}") from error
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not self.allow_private:
            for address in addresses:
                if not is_public(address):
                    raise EgressRefusedError(
                        f"{url.host} resolves to {address}, a loopback, link-local or "
                        "private address; set CIVICFLOW_WEBHOOK_ALLOW_PRIVATE to allow it",
                        url=str(url),
                    )
        return str(addresses[0])

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Reply:
        parsed = httpx.URL(url)
        address = self.resolve(parsed)
        host_header = parsed.host if parsed.port is None else f"{parsed.host}:{parsed.port}"
        target = parsed.copy_with(host=address)
        extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
        request = self.client.build_request(
            "POST",
            target,
            content=body,
            headers={**headers, "host": host_header},
            extensions=extensions,
        )
        response = self.client.send(request, stream=True)
        try:
            excerpt = b""
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= EXCERPT:
                    break
        finally:
            response.close()
        text = excerpt[:EXCERPT].decode("utf-8", "replace")
        return Reply(response.status_code, dict(response.headers), text)
