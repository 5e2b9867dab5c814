"""``to_mermaid``: every state and every labelled edge, escaped so any text renders.

The diagram is read back with a small parser that decodes Mermaid's entity codes, so
the tests check what a reader sees, not how the escaping happens to be spelled.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import read
from workflow.language.compiler import compile_definition
from workflow.language.expressions import parse_expression, parse_template
from workflow.language.graph import to_mermaid
from workflow.language.spec import JoinRule, Rule, StateKind, StateSpec, TaskSpec, WorkflowSpec

EXAMPLES = sorted(p.stem for p in (Path(__file__).parent.parent / "definitions").glob("*.yaml"))
NAMES = ["valid/graph-guards", "valid/graph-parallel", *EXAMPLES]

NODE = re.compile(r'^    (?P<id>\w+)(?P<shape>[\[\](){}/]+)"(?P<label>[^"]*)"[\[\](){}/]+$')
EDGE = re.compile(r'^    (?P<source>\w+) (?:-- "(?P<label>[^"]*)" )?--> (?P<target>\w+)$')
ENTITY = re.compile(r"#(\d+|quot|amp|lt|gt);|<br/>")
NAMED = {"quot": '"', "amp": "&", "lt": "<", "gt": ">"}


def spec(name: str) -> WorkflowSpec:
    return compile_definition(read(name), f"{name}.yaml")


def decode(label: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match[1]
        if code is None:
            return "\n"
        return NAMED[code] if code in NAMED else chr(int(code))

    return ENTITY.sub(one, label)


def nodes(text: str) -> dict[str, str]:
    """Node id → decoded label. A raw quote inside a label would not match NODE."""
    found = {}
    for line in text.splitlines():
        if (match := NODE.match(line)) is not None:
            found[match["id"]] = decode(match["label"])
    return found


def edges(text: str) -> list[tuple[str, str, str]]:
    """(source label's first line, decoded edge label, target's first line)."""
    names = {node: label.split("\n")[0] for node, label in nodes(text).items()}
    names["start_"] = "(start)"
    found = []
    for line in text.splitlines():
        if (match := EDGE.match(line)) is not None:
            label = decode(match["label"] or "")
            found.append((names[match["source"]], label, names[match["target"]]))
    return found


def expected_edges(compiled: WorkflowSpec) -> list[tuple[str, str, str]]:
    """The edges the diagram must show, in declaration order."""

    def labelled(prefix: str, rules: tuple[Rule, ...]) -> list[str]:
        guards = [
            f"when {r.when.source}" if r.when else ("otherwise" if len(rules) > 1 else "")
            for r in rules
        ]
        return [" / ".join(part for part in (prefix, guard) if part) for guard in guards]

    result = [("(start)", "", compiled.start)]
    for state in compiled.states.values():
        for action, rules in state.on.items():
            for rule, label in zip(rules, labelled(action, rules), strict=True):
                result.append((state.name, label, rule.to))
        for rule, label in zip(state.next, labelled("", state.next), strict=True):
            result.append((state.name, label, rule.to))
        if state.timeout is not None:
            result.append((state.name, f"timeout after {state.timeout.after}", state.timeout.to))
    return result


@pytest.mark.parametrize("name", NAMES)
def test_mermaid__has_a_node_for_every_state_in_declaration_order(name: str) -> None:
    compiled = spec(name)
    found = nodes(to_mermaid(compiled))
    assert [label.split("\n")[0] for label in found.values()] == list(compiled.states)


@pytest.mark.parametrize("name", NAMES)
def test_mermaid__has_every_edge_with_its_label(name: str) -> None:
    compiled = spec(name)
    assert edges(to_mermaid(compiled)) == expected_edges(compiled)


def test_mermaid__is_a_flowchart_entered_from_a_start_marker() -> None:
    lines = to_mermaid(spec("valid/graph-guards")).splitlines()
    assert lines[0] == "flowchart TD"
    assert "    start_((start))" in lines and "    start_ --> s_assess" in lines


def test_mermaid__each_guarded_rule_of_an_action_is_its_own_edge() -> None:
    found = edges(to_mermaid(spec("valid/graph-guards")))
    assess = [(label, target) for source, label, target in found if source == "assess"]
    assert assess == [
        ('accept / when input.urgent and input.name != "a \\"quoted\\" <b> & #c | {d}"', "route"),
        ("accept / when input.amount >= 10000\nand input.name != '`tick`'", "route"),
        ("accept / otherwise", "award"),
        ("decline", "declined"),
    ]


def test_mermaid__decision_rules_are_labelled_with_their_guards() -> None:
    text = to_mermaid(spec("valid/graph-guards"))
    assert '    s_route{"route<br/>decision"}' in text
    assert '    s_route -- "when input.amount #gt; 50000" --> s_board' in text
    assert '    s_route -- "otherwise" --> s_award' in text


def test_mermaid__parallel_state_lists_branches_actions_and_join() -> None:
    found = nodes(to_mermaid(spec("valid/graph-parallel")))
    assert found["s_consult"].split("\n") == [
        "consult",
        "parallel, join at least 2",
        "∥ fire: fire/inspectors (support, object)",
        "∥ water: water/engineers (support, object)",
        "∥ heritage: planning/heritage (support, object)",
    ]
    assert found["s_first_reply"].split("\n")[1] == "parallel, join any"


def test_mermaid__wait_timeout_is_a_labelled_edge() -> None:
    text = to_mermaid(spec("valid/graph-parallel"))
    assert '    s_awaiting_applicant -- "timeout after 14 business days" --> s_lapsed' in text


def test_mermaid__final_states_are_marked_and_show_their_event() -> None:
    text = to_mermaid(spec("valid/graph-parallel"))
    assert "    class s_consented,s_lapsed final" in text
    assert nodes(text)["s_consented"] == "consented\nemits consent.granted"


def test_mermaid__special_characters_in_labels_are_escaped_and_read_back() -> None:
    text = to_mermaid(spec("valid/graph-guards"))
    title = nodes(text)["s_assess"].split("\n")[1]
    assert title == 'task: Assess "{{ input.name }}" <{{ input.amount }}> & #1 | `x`'
    diagram = "\n".join(line for line in text.splitlines() if not line.startswith("    %%"))
    assert "{{" not in diagram and "`" not in diagram


def test_mermaid__a_line_break_in_the_title_stays_inside_the_comment() -> None:
    source = read("valid/minimal").replace("title: Minimal", 'title: "Two\\nlines"')
    lines = to_mermaid(compile_definition(source, "x.yaml")).splitlines()
    assert lines[1] == "    %% minimal: Two lines"


def test_mermaid__is_the_same_text_every_time() -> None:
    assert to_mermaid(spec("foi-request")) == to_mermaid(spec("foi-request"))


def odd_names_spec() -> WorkflowSpec:
    """Names the validator would refuse, as a spec built in code might have them."""
    task = TaskSpec(title=parse_template("Review"), queue="q/g", actions=('go "now"', "a|b"))
    states = {
        "a.b": StateSpec(
            "a.b", StateKind.TASK, task=task, on={'go "now"': (Rule("a_b"),), "a|b": (Rule("end"),)}
        ),
        "a_b": StateSpec(
            "a_b",
            StateKind.PARALLEL,
            branches={"x y": task},
            join=JoinRule("any"),
            next=(Rule("end", parse_expression("input.v > 1")), Rule('say "hi" \\')),
        ),
        "end": StateSpec("end", StateKind.FINAL),
        'say "hi" \\': StateSpec('say "hi" \\', StateKind.FINAL, emit="x.y"),
    }
    return WorkflowSpec(
        key="odd", title="Odd", owner="q", departments={}, start="a.b", states=states,
        content_hash="0",
    )  # fmt: skip


def test_mermaid__any_state_name_gets_its_own_node_id() -> None:
    text = to_mermaid(odd_names_spec())
    found = nodes(text)
    assert [label.split("\n")[0] for label in found.values()] == list(odd_names_spec().states)
    assert len(set(found)) == 4 and "end" not in found


def test_mermaid__any_action_name_labels_its_edge() -> None:
    compiled = odd_names_spec()
    assert edges(to_mermaid(compiled)) == expected_edges(compiled)
