"""A workflow as a diagram: Mermaid (renders in GitHub, GitLab, most wikis) and
Graphviz DOT, for process owners reviewing a definition before it goes live.

Both show the same things in declaration order, so output is stable in review diffs:
start and final states, each action or event as a labelled edge, guarded rules with
their ``when`` source, parallel states with their branches and join rule, and wait
timeouts.
"""

from __future__ import annotations

import re

from workflow.spec import Rule, StateKind, StateSpec, WorkflowSpec

__all__ = ["to_dot", "to_mermaid"]


def _edges(state: StateSpec) -> list[tuple[str, str]]:
    """(label, target) of every way out of ``state``."""
    edges: list[tuple[str, str]] = []

    def rules(prefix: str, items: tuple[Rule, ...]) -> None:
        for rule in items:
            guard = f"when {rule.when.source}" if rule.when is not None else ""
            if len(items) > 1 and rule.when is None:
                guard = "otherwise"
            label = " / ".join(part for part in (prefix, guard) if part)
            edges.append((label, rule.to))

    for name, items in state.on.items():
        rules(name, items)
    if state.next:
        rules("", state.next)
    if state.timeout is not None:
        edges.append((f"timeout after {state.timeout.after}", state.timeout.to))
    return edges


def _describe(state: StateSpec) -> str:
    if state.kind is StateKind.TASK and state.task is not None:
        return f"{state.name}\ntask: {state.task.title.source}\nqueue: {state.task.queue}"
    if state.kind is StateKind.PARALLEL and state.join is not None:
        join = state.join.mode if state.join.count is None else f"at least {state.join.count}"
        branches = "\n".join(f"∥ {b}: {t.queue}" for b, t in state.branches.items())
        return f"{state.name}\nparallel, join {join}\n{branches}"
    if state.kind is StateKind.WAIT:
        return f"{state.name}\nwaits for an event"
    if state.kind is StateKind.DECISION:
        return f"{state.name}\ndecision"
    if state.kind is StateKind.FINAL:
        return state.name + (f"\nemits {state.emit}" if state.emit else "")
    return state.name


def _mermaid_id(name: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _mermaid_text(text: str) -> str:
    # Mermaid labels are quoted strings; quotes and markup characters become entities.
    return (
        text.replace("#", "#35;")
        .replace("&", "#amp;")
        .replace("{", "#123;")
        .replace("}", "#125;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("|", "#124;")
        .replace("\n", "<br/>")
    )


def to_mermaid(spec: WorkflowSpec) -> str:
    lines = ["flowchart TD", f"    %% {spec.key}: {spec.title}", "    start_((start))"]
    for state in spec.states.values():
        node, text = _mermaid_id(state.name), _mermaid_text(_describe(state))
        if state.kind is StateKind.FINAL:
            lines.append(f'    {node}(["{text}"])')
        elif state.kind is StateKind.DECISION:
            lines.append(f'    {node}{{"{text}"}}')
        elif state.kind is StateKind.PARALLEL:
            lines.append(f'    {node}[["{text}"]]')
        elif state.kind is StateKind.WAIT:
            lines.append(f'    {node}(["{text}"])')
        else:
            lines.append(f'    {node}["{text}"]')
    lines.append(f"    start_ --> {_mermaid_id(spec.start)}")
    for state in spec.states.values():
        for label, target in _edges(state):
            arrow = f'-- "{_mermaid_text(label)}" -->' if label else "-->"
            lines.append(f"    {_mermaid_id(state.name)} {arrow} {_mermaid_id(target)}")
    finals = " & ".join(_mermaid_id(s.name) for s in spec.states.values() if s.is_final)
    if finals:
        lines.append("    classDef final stroke-width:3px")
        lines.append(f"    class {finals.replace(' & ', ',')} final")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_DOT_SHAPES = {
    StateKind.TASK: "box",
    StateKind.WAIT: "box, style=dashed",
    StateKind.PARALLEL: "box3d",
    StateKind.DECISION: "diamond",
    StateKind.FINAL: "doubleoctagon",
}


def to_dot(spec: WorkflowSpec) -> str:
    lines = [
        f"digraph {_dot_text(spec.key)} {{",
        f"  label={_dot_text(spec.title)};",
        "  rankdir=TB;",
        '  node [fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        '  "__start__" [shape=circle, label="start", width=0.4];',
    ]
    for state in spec.states.values():
        shape = _DOT_SHAPES[state.kind]
        lines.append(
            f"  {_dot_text(state.name)} [shape={shape}, label={_dot_text(_describe(state))}];"
        )
    lines.append(f'  "__start__" -> {_dot_text(spec.start)};')
    for state in spec.states.values():
        for label, target in _edges(state):
            lines.append(
                f"  {_dot_text(state.name)} -> {_dot_text(target)} [label={_dot_text(label)}];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"
