"""The one-shot planner with retrieved demonstrations: what it shows, what its grammars allow."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit.errors import PlanError
from agentkit.examples import Example, ExampleBank
from agentkit.models import FunctionModel, Message
from agentkit.plan import TaskLink, TaskNode, TaskPlan
from agentkit.planners import OneShotPlanner
from agentkit.planners.demos import step_count
from agentkit.planning import arguments_schema, drop_unsound, validate_plan
from agentkit.registry import ToolRegistry
from agentkit.tool import Tool
from agentkit.toolgraph import ToolGraph


def _tool(name: str, inputs: list[str], outputs: list[str]) -> Tool:
    props = {t: {"type": "string", "description": f"the input {t}"} for t in inputs}
    return Tool(name=name, description=f"{name} tool", input_types=inputs, output_types=outputs,
                parameters={"type": "object", "properties": props, "required": list(props)})  # fmt: skip


CAPTION = _tool("Image Captioning", ["image"], ["text"])
SPEAK = _tool("Text-to-Speech", ["text"], ["audio"])
DENOISE = _tool("Audio-to-Audio", ["audio"], ["audio"])
TRANSLATE = _tool("Translation", ["text"], ["text"])
REGISTRY = ToolRegistry([CAPTION, SPEAK, DENOISE, TRANSLATE])
GRAPH = ToolGraph(REGISTRY)


def _example(id: str, request: str, *nodes: tuple[str, dict[str, str]], links: list[tuple[int, int]] = ()) -> Example:
    return Example(id=id, request=request, task_nodes=[TaskNode(task=t, arguments=a) for t, a in nodes],
                   task_links=[TaskLink(source=s, target=t) for s, t in links])  # fmt: skip


BANK = ExampleBank(
    [
        _example("a", "Describe cat.jpg and read it aloud", ("Image Captioning", {"image": "cat.jpg"}),
                 ("Text-to-Speech", {"text": "<node-0>"}), links=[(0, 1)]),  # fmt: skip
        _example("b", "Read the text 'good morning' aloud", ("Text-to-Speech", {"text": "good morning"})),
    ],
    retriever="bm25",
)


class Recorder:
    """A fake planner model: answers each phase with the given objects and keeps every prompt and schema."""

    def __init__(self, *answers: dict[str, Any]):
        self.answers = list(answers)
        self.calls: list[tuple[list[Message], dict[str, Any] | None]] = []
        self.model = FunctionModel(self.reply)

    def reply(self, messages: list[Message], schema: dict[str, Any] | None) -> Any:
        self.calls.append((messages, schema))
        return self.answers.pop(0)


async def test_the_nearest_examples_replace_the_fixed_one_and_their_tools_are_allowed() -> None:
    rec = Recorder({"tools": ["Image Captioning", "Text-to-Speech"]},
                   {"task_nodes": [{"task": "Image Captioning", "arguments": {"image": "dog.jpg"}},
                                   {"task": "Text-to-Speech", "arguments": {"text": "<node-0>"}}], "task_links": []})  # fmt: skip
    planner = OneShotPlanner(examples=BANK, k=1)
    result = await planner.plan("Describe dog.jpg and read it aloud", [TRANSLATE], model=rec.model, registry=REGISTRY, graph=GRAPH)
    prompt = rec.calls[0][0][0].content
    assert "Describe cat.jpg and read it aloud" in prompt and "photo.jpg" not in prompt  # not the fixed example
    assert prompt.startswith("You turn a user request into a tool graph.")  # the static part first (prefix cache)
    allowed = rec.calls[0][1]["properties"]["tools"]["items"]["enum"]
    assert {"Image Captioning", "Text-to-Speech", "Translation"} <= set(allowed)  # demos' tools join the retrieved one
    assert [n.task for n in result.plan.task_nodes] == ["Image Captioning", "Text-to-Speech"]
    assert result.plan.task_nodes[1].arguments == {"text": "<node-0>"}


async def test_an_empty_bank_falls_back_to_the_fixed_example() -> None:
    rec = Recorder({"task_steps": ["translate"]}, {"task_nodes": [{"task": "Translation", "arguments": {"text": "hi"}}], "task_links": []})
    planner = OneShotPlanner(examples=ExampleBank(retriever="bm25"))
    await planner.plan("Translate hi", [TRANSLATE], model=rec.model, registry=REGISTRY, graph=GRAPH)
    assert "photo.jpg" in rec.calls[0][0][0].content


async def test_an_excluded_example_is_never_shown() -> None:
    rec = Recorder({"tools": ["Text-to-Speech"]}, {"task_nodes": [{"task": "Text-to-Speech", "arguments": {"text": "hello"}}], "task_links": []})
    await OneShotPlanner(examples=BANK, k=2).plan("Read 'hello' aloud", [SPEAK], model=rec.model, registry=REGISTRY, graph=GRAPH, exclude=["a"])
    assert "cat.jpg" not in rec.calls[0][0][0].content and "good morning" in rec.calls[0][0][0].content


def test_text_literals_are_spans_of_the_request_or_typed_references() -> None:
    schema = arguments_schema([CAPTION, SPEAK, TRANSLATE], GRAPH, literals=["dog.jpg", "hello"])
    nodes = schema["properties"]["task_nodes"]["prefixItems"]
    assert nodes[0]["properties"]["arguments"]["properties"]["image"] == {"enum": ["dog.jpg", "hello"]}
    # Text-to-Speech takes text: node 0 (Image Captioning) outputs text, so it may be referenced
    assert "<node-0>" in nodes[1]["properties"]["arguments"]["properties"]["text"]["enum"]
    # Translation takes text: node 1 (Text-to-Speech) outputs audio, so <node-1> is not allowed
    assert "<node-1>" not in nodes[2]["properties"]["arguments"]["properties"]["text"]["enum"]


def test_free_parameters_keep_free_text() -> None:
    schema = arguments_schema([TRANSLATE], GRAPH, literals=["hi"], free={("Translation", "text")})
    text = schema["properties"]["task_nodes"]["prefixItems"][0]["properties"]["arguments"]["properties"]["text"]
    assert "enum" not in text


def test_a_plan_with_only_type_errors_keeps_its_valid_part_and_records_what_was_dropped() -> None:
    plan = TaskPlan(task_nodes=[TaskNode(task="Audio-to-Audio", arguments={"audio": "a.wav"}),
                                TaskNode(task="Translation", arguments={"text": "<node-0>"})])  # fmt: skip
    assert any("outputs ['audio']" in p for p in validate_plan(plan, REGISTRY, GRAPH))
    kept, dropped = drop_unsound(plan, REGISTRY, GRAPH)
    assert kept.task_nodes[0].arguments == {"audio": "a.wav"} and kept.task_nodes[1].arguments == {}
    assert dropped and "referenced node 0" in dropped[0]


def test_the_step_count_is_the_fewest_nodes_among_the_examples() -> None:
    from agentkit.examples import ScoredExample

    one, two = ScoredExample(BANK.examples[1], 1), ScoredExample(BANK.examples[0], 1)
    assert step_count([two, two], 5) == 2
    assert step_count([two, two, one], 5) == 1
    assert step_count([two], 1) == 1  # never past the bound


async def test_an_unusable_tool_choice_is_a_plan_error() -> None:
    rec = Recorder({"tools": "not a list"}, {"tools": "still not"})
    with pytest.raises(PlanError):
        await OneShotPlanner(examples=BANK).plan("Describe dog.jpg", [CAPTION], model=rec.model, registry=REGISTRY, graph=GRAPH)


async def test_the_repair_round_types_its_references() -> None:
    bad = {"task_nodes": [{"task": "Audio-to-Audio", "arguments": {"audio": "a.wav"}},
                          {"task": "Translation", "arguments": {"text": "<node-0>"}}], "task_links": []}  # fmt: skip
    good = {"task_nodes": [{"task": "Audio-to-Audio", "arguments": {"audio": "a.wav"}},
                           {"task": "Translation", "arguments": {"text": "hello"}}], "task_links": []}  # fmt: skip
    rec = Recorder({"task_steps": ["clean the audio", "translate"]}, bad, good)
    result = await OneShotPlanner().plan("Clean a.wav and translate hello", [DENOISE, TRANSLATE], model=rec.model, registry=REGISTRY, graph=GRAPH)
    repair_schema = rec.calls[2][1]
    text = repair_schema["properties"]["task_nodes"]["prefixItems"][1]["properties"]["arguments"]["properties"]["text"]
    assert "<node-0>" not in text.get("pattern", "") + str(text.get("enum", ""))  # audio cannot feed text
    assert result.attempts == 2 and result.plan.task_nodes[1].arguments == {"text": "hello"}


async def test_a_free_text_value_lent_by_an_example_is_dropped() -> None:
    rec = Recorder({"tools": ["Translation"]}, {"task_nodes": [{"task": "Translation", "arguments": {"text": "good morning"}}], "task_links": []})
    # the example's value is not its request's text, so the bank makes Translation's text free text
    bank = ExampleBank([_example("b", "Translate the greeting into French", ("Translation", {"text": "good morning"}))], retriever="bm25")
    planner = OneShotPlanner(examples=bank, k=1)
    result = await planner.plan("Translate the greeting", [TRANSLATE], model=rec.model, registry=REGISTRY, graph=GRAPH)
    assert result.plan.task_nodes[0].arguments == {}  # "good morning" was never asked for


async def test_the_caller_sees_how_the_nearest_examples_filled_the_tool_and_never_keeps_a_lent_value() -> None:
    from agentkit.roles import Caller

    prompts: list[str] = []

    def reply(messages: list[Message], schema: dict[str, Any] | None) -> Any:
        prompts.append(messages[-1].content)
        return {"text": "good morning"}  # the example's value, not the request's

    caller = Caller(FunctionModel(reply), examples=BANK)
    args, _ = await caller.call_arguments(SPEAK, request="Read 'good night' aloud", step="speak", planned={}, upstream={})
    assert "Read the text 'good morning' aloud" in prompts[0] and '"text": "good morning"' in prompts[0]
    assert args == {}  # lent by the example: dropped, so the tool's validation asks again


async def test_when_the_examples_of_that_length_agree_on_the_tools_they_are_settled_without_a_model_call() -> None:
    bank = ExampleBank([_example("x", "Read 'good morning' aloud", ("Text-to-Speech", {"text": "good morning"})),
                        _example("y", "Read 'good evening' aloud", ("Text-to-Speech", {"text": "good evening"}))], retriever="bm25")  # fmt: skip
    rec = Recorder({"task_nodes": [{"task": "Text-to-Speech", "arguments": {"text": "good night"}}], "task_links": []})
    result = await OneShotPlanner(examples=bank, k=2).plan("Read 'good night' aloud", [SPEAK, TRANSLATE], model=rec.model, registry=REGISTRY, graph=GRAPH)
    assert len(rec.calls) == 1 and "tools" not in rec.calls[0][1]["properties"]  # only the arguments were asked for
    assert result.plan.task_nodes == [TaskNode(task="Text-to-Speech", arguments={"text": "good night"})]
