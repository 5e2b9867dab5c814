"""Standard Webhooks signatures (https://www.standardwebhooks.com), both ways.

A message is signed as ``base64(HMAC-SHA256(key, f"{id}.{timestamp}.{body}"))`` and
sent as ``webhook-signature: v1,<signature>``; a sender rotating keys sends several,
space-separated, and one match is enough. Secrets are ``whsec_`` + base64 of the key.
The timestamp must be within five minutes of now, either way, so a captured message
cannot be replayed later; ``webhook-id`` de-duplication (the caller's) covers the five
minutes. Comparisons are constant-time. Tests check this module against the reference
library (``standardwebhooks``), signing and verifying in both directions.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random_bytes
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from workflow import CivicflowError

__all__ = [
    "PREFIX",
    "TOLERANCE",
    "SignatureError",
    "new_secret",
    "secret_key",
    "sign",
    "signed_headers",
    "verify",
]

PREFIX = "whsec_"
TOLERANCE = timedelta(minutes=5)


class SignatureError(CivicflowError):
    """The webhook's signature headers are missing, malformed, stale or do not match."""

    title = "Invalid webhook signature"


def new_secret() -> str:
    """A fresh ``whsec_`` secret: 32 random bytes."""
    return PREFIX + base64.b64encode(random_bytes.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret (the prefix is optional, padding too)."""
    text = secret.removeprefix(PREFIX).strip()
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from error
    if not key:
        raise ValueError("a webhook secret must not be empty")
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message."""
    content = b"%s.%d.%s" % (message_id.encode(), timestamp, body)
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(
    secrets: Sequence[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers of a message signed with each of ``secrets``."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(secret_key(s), message_id, timestamp, body) for s in secrets
        ),
    }


def verify(keys: Sequence[bytes], headers: Mapping[str, str], body: bytes, now: datetime) -> str:
    """Check a message against any of ``keys``; returns its ``webhook-id``.

    ``headers`` must be case-insensitive (Werkzeug's are) or lower-case."""
    message_id = headers.get("webhook-id") or ""
    stamp = headers.get("webhook-timestamp") or ""
    signatures = headers.get("webhook-signature") or ""
    if not (message_id and stamp and signatures):
        raise SignatureError(
            "webhook-id, webhook-timestamp and webhook-signature headers are required"
        )
    if not stamp.isdigit() or len(stamp) > 12:
        raise SignatureError("webhook-timestamp must be whole seconds since the epoch")
    timestamp = int(stamp)
    skew = abs(now.timestamp() - timestamp)
    if skew > TOLERANCE.total_seconds():
        raise SignatureError(
            "webhook-timestamp is more than 5 minutes away from now; "
            "sign each attempt with the time it is sent",
            webhook_id=message_id,
        )
    offered: list[bytes] = []
    for versioned in signatures.split():
        version, _, value = versioned.partition(",")
        if version != "v1":
            continue
        try:
            offered.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            continue
    expected = [base64.b64decode(sign(key, message_id, timestamp, body)[3:]) for key in keys]
    # every pair compared, so the time taken says nothing about which one matched
    matched = False
    for mine in expected:
        for theirs in offered:
            matched |= hmac.compare_digest(mine, theirs)
    if not matched:
        raise SignatureError(
            "no webhook-signature matches this source's secret", webhook_id=message_id
        )
    return message_id
