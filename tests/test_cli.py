"""The agentkit command as a subprocess: --json on stdout, progress on stderr, tools subcommands."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent
AGENTKIT = str(Path(sys.executable).parent / "agentkit")
CHAT_TOOLS = str(ROOT / "tests" / "fixtures" / "chat_tools.py")


def agentkit(*args):
    return subprocess.run([AGENTKIT, *args], capture_output=True, text=True, timeout=120)


def test_run_json_prints_the_typed_result_on_stdout_and_progress_on_stderr():
    proc = agentkit("run", "shout hello", "--tools", CHAT_TOOLS, "--model", "fake:chat", "--retriever", "bm25", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] == "ok" and result["nodes"][0]["output"] == "HELLO"
    assert result["plan"]["task_nodes"][0]["task"] == "shout"
    assert "planned 1 node" in proc.stderr


def test_tools_list_search_show():
    listed = agentkit("tools", "list", "--tools", "math")
    assert listed.returncode == 0 and "calculate" in listed.stdout
    found = agentkit("tools", "search", "convert miles to kilometers", "--tools", "math", "--retriever", "bm25", "-k", "1")
    assert found.returncode == 0 and "convert_units" in found.stdout
    shown = agentkit("tools", "show", "shout", "--from", CHAT_TOOLS)
    assert shown.returncode == 0 and json.loads(shown.stdout)["name"] == "shout"


def test_unknown_tool_in_show_is_one_error_line():
    proc = agentkit("tools", "show", "nope", "--from", CHAT_TOOLS)
    assert proc.returncode == 2 and proc.stderr.strip().startswith("error: unknown tool 'nope'")
    assert "Traceback" not in proc.stderr


def test_missing_tools_file_is_one_error_line():
    proc = agentkit("run", "x", "--tools", "/no/such/tools.json")
    assert proc.returncode == 2 and "file not found" in proc.stderr and "Traceback" not in proc.stderr
