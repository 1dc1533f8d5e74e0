"""CLI promises of the README, in-process through typer's CliRunner: a paused run resumed from its SQLite
checkpoint, `tools list` saying which tools run, `agentkit models`, `bench retrieval` on every retriever."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit.cli import app
from helpers import FIXTURES

CHAT_TOOLS = str(FIXTURES / "chat_tools.py")  # shout, wait, delete_file (needs approval) and the fake:chat model
TOOLRET = FIXTURES / "toolret_mini"
runner = CliRunner()


def agentkit(*args: object):
    return runner.invoke(app, [str(a) for a in args])


# -- a paused run, resumed from its checkpoint file ------------------------------------------


def start_paused_run(tmp_path: Path) -> Path:
    checkpoint = tmp_path / "runs.sqlite"
    paused = agentkit("run", "delete notes.txt", "--tools", CHAT_TOOLS, "--model", "fake:chat", "--retriever", "bm25",
                      "--checkpoint", checkpoint, "--thread-id", "job-1")  # fmt: skip
    assert paused.exit_code == 5, paused.output  # waiting for an approval
    assert "calls delete_file with" in paused.stderr and "--resume --thread-id job-1" in paused.stderr
    assert checkpoint.stat().st_size > 0
    return checkpoint


def resume(checkpoint: Path, *decision: str):
    return agentkit("run", "-", "--resume", "--thread-id", "job-1", "--checkpoint", checkpoint, *decision, "--json",
                    "--tools", CHAT_TOOLS, "--model", "fake:chat", "--retriever", "bm25")  # fmt: skip


def test_a_paused_run_resumes_from_its_checkpoint_with_approval(tmp_path):
    resumed = resume(start_paused_run(tmp_path), "--approve")
    assert resumed.exit_code == 0, resumed.output
    result = json.loads(resumed.stdout)
    assert result["status"] == "ok" and result["thread_id"] == "job-1"
    assert [(n["tool"], n["output"]) for n in result["nodes"]] == [("delete_file", "deleted notes.txt")]


def test_a_paused_run_resumes_from_its_checkpoint_with_a_rejection(tmp_path):
    resumed = resume(start_paused_run(tmp_path), "--reject", "keep the file")
    result = json.loads(resumed.stdout)
    assert result["nodes"][0]["status"] == "rejected" and result["status"] == "failed"  # its only step did not run
    assert resumed.exit_code == 1
    assert "keep the file" in json.dumps(result["nodes"][0])


def test_resuming_a_thread_the_checkpoint_lacks_is_an_error(tmp_path):
    resumed = resume(tmp_path / "empty.sqlite", "--approve")
    assert resumed.exit_code != 0 and "Traceback" not in resumed.output
    assert resumed.stderr.strip().startswith("error: ")


# -- tools list: which tools run ---------------------------------------------------------------


@pytest.mark.parametrize(("source", "runs", "shown"), [
    (FIXTURES / "tools" / "py_tools.py", "yes", "yes"),  # @tool functions
    (FIXTURES / "tools" / "openai_tools.json", "no", "no (docs only)"),  # OpenAI JSON without implementations
])  # fmt: skip
def test_tools_list_says_whether_each_tool_runs(source, runs, shown):
    listed = agentkit("tools", "list", "--tools", source, "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert rows and all(row["runs"] == runs for row in rows), rows
    table = agentkit("tools", "list", "--tools", source)
    assert table.stdout.count(shown) == len(rows)


# -- agentkit models ---------------------------------------------------------------------------


def test_models_shows_the_default_model_its_file_and_the_backends():
    from agentkit.models.llamacpp import default_gguf_path

    shown = agentkit("models")
    assert shown.exit_code == 0, shown.output
    assert "llamacpp:default" in shown.stdout and "openai:" in shown.stdout
    as_json = json.loads(agentkit("models", "--json").stdout)
    assert str(default_gguf_path()) in json.dumps(as_json)


# -- bench retrieval on each retriever ---------------------------------------------------------


@pytest.mark.parametrize(("retriever", "recall_at_5"), [("bm25", 0.6), ("dense", 1.0), ("hybrid", 1.0)])
def test_bench_retrieval_measures_each_retriever(retriever, recall_at_5):
    result = agentkit("bench", "retrieval", "--data", TOOLRET, "--retriever", retriever, "--k", "1,5", "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["retriever"] == retriever and metrics["queries"] == 10 and metrics["tools"] == 20
    assert metrics["overall"]["recall@5"] == pytest.approx(recall_at_5)  # MiniLM finds the paraphrases BM25 misses
