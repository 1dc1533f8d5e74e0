"""`bench taskbench --system nearest` (copy the most similar example's plan) and `--examples` metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentkit.bench.run import run_taskbench
from agentkit.errors import ConfigError

TOOLS = {"nodes": [
    {"id": "Image Captioning", "desc": "Describe an image.", "input-type": ["image"], "output-type": ["text"]},
    {"id": "Text-to-Speech", "desc": "Read text aloud.", "input-type": ["text"], "output-type": ["audio"]},
    {"id": "Translation", "desc": "Translate text.", "input-type": ["text"], "output-type": ["text"]},
]}  # fmt: skip
GOLD = [
    ("1", "single", "Describe the picture cat.jpg", [("Image Captioning", ["cat.jpg"])]),
    ("2", "single", "Describe the picture dog.jpg", [("Image Captioning", ["dog.jpg"])]),
    ("3", "single", "Translate the sentence 'good night' to French", [("Translation", ["good night"])]),
    ("4", "single", "Translate the sentence 'good day' to French", [("Translation", ["good day"])]),
]


@pytest.fixture
def domain(tmp_path: Path) -> Path:
    folder = tmp_path / "domain"
    folder.mkdir()
    (folder / "tool_desc.json").write_text(json.dumps(TOOLS))
    lines = [{"id": i, "type": t, "instruction": r, "task_steps": ["step"], "task_links": [],
              "task_nodes": [{"task": task, "arguments": args} for task, args in nodes]} for i, t, r, nodes in GOLD]  # fmt: skip
    (folder / "data.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


def test_nearest_copies_the_plan_of_the_most_similar_other_sample(domain: Path, tmp_path: Path) -> None:
    summary = run_taskbench(domain, "none", system="nearest", out=tmp_path / "run")
    predictions = {json.loads(line)["id"]: json.loads(line)["result"] for line in (tmp_path / "run" / "predictions.jsonl").read_text().splitlines()}
    # each sample gets its twin's plan, never its own
    assert predictions["1"]["task_nodes"] == [{"task": "Image Captioning", "arguments": ["dog.jpg"]}]
    assert predictions["3"]["task_nodes"] == [{"task": "Translation", "arguments": ["good day"]}]
    assert summary.metrics["strict"]["overall"]["n_f1"] == pytest.approx(100.0)
    assert summary.metrics["strict"]["overall"]["v_f1"] == pytest.approx(0.0)
    assert summary.metrics["run"]["options"]["examples"] == str((domain / "data.jsonl").resolve())


def test_a_missing_example_file_is_a_config_error(domain: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such example file"):
        run_taskbench(domain, "none", system="nearest", out=tmp_path / "run", examples=tmp_path / "nope.jsonl")


def test_the_agentkit_run_records_the_bank_and_k(domain: Path, tmp_path: Path) -> None:
    from agentkit.testing import plan_model

    model = plan_model({"task_steps": ["x"], "task_nodes": [{"task": "Translation", "arguments": {"text": "x"}}], "task_links": []})
    summary = run_taskbench(domain, model, system="agentkit", out=tmp_path / "run", examples=domain / "data.jsonl", k=2, retriever="bm25", limit=1)
    assert summary.metrics["run"]["options"]["examples"] == str((domain / "data.jsonl").resolve())
    assert summary.metrics["run"]["options"]["k"] == 2
