"""Who is acting: the engine's view of a signed-in person, an API client or the system.

The web layer builds an ``Actor`` from the session (SSO claims) or the API token;
the engine only reads it. ``mfa`` is what the *current session's* identity provider
asserted, so step-up (``assurance: mfa``) is decided per call, not per user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SYSTEM", "Actor", "Assurance", "identity"]


def identity(who: str) -> str:
    """The one spelling of a person's identity (an e-mail address) that the engine
    stores and compares: ``EVE@city.gov`` and ``eve@city.gov`` are one person, as
    the directory already treats them, so no rule (four-eyes, assignment) can be
    sidestepped by changing case."""
    return who.strip().lower()


@dataclass(frozen=True, slots=True)
class Assurance:
    """How the current session's person proved who they are, as their identity
    provider's ID token said: recorded with every action they take, so an MFA action's
    audit record shows which provider vouched for it and with what."""

    provider: str
    acr: str | None = None
    amr: tuple[str, ...] = ()
    auth_time: int | None = None  # seconds since the epoch

    def as_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "acr": self.acr,
            "amr": list(self.amr),
            "auth_time": self.auth_time,
        }


@dataclass(frozen=True, slots=True)
class Actor:
    id: str  # stable identifier; for people, their e-mail address
    name: str = ""
    idp: str = "local"  # the identity provider (or "api", "system") that vouched for them
    queues: frozenset[str] = frozenset()  # "department/group" memberships
    leads: frozenset[str] = frozenset()  # queues in which they may assign and reassign
    mfa: bool = False
    on_behalf_of: str | None = None  # set when a delegate or substitute acts for someone
    assurance: Assurance | None = None  # from a sign-in; None for API tokens and the system

    def __post_init__(self) -> None:
        # (anything but text is left for the database to refuse, as a bug)
        if isinstance(self.id, str):
            object.__setattr__(self, "id", identity(self.id))
        if isinstance(self.on_behalf_of, str):
            object.__setattr__(self, "on_behalf_of", identity(self.on_behalf_of))

    def member_of(self, queue: str) -> bool:
        return queue in self.queues

    def acting_for(self, owner: str | None) -> Actor:
        """This actor, acting on behalf of ``owner`` (a delegation or substitution),
        or for themselves when ``owner`` is None."""
        if owner == self.on_behalf_of:
            return self
        return Actor(
            id=self.id,
            name=self.name,
            idp=self.idp,
            queues=self.queues,
            leads=self.leads,
            mfa=self.mfa,
            on_behalf_of=owner,
            assurance=self.assurance,
        )


SYSTEM = Actor(id="system", name="Civicflow", idp="system")
