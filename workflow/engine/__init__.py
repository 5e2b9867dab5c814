"""The engine: the commands staff, integrators and timers give a workflow.

Each public method is one unit of work inside the caller's transaction (the caller
commits, see ``Database.transaction``): it loads the facts through ``Store``, asks
the version's ``Runtime`` for a decision, checks the actor's right to make it, and
writes state, tasks, timers, the audit record and outbox events together. A
concurrent change to the same task or instance makes the loser raise
``ConflictError`` and write nothing.

Compiled specs and state machines are cached per definition version (content hash),
so no call compiles anything. The commands are grouped by concern in the modules of
this package; ``Engine`` is the one class callers use.
"""

from __future__ import annotations

from workflow.engine.lifecycle import Lifecycle
from workflow.engine.teamwork import Teamwork

__all__ = ["Engine"]


class Engine(Lifecycle, Teamwork):
    """Start with ``Engine(clock=...)``; pass a session to every command."""
