"""The example bank: reading TaskBench and bank files, nearest with exclusions, the SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentkit.errors import ConfigError
from agentkit.examples import Example, ExampleBank, ExampleStore, clean, read_examples, write_examples
from agentkit.examples.spans import request_spans
from agentkit.loaders import load_taskbench_tools
from agentkit.plan import TaskNode, TaskPlan

TOOLS = {
    "nodes": [
        {"id": "Image Captioning", "desc": "Describe an image in words.", "input-type": ["image"], "output-type": ["text"]},
        {"id": "Text-to-Speech", "desc": "Read text aloud.", "input-type": ["text"], "output-type": ["audio"]},
        {"id": "Translation", "desc": "Translate text to another language.", "input-type": ["text"], "output-type": ["text"]},
    ]
}
GOLD = [
    {"id": "1", "type": "chain", "instruction": "instr one", "task_steps": ["caption", "speak"],
     "task_nodes": [{"task": "Image Captioning", "arguments": ["cat.jpg"]}, {"task": "Text-to-Speech", "arguments": ["<node-0>"]}],
     "task_links": [{"source": "Image Captioning", "target": "Text-to-Speech"}]},
    {"id": "2", "type": "single", "instruction": "instr two", "task_steps": ["translate"],
     "task_nodes": [{"task": "Translation", "arguments": ["Hello world"]}], "task_links": []},
    {"id": "3", "type": "single", "instruction": "instr three", "task_steps": ["caption"],
     "task_nodes": [{"task": "Image Captioning", "arguments": "dog.jpg"}], "task_links": []},
]
REQUESTS = {"1": "Describe the picture cat.jpg and read the description aloud",
            "2": "Translate 'Hello world' into French",
            "3": "Describe the picture dog.jpg"}  # fmt: skip


@pytest.fixture
def domain(tmp_path: Path) -> Path:
    (tmp_path / "tool_desc.json").write_text(json.dumps(TOOLS))
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    (tmp_path / "user_requests.jsonl").write_text("".join(json.dumps({"id": i, "user_request": r}) + "\n" for i, r in REQUESTS.items()))
    return tmp_path


def test_taskbench_data_is_read_as_it_is_with_the_user_requests_beside_it(domain: Path) -> None:
    registry = load_taskbench_tools(domain).registry
    examples = read_examples(domain / "data.jsonl", registry=registry)
    assert [e.request for e in examples] == list(REQUESTS.values())
    chain = examples[0]
    assert chain.task_nodes[0] == TaskNode(task="Image Captioning", arguments={"image": "cat.jpg"})  # positional -> parameter names
    assert [(link.source, link.target) for link in chain.task_links] == [(0, 1)]
    assert examples[2].task_nodes[0].arguments == {"image": "dog.jpg"}  # a bare string for arguments (an upstream defect)


def test_the_banks_own_jsonl_round_trips(tmp_path: Path, domain: Path) -> None:
    examples = read_examples(domain)
    write_examples(examples, tmp_path / "bank.jsonl")
    again = read_examples(tmp_path / "bank.jsonl")
    assert [e.record() for e in again] == [e.record() for e in examples]


def test_a_file_without_a_plan_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text(json.dumps({"request": "hi", "task_nodes": []}) + "\n")
    with pytest.raises(ConfigError, match="no task nodes"):
        read_examples(tmp_path / "bad.jsonl")


def test_nearest_ranks_by_request_similarity(domain: Path) -> None:
    bank = ExampleBank.load(domain, retriever="bm25")
    found = bank.nearest("Please describe the picture bird.jpg aloud", 2)
    assert [s.example.id for s in found] == ["1", "3"]


def test_nearest_never_returns_an_excluded_id_nor_the_request_itself(domain: Path) -> None:
    bank = ExampleBank.load(domain, retriever="bm25")
    assert [s.example.id for s in bank.nearest("Describe the picture", 3, exclude=["3"])] == ["1"]
    assert [s.example.id for s in bank.nearest(REQUESTS["3"], 3, exclude=["1"])] == []  # "3" is the request itself
    same_text = "  DESCRIBE the picture   dog.jpg "
    assert "3" not in [s.example.id for s in bank.nearest(same_text, 3)]


def test_nearest_with_a_tool_keeps_only_examples_that_call_it(domain: Path) -> None:
    bank = ExampleBank.load(domain, retriever="bm25")
    found = bank.nearest("describe and read aloud the picture", 3, tool="Text-to-Speech")
    assert [s.example.id for s in found] == ["1"]


def test_clean_turns_a_gold_placeholder_into_a_reference() -> None:
    example = Example(id="x", request="Classify the text and post it",
                      task_nodes=[TaskNode(task="classify", arguments={"text": "a b"}), TaskNode(task="post", arguments={"content": "classified_content"})],
                      task_links=[{"source": 0, "target": 1}])  # fmt: skip
    assert clean(example).task_nodes[1].arguments == {"content": "<node-0>"}


def test_request_spans_are_request_text_and_iso_dates() -> None:
    spans = request_spans("Book a car in New York City on August 1, 2023 and print 'report.pdf'")
    assert {"report.pdf", "New York City", "2023-08-01"} <= set(spans)
    assert all("<" not in s for s in spans)


def _example(request: str, task: str = "calculate") -> Example:
    return Example.from_plan(request, TaskPlan(task_nodes=[TaskNode(task=task, arguments={"expression": "1 + 1"})]))


def test_the_store_merges_the_same_request(tmp_path: Path) -> None:
    store = ExampleStore(tmp_path / "ex.sqlite", pool="p")
    first = store.add(_example("What is 1 + 1?"))
    again = store.add(_example("what is  1 + 1?", task="other"))
    assert len(store) == 1 and again.id == first.id and store.hits(first.id) == 2
    assert store.examples()[0].task_nodes[0].task == "other"  # the newer plan wins


def test_the_store_evicts_the_least_recently_used(tmp_path: Path) -> None:
    store = ExampleStore(tmp_path / "ex.sqlite", pool="p", capacity=2)
    a, b = store.add(_example("request a")), store.add(_example("request b"))
    store.touch([a.id])
    store.add(_example("request c"))
    assert {e.request for e in store.examples()} == {"request a", "request c"}
    assert b.id not in {e.id for e in store.examples()}


def test_the_store_keeps_pools_apart_and_persists(tmp_path: Path) -> None:
    ExampleStore(tmp_path / "ex.sqlite", pool="p1").add(_example("request a"))
    assert len(ExampleStore(tmp_path / "ex.sqlite", pool="p2")) == 0
    assert [e.request for e in ExampleStore(tmp_path / "ex.sqlite", pool="p1").examples()] == ["request a"]


def test_a_bank_with_a_store_finds_what_it_learned(tmp_path: Path) -> None:
    bank = ExampleBank(store=ExampleStore(tmp_path / "ex.sqlite", pool="p"), retriever="bm25")
    bank.add(_example("convert miles to kilometers"))
    assert [s.example.request for s in bank.nearest("how many kilometers are 5 miles", 1)] == ["convert miles to kilometers"]


def test_free_parameters_are_those_the_examples_did_not_take_from_their_requests() -> None:
    bank = ExampleBank([_example("What is 2 plus 2?"), Example.from_plan("Translate 'hi'", TaskPlan(task_nodes=[TaskNode(task="t", arguments={"text": "hi"})]))])
    assert bank.free_parameters() == {("calculate", "expression")}
