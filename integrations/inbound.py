"""Inbound webhooks: a signed message from a source starts or signals a workflow.

``Inbound.receive`` is the whole exchange short of HTTP (the ``hooks`` blueprint
adapts it), run inside the caller's one transaction:

1. refuse a body over the size limit (413) or a source with no secret (404);
2. verify the Standard Webhooks signature with the source's secrets (401);
3. parse the JSON object (400);
4. a ``webhook-id`` already received from this source returns the first response,
   changing nothing;
5. pick the trigger among the definitions' ``triggers:`` for this source whose
   ``match`` the payload satisfies (422 when none or several);
6. map the payload with the trigger's JSONPaths, then start the workflow (an existing
   instance with that business key is returned instead) or signal the instance with
   that business key (404 when there is none; a kept event is stored, see
   docs/engine.md);
7. insert the receipt (key and response); the caller commits effect and receipt
   together. A concurrent repeat of the same id fails on the receipt's key and rolls
   back its own effect (409); sent again, it reads the first response.

JSONPath is python-jsonpath: maintained, typed, pure Python and compliant with RFC
9535 (the JSONPath standard), so the paths a process owner writes mean what the RFC
says; paths are compiled once per process.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jsonpath
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.signatures import secret_key, verify
from workflow import (
    Actor,
    CivicflowError,
    Clock,
    ConflictError,
    Engine,
    FieldError,
    InvalidDataError,
    NotFoundError,
    WebhookStore,
    WebhookTrigger,
)

__all__ = [
    "MAX_BODY",
    "HookResult",
    "Inbound",
    "MalformedPayloadError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
]

MAX_BODY = 256 * 1024  # bytes


class MalformedPayloadError(CivicflowError):
    """The body is not a JSON object."""

    title = "Malformed payload"


class PayloadTooLargeError(CivicflowError):
    title = "Payload too large"


class UnsupportedMediaTypeError(CivicflowError):
    title = "Unsupported media type"


@dataclass(frozen=True, slots=True)
class HookResult:
    status: int  # 201 started, 200 otherwise
    body: dict[str, Any]
    replayed: bool = False  # the response of an earlier message with the same id


class Inbound:
    """One per process; ``secrets(source)`` gives a source's ``whsec_`` secrets."""

    def __init__(
        self,
        engine: Engine,
        secrets: Callable[[str], Sequence[str]],
        *,
        max_body: int = MAX_BODY,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.secrets = secrets
        self.max_body = max_body
        self.clock = clock or engine.clock
        self._paths: dict[str, jsonpath.JSONPath | jsonpath.CompoundJSONPath] = {}
        self._keys: dict[str, tuple[bytes, ...]] = {}

    def receive(
        self,
        session: Session,
        *,
        source: str,
        headers: Mapping[str, str],
        body: bytes,
        content_type: str | None = None,
    ) -> HookResult:
        if len(body) > self.max_body:
            raise PayloadTooLargeError(
                f"the body is {len(body)} bytes; at most {self.max_body} are accepted",
                source=source,
            )
        keys = self._source_keys(source)
        now = self.clock.now()
        message_id = verify(keys, headers, body, now)
        if content_type is not None and content_type.split(";")[0].strip() != "application/json":
            raise UnsupportedMediaTypeError(
                "send the payload as application/json", content_type=content_type
            )
        payload = _parse(body)
        store = WebhookStore(session)
        first = store.receipt(source, message_id)
        if first is not None:
            return HookResult(first[0], first[1], replayed=True)
        workflow, trigger = self._trigger(session, source, payload)
        actor = Actor(id=f"webhook:{source}", name=source, idp="webhook")
        if trigger.signal is None:
            result = self._start(session, workflow, trigger, payload, actor)
        else:
            result = self._signal(session, workflow, trigger, payload, actor)
        try:
            store.add_receipt(source, message_id, now, result.status, result.body)
        except IntegrityError as error:
            raise ConflictError(
                "a message with this webhook-id was processed at the same time; send it again",
                webhook_id=message_id,
            ) from error
        return result

    # -- steps --------------------------------------------------------------------------

    def _source_keys(self, source: str) -> tuple[bytes, ...]:
        keys = self._keys.get(source)
        if keys is None:
            secrets = self.secrets(source)
            if not secrets:
                raise NotFoundError(f"no webhook source '{source}' is configured", source=source)
            keys = self._keys[source] = tuple(secret_key(s) for s in secrets)
        return keys

    def _trigger(
        self, session: Session, source: str, payload: dict[str, Any]
    ) -> tuple[str, WebhookTrigger]:
        triggers = self.engine.webhook_triggers(session, source)
        if not triggers:
            raise NotFoundError(f"no workflow has a trigger for '{source}'", source=source)
        chosen = [(w, t) for w, t in triggers if self._matches(t, payload)]
        if len(chosen) == 1:
            return chosen[0]
        if not chosen:
            raise InvalidDataError(f"no trigger of '{source}' matches this payload", source=source)
        names = ", ".join(sorted({w for w, _ in chosen}))
        raise InvalidDataError(
            f"several triggers of '{source}' match this payload ({names}); "
            "give them different 'match' values",
            source=source,
        )

    def _matches(self, trigger: WebhookTrigger, payload: dict[str, Any]) -> bool:
        for path, expected in trigger.match.items():
            found = self._find(path, payload)
            if not found or found[0] != expected:
                return False
        return True

    def _start(
        self,
        session: Session,
        workflow: str,
        trigger: WebhookTrigger,
        payload: dict[str, Any],
        actor: Actor,
    ) -> HookResult:
        input = self._map(trigger.input, payload)
        key = self._business_key(trigger, payload)
        try:
            view = self.engine.start(
                session, workflow=workflow, input=input, actor=actor, business_key=key
            )
        except ConflictError as error:
            # the engine checks the business key before writing anything, and says
            # which instance holds it; a race lost at the INSERT names none (re-raised)
            existing = (
                self.engine.instance_by_business_key(session, workflow, key)
                if key is not None and "instance" in error.context
                else None
            )
            if existing is None:
                raise
            return HookResult(200, _body("existing", workflow, existing))
        return HookResult(201, _body("started", workflow, view))

    def _signal(
        self,
        session: Session,
        workflow: str,
        trigger: WebhookTrigger,
        payload: dict[str, Any],
        actor: Actor,
    ) -> HookResult:
        assert trigger.signal is not None
        key = self._business_key(trigger, payload)
        assert key is not None  # the validator requires it for a signal
        instance = self.engine.instance_by_business_key(session, workflow, key)
        if instance is None:
            raise NotFoundError(
                f"no instance of '{workflow}' has business key '{key}'",
                workflow=workflow,
                business_key=key,
            )
        data = payload if trigger.data is None else self._map(trigger.data, payload)
        view = self.engine.signal(
            session, instance_id=instance.id, event=trigger.signal, actor=actor, data=data
        )
        result = "kept" if view.kept else "signalled"
        return HookResult(200, _body(result, workflow, view) | {"event": trigger.signal})

    # -- JSONPath -----------------------------------------------------------------------

    def _find(self, path: str, payload: Any) -> list[Any]:
        compiled = self._paths.get(path)
        if compiled is None:
            compiled = self._paths[path] = jsonpath.compile(path)
        return compiled.findall(payload)

    def _map(self, fields: Mapping[str, str], payload: Any) -> dict[str, Any]:
        """Each field from the first value its path finds; a field whose path finds
        nothing is left out (the input schema says whether it was required)."""
        mapped: dict[str, Any] = {}
        for name, path in fields.items():
            found = self._find(path, payload)
            if found:
                mapped[name] = found[0]
        return mapped

    def _business_key(self, trigger: WebhookTrigger, payload: Any) -> str | None:
        if trigger.business_key is None:
            return None
        found = self._find(trigger.business_key, payload)
        if not found or not isinstance(found[0], str | int) or isinstance(found[0], bool):
            message = f"the payload has no business key (text or number) at {trigger.business_key}"
            raise InvalidDataError(
                message, errors=[FieldError(trigger.business_key, "required text or number")]
            )
        key = str(found[0])
        if not 0 < len(key) <= 200:
            raise InvalidDataError(
                "the business key must be 1 to 200 characters",
                errors=[FieldError(trigger.business_key, "1 to 200 characters")],
            )
        return key


def _parse(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedPayloadError(f"the body is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise MalformedPayloadError("the body must be a JSON object")
    return payload


def _body(result: str, workflow: str, view: Any) -> dict[str, Any]:
    return {
        "result": result,
        "workflow": workflow,
        "instance_id": str(view.id),
        "business_key": view.business_key,
        "state": view.state,
        "status": view.status,
    }
