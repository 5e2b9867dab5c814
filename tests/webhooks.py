"""Test helpers for webhooks: messages signed by the Standard Webhooks reference
library (not our code), and the portal definition's secret."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

PORTAL_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SUBMITTED = {
    "type": "application.submitted",
    "application_id": "A-1001",
    "applicant": {"name": "Jo Doe"},
    "site": {"address": "1 Main St", "floor_area_m2": 120},
}


def signed(
    payload: Any,
    *,
    secret: str = PORTAL_SECRET,
    message_id: str | None = None,
    skew: timedelta = timedelta(0),
) -> tuple[dict[str, str], bytes]:
    """Headers and body of ``payload`` (bytes are sent as they are) signed now + skew."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    message_id = message_id or f"msg_{uuid.uuid4().hex}"
    moment = datetime.now(UTC) + skew
    signature = Webhook(secret).sign(message_id, moment, body.decode("utf-8", "replace"))
    headers = {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
    return headers, body


def fee_paid(application_id: str = "A-1001", amount: int = 90) -> dict[str, Any]:
    return {
        "type": "fee.paid",
        "application_id": application_id,
        "amount": amount,
        "reference": "PAY-7",
    }
