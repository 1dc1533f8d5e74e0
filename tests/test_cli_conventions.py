"""CLI conventions: --version, --json on the listing commands, NO_COLOR and plain output, AGENTKIT_* environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import agentkit
from agentkit.cli import app
from agentkit.config import AgentkitConfig, env_config, merge_options, with_env
from agentkit.errors import ConfigError

AGENTKIT = str(Path(sys.executable).parent / "agentkit")
runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    """No AGENTKIT_* variables or agentkit.toml from the developer's shell leak into these tests."""
    for name in list(os.environ):
        if name.startswith("AGENTKIT_") or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def test_version_prints_the_package_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"agentkit {agentkit.__version__}"


def test_tools_list_json_is_one_object_per_tool():
    result = invoke("tools", "list", "--tools", "math", "--json")
    assert result.exit_code == 0, result.output
    tools = {t["name"]: t for t in json.loads(result.stdout)}
    assert tools["calculate"]["runs"] == "yes" and tools["calculate"]["output_types"] == ["number"]
    assert set(tools["calculate"]) >= {"description", "input_types", "cost", "quality", "needs_approval"}


def test_tools_search_json_ranks_the_hits():
    result = invoke("tools", "search", "convert miles to kilometers, then calculate an expression", "--tools", "math",
                    "--retriever", "bm25", "-k", "2", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert [h["rank"] for h in hits] == [1, 2] and {h["name"] for h in hits} == {"convert_units", "calculate"}
    assert hits[0]["score"] >= hits[1]["score"] and hits[0]["lexical_rank"] == 1


def test_tools_show_json_is_valid_json_even_with_long_descriptions():
    result = invoke("tools", "show", "calculate", "--from", "math", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)  # a long description would break JSON if it were wrapped at 80 columns
    assert shown["name"] == "calculate" and shown["parameters"]["type"] == "object"


def test_models_json_names_the_default_model_and_backends():
    result = invoke("models", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["default_model"] == "llamacpp:default" and Path(data["gguf"]).is_file()
    assert set(data["backends"]) == {"llamacpp", "openai"} and data["spec_forms"]


def _error_line(env: dict[str, str]) -> str:
    """stderr of a failing command (its 'error:' prefix is red on a terminal), run with a pipe as stdout/stderr."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("AGENTKIT_") and k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.run([AGENTKIT, "tools", "show", "nope", "--from", "math"], capture_output=True, text=True, timeout=120, env={**full, **env})
    assert proc.returncode == 2 and "unknown tool 'nope'" in proc.stderr
    return proc.stderr


def test_output_is_plain_when_not_a_terminal_and_no_color_wins_over_forced_color():
    red = "\x1b[1;31m"
    assert "\x1b[" not in _error_line({})  # a pipe: no escape codes at all
    assert red in _error_line({"FORCE_COLOR": "1"})  # as on a terminal
    assert red not in _error_line({"FORCE_COLOR": "1", "NO_COLOR": "1"})


def test_environment_sets_the_tools_and_flags_override_it():
    from_env = invoke("tools", "list", "--json", env={"AGENTKIT_TOOLS": "datetime"})
    assert from_env.exit_code == 0, from_env.output
    assert {t["name"] for t in json.loads(from_env.stdout)} >= {"add_duration"}
    assert "calculate" not in {t["name"] for t in json.loads(from_env.stdout)}
    flagged = invoke("tools", "list", "--json", "--tools", "math", env={"AGENTKIT_TOOLS": "datetime"})
    assert "calculate" in {t["name"] for t in json.loads(flagged.stdout)}


def test_environment_overrides_the_config_file(tmp_path):
    (tmp_path / "agentkit.toml").write_text('tools = ["math"]\nretriever = "bm25"\n')
    result = invoke("tools", "list", "--json", env={"AGENTKIT_TOOLS": "datetime"})
    names = {t["name"] for t in json.loads(result.stdout)}
    assert "add_duration" in names and "calculate" not in names


def test_a_bad_environment_variable_is_one_error_line_and_exit_2():
    result = invoke("tools", "list", env={"AGENTKIT_ALPHA": "high"})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["error: environment variable AGENTKIT_ALPHA: not a number: 'high'"]


def test_env_tools_accept_spaces_commas_between_names_and_json_lists():
    assert env_config({"AGENTKIT_TOOLS": "math datetime"}).tools == ["math", "datetime"]
    assert env_config({"AGENTKIT_TOOLS": "math,datetime files:root=/tmp/x,writable=true"}).tools == [
        "math", "datetime", "files:root=/tmp/x,writable=true",
    ]  # fmt: skip
    assert env_config({"AGENTKIT_TOOLS": '["data:root=a b"]'}).tools == ["data:root=a b"]
    assert env_config({}) is None


def test_env_model_means_every_role_and_sets_aside_the_files_roles():
    file = AgentkitConfig(planner="openai:big@http://127.0.0.1:1/v1", alpha=0.2)
    merged = merge_options(with_env(file, {"AGENTKIT_MODEL": "llamacpp:default", "AGENTKIT_CALLER": "openai:small@http://127.0.0.1:2/v1"}))
    assert merged["model"] == "llamacpp:default" and merged["planner"] is None
    assert merged["caller"] == "openai:small@http://127.0.0.1:2/v1" and merged["alpha"] == 0.2
    assert merge_options(with_env(file, {"AGENTKIT_ALPHA": "0.9"}), alpha=0.1)["alpha"] == 0.1  # flags win


def test_a_bad_model_spec_in_the_environment_names_the_variable():
    with pytest.raises(ConfigError, match="environment variable AGENTKIT_PLANNER: bad model spec"):
        env_config({"AGENTKIT_PLANNER": "nonsense"})


# -- agentkit run --events jsonl and --schema ---------------------------------------------------

PERCENT = {"task_steps": ["percentage"], "task_nodes": [{"task": "percentage_of", "arguments": {"percent": "15", "value": "240"}}], "task_links": []}
RESULT_SCHEMA = {"type": "object", "properties": {"result": {"type": "number"}}, "required": ["result"], "additionalProperties": False}


@pytest.fixture
def fakes():
    """fake:cli-plan plans PERCENT (and fills its arguments); fake:cli-typed-N answers the typed output with N."""
    from agentkit.models import ScriptedModel, register_fake
    from agentkit.testing import plan_model

    register_fake("cli-plan", lambda: plan_model(PERCENT, answer="36"))
    register_fake("cli-typed-36", lambda: ScriptedModel([{"result": 36}]))
    register_fake("cli-typed-99", lambda: ScriptedModel([{"result": 99}, {"result": 99}]))
    register_fake("cli-bad-plan", lambda: plan_model({"task_steps": ["x"], "task_nodes": [{"task": "no_such_tool", "arguments": {}}], "task_links": []}))


def run_args(*extra: str) -> list[str]:
    return ["run", "What is 15 percent of 240?", "--tools", "math", "--retriever", "bm25", "--model", "fake:cli-plan", *extra]


def test_events_jsonl_streams_every_event_as_one_json_line(fakes):
    result = invoke(*run_args("--events", "jsonl"))
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "retrieved" and kinds[-1] == "finished" and "token" in kinds
    assert {"planned", "path_chosen", "node_started", "node_finished", "model_called"} <= set(kinds)
    assert events[-1]["result"]["nodes"][0]["output"] == 36.0


def test_events_jsonl_ends_with_the_error_of_a_failed_run(fakes):
    result = invoke("run", "do it", "--tools", "math", "--retriever", "bm25", "--model", "fake:cli-bad-plan", "--events", "jsonl",
                    "--examples", "none")  # the fake answers the planner without demonstrations  # fmt: skip
    assert result.exit_code == 1
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["kind"] == "error" and last["error_type"] == "PlanError" and "no_such_tool" in last["error"]


def test_events_takes_jsonl_only():
    result = invoke("run", "x", "--events", "xml")
    assert result.exit_code == 2 and "--events takes jsonl" in result.output


def test_schema_with_json_prints_an_object_valid_against_the_file(fakes, tmp_path):
    import jsonschema

    (tmp_path / "schema.json").write_text(json.dumps(RESULT_SCHEMA))
    result = invoke(*run_args("--summarizer", "fake:cli-typed-36", "--schema", str(tmp_path / "schema.json"), "--json"))
    assert result.exit_code == 0, result.output
    output = json.loads(result.stdout)
    jsonschema.validate(output, RESULT_SCHEMA)
    assert output == {"result": 36}


def test_schema_without_a_grounded_output_is_an_error_line_and_exit_1(fakes, tmp_path):
    (tmp_path / "schema.json").write_text(json.dumps(RESULT_SCHEMA))
    result = invoke(*run_args("--summarizer", "fake:cli-typed-99", "--schema", str(tmp_path / "schema.json"), "--json"))
    assert result.exit_code == 1 and result.stdout == ""
    assert "error: no output matching the schema from the tool results: /result: 99 appears in no tool result" in result.stderr


def test_a_schema_file_that_is_not_a_schema_is_exit_2(tmp_path):
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "bad.json").write_text('{"type": "objekt"}')
    assert "a JSON Schema is a JSON object" in invoke("run", "x", "--schema", str(tmp_path / "list.json")).output
    bad = invoke("run", "x", "--tools", "math", "--retriever", "bm25", "--model", "fake:cli-plan", "--schema", str(tmp_path / "bad.json"))
    assert bad.exit_code == 2 and "not a valid JSON Schema" in bad.output
    assert invoke("run", "x", "--schema", str(tmp_path / "missing.json")).exit_code == 2
