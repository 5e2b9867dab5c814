"""Test helpers for webhooks: messages signed by the Standard Webhooks reference
library (not our code), and the portal definition's secret."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

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


class Receiver:
    """A real HTTP endpoint on loopback that verifies each request with the reference
    library. ``fail_first`` requests get 500; ``reply`` sets a fixed answer."""

    def __init__(self, secret: str, *, fail_first: int = 0) -> None:
        self.secret = secret
        self.fail_first = fail_first
        self.reply: tuple[int, dict[str, str]] | None = None
        self.requests = 0
        self.received: list[dict[str, Any]] = []  # verified and answered 2xx
        self.rejected: list[str] = []  # why a request failed verification
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status, headers = receiver._handle(dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"not now")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handle(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str]]:
        with self._lock:
            self.requests += 1
            if self.requests <= self.fail_first:
                return 500, {}
            if self.reply is not None:
                return self.reply
            try:
                payload = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError as error:
                self.rejected.append(str(error))
                return 401, {}
            lowered = {k.lower(): v for k, v in headers.items()}
            self.received.append({"webhook_id": lowered["webhook-id"], **payload})
            return 204, {}


def web_app(database: Any, tmp_path: Any, **env: str) -> Any:
    """The real app on ``database`` with the portal's secret and a real clock (the
    signatures are checked against it), and two real API tokens, their headers in
    ``token_headers(client, "manage")`` (``webhooks:manage``) and ``"read"``
    (``instances:read`` only)."""
    from civicflow.config import Settings
    from civicflow.services import Services
    from web import create_app
    from workflow import ApiTokens, SystemClock

    settings = Settings.from_env(
        {
            "CIVICFLOW_DATABASE_URL": database.url,
            "CIVICFLOW_DATA_DIR": str(tmp_path),
            "CIVICFLOW_WEBHOOK_SECRET_PERMIT_PORTAL": PORTAL_SECRET,
            **env,
        }
    )
    app = create_app(settings, services=Services(settings, clock=SystemClock(), db=database))
    app.config.update(TESTING=True)
    headers: dict[str, dict[str, str]] = {}
    with database.transaction() as session:
        for kind, scope in (("manage", "webhooks:manage"), ("read", "instances:read")):
            secret, _ = ApiTokens(session).create(
                f"webhooks-test-{kind}",
                scopes=(scope,),
                user=None,
                created_by="tests",
                now=SystemClock().now(),
            )
            headers[kind] = {"Authorization": f"Bearer {secret}"}
    app.config["CIVICFLOW_TEST_TOKENS"] = headers
    return app


def token_headers(client: Any, kind: str) -> dict[str, str]:
    """The Authorization header of ``web_app``'s ``kind`` token ("manage" or "read")."""
    found: dict[str, str] = client.application.config["CIVICFLOW_TEST_TOKENS"][kind]
    return found
