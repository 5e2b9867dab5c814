"""A workflow as a diagram: Mermaid (renders in GitHub, GitLab, most wikis) and
Graphviz DOT, for process owners reviewing a definition before it goes live.

Both show the same things in declaration order, so output is stable in review diffs:
start and final states, each action or event as a labelled edge, guarded rules with
their ``when`` source, parallel states with their branches and join rule, and wait
timeouts.

Mermaid is drawn as a ``flowchart`` rather than a ``stateDiagram-v2``: flowcharts have
distinct node shapes for decisions (rhombus), parallel states (subroutine) and waits
(parallelogram), and their quoted labels take entity escapes and line breaks, which
state diagrams do not reliably render. A parallel state stays *one* node listing its
branches, queues, actions and join rule, because its ``next`` rules leave the state as
a whole; branch subgraphs would suggest that each branch has its own way out.

Labels are built once (``_describe``, ``_edges``) and only escaped differently per
format, so both diagrams always say the same thing. Both functions are pure.
"""

from __future__ import annotations

import re

from workflow.language.spec import Rule, StateKind, StateSpec, TaskSpec, WorkflowSpec

__all__ = ["to_dot", "to_mermaid"]


def _edges(state: StateSpec) -> list[tuple[str, str]]:
    """(label, target) of every way out of ``state``: actions or events (each rule of a
    guarded action is its own edge), ``next`` rules, then the wait timeout."""
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


def _branch(name: str, task: TaskSpec) -> str:
    return f"∥ {name}: {task.queue} ({', '.join(task.actions)})"


def _describe(state: StateSpec) -> str:
    """The node text: the state name, then what kind of state it is and who acts."""
    if state.kind is StateKind.TASK and state.task is not None:
        return f"{state.name}\ntask: {state.task.title.source}\nqueue: {state.task.queue}"
    if state.kind is StateKind.PARALLEL and state.join is not None:
        join = state.join.mode if state.join.count is None else f"at least {state.join.count}"
        branches = "\n".join(_branch(name, task) for name, task in state.branches.items())
        return f"{state.name}\nparallel, join {join}\n{branches}"
    if state.kind is StateKind.WAIT:
        return f"{state.name}\n{'waits for an event' if state.on else 'stands still'}"
    if state.kind is StateKind.DECISION:
        return f"{state.name}\ndecision"
    if state.kind is StateKind.FINAL:
        return state.name + (f"\nemits {state.emit}" if state.emit else "")
    return state.name


# -- Mermaid ---------------------------------------------------------------------------

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]+")


def _mermaid_id(name: str) -> str:
    """A node id for any state name, distinct for distinct names.

    Validated state names are identifiers and keep a readable ``s_<name>``; anything
    else (a spec built in code) gets ``x_`` plus its UTF-8 bytes in hex, so ``a.b`` and
    ``a_b`` never become the same node, and no id is a Mermaid keyword such as ``end``.
    """
    if _PLAIN_NAME.fullmatch(name):
        return "s_" + name
    return "x_" + name.encode("utf-8").hex()


# Characters that end or reinterpret a quoted Mermaid label, as entity codes. ``#``
# goes first, since every replacement introduces one.
_MERMAID_ENTITIES = (
    ("#", "#35;"),
    ("&", "#amp;"),
    ('"', "#quot;"),
    ("<", "#lt;"),
    (">", "#gt;"),
    ("{", "#123;"),
    ("}", "#125;"),
    ("|", "#124;"),
    ("`", "#96;"),  # a label opening with a backtick would be read as Markdown
)


def _mermaid_text(text: str) -> str:
    for char, entity in _MERMAID_ENTITIES:
        text = text.replace(char, entity)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br/>")


_MERMAID_SHAPES = {
    StateKind.TASK: ('["', '"]'),
    StateKind.WAIT: ('[/"', '"/]'),
    StateKind.PARALLEL: ('[["', '"]]'),
    StateKind.DECISION: ('{"', '"}'),
    StateKind.FINAL: ('(["', '"])'),
}


def to_mermaid(spec: WorkflowSpec) -> str:
    """A Mermaid ``flowchart TD``: start circle, one node per state, labelled edges.

    Final states are stadium-shaped with a thick border (``classDef final``).
    """
    # The title goes in a comment; a line break in it would end the comment early.
    title = " ".join(f"{spec.key}: {spec.title}".split())
    lines = ["flowchart TD", f"    %% {title}", "    start_((start))"]
    for state in spec.states.values():
        opening, closing = _MERMAID_SHAPES[state.kind]
        text = _mermaid_text(_describe(state))
        lines.append(f"    {_mermaid_id(state.name)}{opening}{text}{closing}")
    lines.append(f"    start_ --> {_mermaid_id(spec.start)}")
    for state in spec.states.values():
        for label, target in _edges(state):
            arrow = f'-- "{_mermaid_text(label)}" -->' if label else "-->"
            lines.append(f"    {_mermaid_id(state.name)} {arrow} {_mermaid_id(target)}")
    finals = [_mermaid_id(s.name) for s in spec.states.values() if s.is_final]
    if finals:
        lines.append("    classDef final stroke-width:3px")
        lines.append(f"    class {','.join(finals)} final")
    return "\n".join(lines) + "\n"


# -- Graphviz DOT ----------------------------------------------------------------------


def _dot_text(text: str) -> str:
    """A DOT quoted string. Backslashes are doubled so a name cannot smuggle in a label
    escape (``\\N``, ``\\l``) or escape the closing quote; line breaks become ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_DOT_SHAPES = {
    StateKind.TASK: "box",
    StateKind.WAIT: "parallelogram, style=dashed",
    StateKind.PARALLEL: "box3d",
    StateKind.DECISION: "diamond",
    StateKind.FINAL: "doubleoctagon",
}


def _dot_start_id(spec: WorkflowSpec) -> str:
    # Node ids are the state names themselves (readable, greppable), so the start
    # marker takes an id that no state of this spec has.
    name = "__start__"
    while name in spec.states:
        name = f"_{name}_"
    return name


def to_dot(spec: WorkflowSpec) -> str:
    """A Graphviz ``digraph``; every id and label is a quoted string."""
    start = _dot_text(_dot_start_id(spec))
    lines = [
        f"digraph {_dot_text(spec.key)} {{",
        f"  label={_dot_text(spec.title)};",
        "  rankdir=TB;",
        '  node [fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        f'  {start} [shape=circle, label="start", width=0.4];',
    ]
    for state in spec.states.values():
        shape = _DOT_SHAPES[state.kind]
        lines.append(
            f"  {_dot_text(state.name)} [shape={shape}, label={_dot_text(_describe(state))}];"
        )
    lines.append(f"  {start} -> {_dot_text(spec.start)};")
    for state in spec.states.values():
        for label, target in _edges(state):
            lines.append(
                f"  {_dot_text(state.name)} -> {_dot_text(target)} [label={_dot_text(label)}];"
            )
    lines.append("}")
    return "\n".join(lines) + "\n"
