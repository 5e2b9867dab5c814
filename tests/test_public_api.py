"""The engine's public API: what ``workflow`` exports, and that nobody goes around it.

The list is pinned so that adding or removing an export is a decision made in a
review, not a side effect. Code outside ``workflow/`` imports only ``workflow``
itself (lint-imports checks the installed packages too; this also covers bench/),
and the tests, which may reach inside to test a layer, never bind to a private name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import workflow

ROOT = Path(__file__).resolve().parent.parent
CALLERS = ("civicflow", "web", "integrations", "bench")

# Deep imports that are still needed, with the reason; remove a line when its reason
# is gone (the last test fails on a line that no longer matches anything).
ALLOWED_DEEP: set[tuple[str, str]] = set()

EXPORTS = [
    "COMMANDS",
    "EVENT_TYPES",
    "MAX_BULK",
    "MAX_LIMIT",
    "SORTS",
    "SYSTEM",
    "TIMER_KINDS",
    "TOKEN_SCOPES",
    "VIEWS",
    "Actor",
    "ApiTokens",
    "Assurance",
    "AttachmentContent",
    "AttachmentStore",
    "AttachmentView",
    "Attempt",
    "AuditEntry",
    "AuditFinding",
    "BulkResult",
    "BusyError",
    "CivicflowError",
    "Claim",
    "Clock",
    "CommentView",
    "ConflictError",
    "Database",
    "DefinitionError",
    "DefinitionInfo",
    "DeliveryClaim",
    "DeliveryView",
    "Directory",
    "Document",
    "Emitted",
    "Engine",
    "ExpressionError",
    "FailedJob",
    "FieldError",
    "FixedClock",
    "ForbiddenError",
    "IdempotencyKeys",
    "InboxPage",
    "InboxPreferences",
    "InboxQuery",
    "InstanceCancelled",
    "InstanceCompleted",
    "InstanceEvent",
    "InstancePage",
    "InstanceStarted",
    "InstanceView",
    "InvalidDataError",
    "InvariantError",
    "JobQueue",
    "NotFoundError",
    "Notification",
    "NotificationQueue",
    "OutboxEvent",
    "PendingAction",
    "PendingActions",
    "People",
    "Problem",
    "Reason",
    "Refusal",
    "SignInSession",
    "SignIns",
    "StoredContentError",
    "StoredResponse",
    "SubscriptionView",
    "SystemClock",
    "TaskAssigned",
    "TaskCancelled",
    "TaskClaimed",
    "TaskCompleted",
    "TaskCreated",
    "TaskDelegated",
    "TaskEscalated",
    "TaskEvent",
    "TaskOverdue",
    "TaskPermissions",
    "TaskPrioritized",
    "TaskReminded",
    "TaskUnclaimed",
    "TaskView",
    "TokenInfo",
    "WebhookStore",
    "WebhookTrigger",
    "WorkflowSpec",
    "bulk",
    "case_attachments",
    "case_comments",
    "compile_definition",
    "definition_source",
    "definition_versions",
    "departments",
    "event_matches",
    "event_schema",
    "event_schemas",
    "find_instance",
    "find_task",
    "inbox",
    "inbox_statement",
    "load_definition",
    "load_directory",
    "load_document",
    "open_attachment",
    "parse_directory",
    "queue_counts",
    "read_definition",
    "search_instances",
    "to_dot",
    "to_mermaid",
    "validate_paths",
    "verify_audit",
]


def _imports(folder: str) -> Iterator[tuple[str, int, str, list[str]]]:
    """(file, line, module, names) of every absolute import under ``folder``;
    ``names`` is empty for ``import x``."""
    for file in sorted((ROOT / folder).rglob("*.py")):
        if ".venv" in file.parts:
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        where = file.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield where, node.lineno, alias.name, []
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield where, node.lineno, node.module, [alias.name for alias in node.names]


def _engine(module: str) -> bool:
    return module == "workflow" or module.startswith("workflow.")


def _deep_imports() -> list[tuple[str, int, str]]:
    return [
        (file, line, module)
        for folder in CALLERS
        for file, line, module, _ in _imports(folder)
        if module.startswith("workflow.")
    ]


def test_exports__are_the_pinned_list() -> None:
    assert workflow.__all__ == EXPORTS


def test_exports__every_name_is_defined() -> None:
    missing = [name for name in workflow.__all__ if not hasattr(workflow, name)]
    assert missing == []


def test_callers__import_only_the_package_itself() -> None:
    deep = [
        f"{file}:{line}: imports {module}"
        for file, line, module in _deep_imports()
        if (file, module) not in ALLOWED_DEEP
    ]
    assert deep == [], "outside workflow/, import only from `workflow` (add an export)"


def test_callers__import_only_exported_names() -> None:
    unexported = [
        f"{file}:{line}: {name}"
        for folder in CALLERS
        for file, line, module, names in _imports(folder)
        if module == "workflow"
        for name in names
        if name not in workflow.__all__
    ]
    assert unexported == []


def test_tests__import_no_private_module_or_name_of_the_engine() -> None:
    private = [
        f"{file}:{line}: {module} {' '.join(names)}".rstrip()
        for file, line, module, names in _imports("tests")
        if _engine(module)
        and (
            any(part.startswith("_") for part in module.split("."))
            or any(name.startswith("_") for name in names)
        )
    ]
    assert private == []


def test_allowed_deep_imports__are_all_still_needed() -> None:
    found = {(file, module) for file, _, module in _deep_imports()}
    assert found >= ALLOWED_DEEP, f"no longer needed, remove: {sorted(ALLOWED_DEEP - found)}"
