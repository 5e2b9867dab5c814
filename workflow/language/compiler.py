"""From YAML text to an immutable ``WorkflowSpec``: load → validate → build.

The spec is built once per definition *version* and shared by every instance and
thread, so everything in it is read-only (``MappingProxyType``, tuples, frozen
dataclasses) and everything costly is done here, once: guards and titles parsed,
JSON Schema validators constructed. Building happens only after validation found
nothing, so it can trust every shape. A version's identity is the sha256 of its
source text. Everything here is pure: reading definition files is the store's job
(``workflow.store.definition_files``).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator

from workflow.errors import DefinitionError
from workflow.language.durations import Calendar, Duration, parse_duration
from workflow.language.expressions import parse_expression, parse_template
from workflow.language.loader import Document, load_document
from workflow.language.schemas import SchemaValidator
from workflow.language.spec import (
    CaseSla,
    Department,
    Escalation,
    JoinRule,
    JsonSchema,
    Rule,
    StateKind,
    StateSpec,
    TaskSpec,
    Timeout,
    WebhookTrigger,
    WorkflowSpec,
)
from workflow.language.validator import effective_calendar, validate, weekday

__all__ = ["compile_definition", "content_hash"]

_NOTHING: Mapping[str, Any] = MappingProxyType({})  # shared: it can never change


def content_hash(text: str) -> str:
    """The identity of a definition version: sha256 hex of its UTF-8 source."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compile_definition(text: str, path: str = "<string>") -> WorkflowSpec:
    """The spec of ``text``; ``DefinitionError`` lists every problem if it is invalid."""
    document = load_document(text, path)
    problems = validate(document)
    if problems:
        raise DefinitionError(problems, file=path)
    return _Builder(document).spec(content_hash(text))


def _freeze(value: Any) -> Any:
    """A read-only deep copy: mappings become ``MappingProxyType``, lists tuples."""
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _schema(value: Any) -> JsonSchema | None:
    if value is None:
        return None
    validator = SchemaValidator(
        copy.deepcopy(value), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return JsonSchema(schema=_freeze(value), validator=validator)


def _duration(value: Any) -> Duration | None:
    return None if value is None else parse_duration(value)


def _calendar(name: str, value: Any) -> Calendar | None:
    if not isinstance(value, dict):
        return None
    weekend = value.get("weekend", ["sat", "sun"])
    return Calendar(
        name=name,
        timezone=value.get("timezone", "UTC"),
        weekend=frozenset(day for day in map(weekday, weekend) if day is not None),
        country=value.get("country"),
        subdivision=value.get("subdivision"),
    )


def _rules(value: str | list[dict[str, Any]]) -> tuple[Rule, ...]:
    if isinstance(value, str):
        return (Rule(to=value),)
    return tuple(
        Rule(to=rule["to"], when=parse_expression(rule["when"]) if "when" in rule else None)
        for rule in value
    )


def _on(value: Mapping[str, Any]) -> Mapping[str, tuple[Rule, ...]]:
    return MappingProxyType({name: _rules(target) for name, target in value.items()})


def _task(body: dict[str, Any], actions: Iterable[str]) -> TaskSpec:
    escalate = body.get("escalate")
    return TaskSpec(
        title=parse_template(body["title"]),
        queue=body["queue"],
        actions=tuple(actions),
        form=_schema(body.get("form")),
        description=body.get("description"),
        priority=body.get("priority", 0),
        due=_duration(body.get("due")),
        remind=_duration(body.get("remind")),
        escalate=(
            Escalation(after=parse_duration(escalate["after"]), to=escalate["to"])
            if escalate is not None
            else None
        ),
        four_eyes=tuple(body.get("four_eyes", ())),
        assurance=body.get("assurance"),
        delegate=body.get("delegate", "queue"),
    )


def _join(value: Any) -> JoinRule:
    if isinstance(value, dict):
        return JoinRule(mode="at_least", count=value["at_least"])
    return JoinRule(mode=value or "all")


def _sla(value: Any) -> CaseSla | None:
    if value is None:
        return None
    return CaseSla(
        due=parse_duration(value["due"]),
        remind=parse_duration(value["remind"]) if "remind" in value else None,
        escalate_to=value.get("escalate_to"),
        paused_in=frozenset(value.get("paused_in", ())),
    )


class _Builder:
    def __init__(self, document: Document) -> None:
        self.document = document

    def spec(self, digest: str) -> WorkflowSpec:
        data: dict[str, Any] = self.document.data
        departments = {
            key: Department(key, body["title"], self.department_calendar(key, body))
            for key, body in data["departments"].items()
        }
        states = {name: self.state(name, body) for name, body in data["states"].items()}
        return WorkflowSpec(
            key=data["workflow"],
            title=data["title"],
            owner=data["owner"],
            departments=MappingProxyType(departments),
            start=data["start"],
            states=MappingProxyType(states),
            content_hash=digest,
            source_path=self.document.path,
            input=_schema(data.get("input")),
            triggers=tuple(
                WebhookTrigger(
                    source=trigger["webhook"],
                    input=MappingProxyType(dict(trigger.get("input") or {})),
                    business_key=trigger.get("business_key"),
                    signal=trigger.get("signal"),
                    data=MappingProxyType(dict(trigger["data"])) if "data" in trigger else None,
                    match=MappingProxyType(dict(trigger.get("match") or {})),
                )
                for trigger in data.get("triggers", ())
            ),
            kept_events=MappingProxyType(
                {
                    name: parse_duration(body["keep"])
                    for name, body in (data.get("events") or {}).items()
                }
            ),
            calendar=_calendar(data["workflow"], data.get("calendar")),
            description=data.get("description"),
            sla=_sla(data.get("sla")),
        )

    def department_calendar(self, key: str, body: dict[str, Any]) -> Calendar | None:
        """The department's own calendar over the workflow's; None if it has none."""
        if "calendar" not in body:
            return None
        return _calendar(
            key, effective_calendar(self.document.data.get("calendar"), body["calendar"])
        )

    def state(self, name: str, body: dict[str, Any]) -> StateSpec:
        line = self.document.key_where(("states", name))[0]
        if "task" in body:
            return StateSpec(
                name=name,
                kind=StateKind.TASK,
                line=line,
                task=_task(body["task"], body["on"]),
                on=_on(body["on"]),
                branches=_NOTHING,
            )
        if "wait" in body:
            timeout = (body["wait"] or {}).get("timeout")
            return StateSpec(
                name=name,
                kind=StateKind.WAIT,
                line=line,
                on=_on(body.get("on", {})),  # none: a standstill until the timeout
                branches=_NOTHING,
                timeout=(
                    Timeout(after=parse_duration(timeout["after"]), to=timeout["to"])
                    if timeout is not None
                    else None
                ),
            )
        if "parallel" in body:
            branches = {
                branch: _task(spec["task"], spec["task"]["actions"])
                for branch, spec in body["parallel"].items()
            }
            return StateSpec(
                name=name,
                kind=StateKind.PARALLEL,
                line=line,
                on=_NOTHING,
                branches=MappingProxyType(branches),
                join=_join(body.get("join")),
                next=_rules(body["next"]),
            )
        if "final" in body:
            return StateSpec(
                name=name,
                kind=StateKind.FINAL,
                line=line,
                on=_NOTHING,
                branches=_NOTHING,
                emit=body.get("emit"),
            )
        return StateSpec(
            name=name,
            kind=StateKind.DECISION,
            line=line,
            on=_NOTHING,
            branches=_NOTHING,
            next=_rules(body["next"]),
        )
