"""Our Standard Webhooks code agrees with the reference library, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from integrations.signatures import SignatureError, new_secret, secret_key, signed_headers, verify

BODY = b'{"type":"application.submitted","application_id":"A-1"}'


def now() -> datetime:
    return datetime.now(UTC)


def test_signatures__the_reference_library_verifies_ours() -> None:
    secret = new_secret()
    headers = signed_headers([secret], "msg_1", int(now().timestamp()), BODY)
    assert Webhook(secret).verify(BODY, headers) == {
        "type": "application.submitted",
        "application_id": "A-1",
    }


def test_signatures__we_verify_the_reference_library() -> None:
    secret = new_secret()
    moment = now()
    signature = Webhook(secret).sign("msg_2", moment, BODY.decode())
    headers = {
        "webhook-id": "msg_2",
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signature,
    }
    assert verify([secret_key(secret)], headers, BODY, moment) == "msg_2"


def test_signatures__one_matching_signature_of_several_is_enough() -> None:
    old, new = new_secret(), new_secret()
    headers = signed_headers([new, old], "msg_3", int(now().timestamp()), BODY)
    assert verify([secret_key(old)], headers, BODY, now()) == "msg_3"
    Webhook(old).verify(BODY, headers)  # the reference library agrees


def test_signatures__a_changed_body_is_refused_by_both() -> None:
    secret = new_secret()
    headers = signed_headers([secret], "msg_4", int(now().timestamp()), BODY)
    with pytest.raises(SignatureError, match="no webhook-signature matches"):
        verify([secret_key(secret)], headers, BODY + b" ", now())
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_signatures__a_timestamp_outside_five_minutes_is_refused(skew: timedelta) -> None:
    secret = new_secret()
    headers = signed_headers([secret], "msg_5", int((now() + skew).timestamp()), BODY)
    with pytest.raises(SignatureError, match="5 minutes"):
        verify([secret_key(secret)], headers, BODY, now())
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)


def test_signatures__missing_headers_are_refused() -> None:
    with pytest.raises(SignatureError, match="headers are required"):
        verify([secret_key(new_secret())], {"webhook-id": "x"}, BODY, now())


def test_signatures__a_malformed_secret_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="whsec_"):
        secret_key("whsec_not base64!")
