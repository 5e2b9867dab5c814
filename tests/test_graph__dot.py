"""``to_dot``: valid Graphviz with every state and every labelled edge.

The strongest check reads the output back through Graphviz itself (``dot -Tjson``):
the node and edge labels Graphviz parsed must be the texts we meant, whatever quotes
or backslashes they hold. Graphviz is installed by ``scripts/setup``; without it the
Graphviz tests skip (and fail under CI, where setup must have installed it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, read
from tests.test_graph__mermaid import expected_edges, odd_names_spec
from workflow.language.compiler import compile_definition
from workflow.language.graph import to_dot
from workflow.language.spec import StateKind, StateSpec, WorkflowSpec

EXAMPLES = sorted(p.stem for p in (Path(__file__).parent.parent / "definitions").glob("*.yaml"))
NAMES = ["valid/graph-guards", "valid/graph-parallel", *EXAMPLES]
EDGE = re.compile(r'^  "(?P<source>(?:[^"\\]|\\.)*)" -> "(?P<target>(?:[^"\\]|\\.)*)"')


def spec(name: str) -> WorkflowSpec:
    return compile_definition(read(name), f"{name}.yaml")


def graphviz(dot_text: str, fmt: str) -> str:
    dot = shutil.which("dot")
    if dot is None:
        message = "Graphviz 'dot' is not installed (scripts/setup installs it with apt)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run(
        [dot, f"-T{fmt}"], input=dot_text, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def unescape(label: str) -> str:
    """A DOT label as shown: ``\\n`` is a line break, ``\\\\`` one backslash."""
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], label)


def parsed(compiled: WorkflowSpec) -> tuple[list[str], list[tuple[str, str, str]]]:
    """What Graphviz read: node labels, and (source, label, target) by first lines."""
    graph: dict[str, Any] = json.loads(graphviz(to_dot(compiled), "json"))
    labels = [unescape(node["label"]) for node in graph["objects"]]
    first = [label.split("\n")[0] for label in labels]
    first[0] = "(start)"
    found = [
        (first[edge["tail"]], unescape(edge.get("label", "")), first[edge["head"]])
        for edge in graph["edges"]
    ]
    return labels, found


@pytest.mark.parametrize("name", NAMES)
def test_dot__graphviz_renders_it(name: str) -> None:
    assert graphviz(to_dot(spec(name)), "svg").startswith("<?xml")


@pytest.mark.parametrize("name", NAMES)
def test_dot__graphviz_reads_every_state_in_declaration_order(name: str) -> None:
    compiled = spec(name)
    labels, _ = parsed(compiled)
    assert labels[0] == "start"
    assert [label.split("\n")[0] for label in labels[1:]] == list(compiled.states)


@pytest.mark.parametrize("name", NAMES)
def test_dot__graphviz_reads_every_edge_with_its_label(name: str) -> None:
    compiled = spec(name)
    _, found = parsed(compiled)
    # Graphviz lists edges in layout order; declaration order is checked on the text.
    assert sorted(found) == sorted(expected_edges(compiled))


@pytest.mark.parametrize("name", NAMES)
def test_dot__has_one_edge_line_per_way_out(name: str) -> None:
    # Without Graphviz: the edge statements, in order, name the right states.
    compiled = spec(name)
    lines = [m for line in to_dot(compiled).splitlines() if (m := EDGE.match(line))]
    assert [(m["source"], m["target"]) for m in lines[1:]] == [
        (source, target) for source, _, target in expected_edges(compiled)[1:]
    ]


def test_dot__ids_and_labels_are_quoted_strings() -> None:
    text = to_dot(spec("valid/graph-guards"))
    assert text.startswith('digraph "graph-guards" {\n')
    assert '  label="Grants <over> \\"10k\\" & #urgent | {fast} `track`";' in text
    assert '  "route" -> "board" [label="when input.amount > 50000"];' in text
    assert '  "route" [shape=diamond, label="route\\ndecision"];' in text


def test_dot__guard_with_quotes_and_line_breaks_reads_back_exactly() -> None:
    _, found = parsed(spec("valid/graph-guards"))
    quoted = 'accept / when input.urgent and input.name != "a \\"quoted\\" <b> & #c | {d}"'
    multiline = "accept / when input.amount >= 10000\nand input.name != '`tick`'"
    assert ("assess", quoted, "route") in found
    assert ("assess", multiline, "route") in found


def test_dot__shows_parallel_branches_join_and_wait_timeout() -> None:
    labels, found = parsed(spec("valid/graph-parallel"))
    assert "parallel, join at least 2\n∥ fire: fire/inspectors (support, object)" in labels[1]
    assert ("awaiting_applicant", "timeout after 14 business days", "lapsed") in found


def test_dot__final_and_start_nodes_have_their_own_shapes() -> None:
    text = to_dot(spec("valid/graph-parallel"))
    assert '  "lapsed" [shape=doubleoctagon, label="lapsed\\nemits consent.lapsed"];' in text
    assert '  "__start__" [shape=circle, label="start", width=0.4];' in text


def test_dot__names_with_quotes_and_backslashes_stay_apart() -> None:
    compiled = odd_names_spec()
    labels, found = parsed(compiled)
    assert [label.split("\n")[0] for label in labels[1:]] == list(compiled.states)
    assert sorted(found) == sorted(expected_edges(compiled))


def test_dot__start_marker_never_merges_with_a_state_of_that_name() -> None:
    base = odd_names_spec()
    states = {"__start__": StateSpec("__start__", StateKind.FINAL), **base.states}
    compiled = WorkflowSpec(
        key="odd", title="Odd", owner="q", departments={}, start="a.b", states=states,
        content_hash="0",
    )  # fmt: skip
    labels, found = parsed(compiled)
    assert len(labels) == len(states) + 1 and ("(start)", "", "a.b") in found


def test_dot__is_the_same_text_every_time() -> None:
    assert to_dot(spec("procurement")) == to_dot(spec("procurement"))
