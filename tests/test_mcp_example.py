"""examples/mcp_roundtrip.py runs both ways: fast with fake planners, and for real on the default model (slow)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit.result import RunStatus
from agentkit.testing import plan_model

EXAMPLE = Path(__file__).parent.parent / "examples" / "mcp_roundtrip.py"
CONVERT = {"task_steps": ["convert 30 C to F"], "task_nodes": [{"task": "celsius_to_fahrenheit", "arguments": {"celsius": "30"}}], "task_links": []}


def example():
    spec = importlib.util.spec_from_file_location("example_mcp_roundtrip", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_agentkit_runs_the_tools_of_the_examples_mcp_server_and_closes_it(monkeypatch):
    from agentkit import mcp_client

    opened = []
    real_load = mcp_client.load_mcp_tools

    def spy(source):
        opened.append(real_load(source))
        return opened[-1]

    module = example()
    monkeypatch.setattr(module, "load_mcp_tools", spy)
    result = await module.use_mcp_tools("Convert 30 degrees Celsius to Fahrenheit", plan_model(CONVERT, answer="86 F"))
    assert result.status == RunStatus.OK and result.nodes[0].output == 86.0
    assert opened[0].closed  # `async with Agent(...)` closed the session


async def test_mcp_clients_run_agentkit_served_by_the_cli(tmp_path):
    planner = tmp_path / "fake_planner.py"
    planner.write_text(
        "from agentkit import tool\nfrom agentkit.models import register_fake\nfrom agentkit.testing import plan_model\n"
        f"register_fake('roundtrip', lambda: plan_model({CONVERT!r}, answer='86 F'))\n"
        "@tool\ndef echo(text: str) -> str:\n    '''Echo a text.'''\n    return text\n",
        encoding="utf-8",
    )  # a tool file registers the fake planner in the server process
    module = example()
    config = tmp_path / "mcp.json"
    config.write_text(json.dumps(module.units_config()), encoding="utf-8")
    serve_args = ["--tools", str(planner), "--tools", str(config), "--model", "fake:roundtrip", "--retriever", "bm25", "--expose-tools"]
    tools, out = await module.ask_over_mcp("Convert 30 degrees Celsius to Fahrenheit", serve_args)
    assert {"run", "resume", "plan", "celsius_to_fahrenheit", "kilometres_to_miles", "echo"} <= set(tools)
    assert out["status"] == "ok" and out["nodes"][0]["output"] == 86.0 and out["answer"]


@pytest.mark.slow
def test_the_example_runs_on_the_default_model_both_ways():
    proc = subprocess.run([sys.executable, str(EXAMPLE), "Convert 30 degrees Celsius to Fahrenheit"],
                          capture_output=True, text=True, check=False, timeout=1800)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("[agentkit using MCP tools] "))
    # The default model planned over the MCP server's tools and the call went through the session.
    called = [line for line in lines[first + 1:] if line.startswith(("  celsius_to_fahrenheit -> ", "  kilometres_to_miles -> "))]
    assert called and any(_number(line.split(" -> ", 1)[1]) for line in called), proc.stdout
    served = next(line for line in lines if line.startswith("[agentkit as an MCP server] tools: "))
    assert "run" in served and "celsius_to_fahrenheit" in served
    assert any(line.startswith("  run -> ") for line in lines)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
