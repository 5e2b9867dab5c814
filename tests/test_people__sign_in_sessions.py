"""Sign-in sessions: server-side, timed out by idle and absolute limits, ended by the
provider's back-channel logout, and a logout token used only once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.conftest import T0
from workflow.actors import Assurance
from workflow.people.registry import People
from workflow.people.sign_ins import SignIns, SignInSession

ISSUER = "https://idp.agency-a.example"
IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=8)


@pytest.fixture
def sign_ins(session: Session) -> SignIns:
    People(session).sign_in(
        issuer=ISSUER,
        subject="a-1",
        email="ana@planning.example.gov",
        email_verified=True,
        name="Ana",
        idp="agency-a",
        queues=[],
        mfa=False,
        now=T0,
    )
    return SignIns(session)


def open_session(sign_ins: SignIns, *, sid: str = "sid-1") -> str:
    return sign_ins.open(
        email="ana@planning.example.gov",
        provider="agency-a",
        issuer=ISSUER,
        subject="a-1",
        sid=sid,
        assurance=Assurance(provider="agency-a", acr="urn:x:aal1", amr=("pwd",), auth_time=1),
        id_token="header.payload.signature",
        now=T0,
    )


def resume(sign_ins: SignIns, token: str, after: timedelta) -> SignInSession | None:
    return sign_ins.resume(token, now=T0 + after, idle=IDLE, absolute=ABSOLUTE)


def test_a_session_resumes_by_its_token_and_only_by_it(sign_ins: SignIns) -> None:
    token = open_session(sign_ins)
    found = resume(sign_ins, token, timedelta(minutes=1))
    assert found is not None and found.email == "ana@planning.example.gov"
    assert found.assurance.amr == ("pwd",)
    assert resume(sign_ins, token + "x", timedelta(minutes=1)) is None


def test_an_idle_session_ends(sign_ins: SignIns) -> None:
    token = open_session(sign_ins)
    assert resume(sign_ins, token, IDLE) is None
    assert resume(sign_ins, token, timedelta(minutes=1)) is None  # ended, not just stale


def test_activity_keeps_a_session_alive_until_the_absolute_limit(sign_ins: SignIns) -> None:
    token = open_session(sign_ins)
    at = timedelta(0)
    while at + timedelta(minutes=20) < ABSOLUTE:
        at += timedelta(minutes=20)
        assert resume(sign_ins, token, at) is not None
    assert resume(sign_ins, token, ABSOLUTE) is None


def test_back_channel_logout_ends_the_named_provider_session_only(sign_ins: SignIns) -> None:
    first, second = open_session(sign_ins, sid="sid-1"), open_session(sign_ins, sid="sid-2")
    ended = sign_ins.end_at_provider(issuer=ISSUER, subject="a-1", sid="sid-1", now=T0)
    assert len(ended) == 1
    assert resume(sign_ins, first, timedelta(minutes=1)) is None
    assert resume(sign_ins, second, timedelta(minutes=1)) is not None


def test_a_logout_token_is_used_once(sign_ins: SignIns) -> None:
    expiry = T0 + timedelta(minutes=2)
    assert sign_ins.use_logout_token(issuer=ISSUER, jti="j-1", expires_at=expiry, now=T0)
    assert not sign_ins.use_logout_token(issuer=ISSUER, jti="j-1", expires_at=expiry, now=T0)


def test_a_step_up_records_its_proof_under_a_new_token(sign_ins: SignIns) -> None:
    token = open_session(sign_ins)
    proof = Assurance(provider="agency-a", acr="urn:x:aal2", amr=("mfa", "otp"), auth_time=2)
    fresh = sign_ins.step_up(token, assurance=proof, id_token="h.p.s", now=T0)
    assert fresh is not None and fresh != token
    assert resume(sign_ins, token, timedelta(minutes=1)) is None
    found = resume(sign_ins, fresh, timedelta(minutes=1))
    assert found is not None and found.assurance == proof
