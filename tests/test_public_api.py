"""The public surface: curated exports, README commands that match CI, CLI help."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import agentkit
from agentkit.cli import app

ROOT = Path(__file__).parent.parent

EXPECTED_EXPORTS = {
    "Agent", "AgentkitError", "ChatModel", "Completion", "ConfigError", "ExecutionPolicy", "GrammarConversionError",
    "LoadedTools", "Message", "ModelError",
    "ModelSpecError", "NodeResult", "NodeStatus", "PlanError", "RunCancelledError", "RunError", "RunResult",
    "RunStatus", "StructuredOutputError", "TaskLink", "TaskNode", "TaskPlan", "Tool", "ToolArgumentError",
    "ToolDefinitionError", "ToolExecutionError", "ToolGraph", "ToolLoadError", "ToolPrior", "ToolRegistry",
    "ToolTimeoutError", "UnknownToolError", "UnsolvableError", "Usage", "load_model", "load_tools",
    "parse_model_spec", "tool", "__version__",
}  # fmt: skip


def test_exports_do_not_drift():
    assert set(agentkit.__all__) == EXPECTED_EXPORTS
    assert all(hasattr(agentkit, name) for name in agentkit.__all__)


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    commands = re.findall(r"^(bash scripts/setup.sh && .+)$", (ROOT / "README.md").read_text(), re.M)
    assert len(commands) >= 2 and "agentkit run" in commands[0] and "pytest" in commands[1]
    assert commands[1] in (ROOT / ".ci/run").read_text()


def test_cli_help_lists_the_commands_the_readme_documents():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "models", "tools", "bench"):
        assert command in result.output


def test_bad_flag_is_a_usage_error_not_a_traceback(capsys):
    from agentkit.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["run", "--no-such-flag", "x"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert exited.value.code == 2
    assert len(lines) == 1 and lines[0].startswith("error:") and "--no-such-flag" in lines[0], err
    assert "Traceback" not in err and "╭" not in err


def test_unknown_tool_pack_is_one_error_line():
    result = CliRunner().invoke(app, ["tools", "list", "--tools", "no-such-pack"])
    assert result.exit_code == 2
    assert "error:" in result.output and "no-such-pack" in result.output and "Traceback" not in result.output


def test_unreachable_model_url_is_one_error_line(tmp_path):
    from agentkit.testing import free_port

    result = CliRunner().invoke(
        app, ["run", "add 1 and 2", "--tools", "math", "--retriever", "bm25", "--model", f"openai:x@http://127.0.0.1:{free_port()}/v1"]
    )
    assert result.exit_code == 1 and "cannot reach the server" in result.output


def test_missing_gguf_is_one_error_line(tmp_path):
    result = CliRunner().invoke(app, ["run", "x", "--tools", "math", "--model", f"llamacpp:{tmp_path}/none.gguf"])
    assert result.exit_code == 2 and "GGUF model file not found" in result.output
