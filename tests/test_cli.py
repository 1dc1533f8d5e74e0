"""The agentkit command: as a subprocess where the process matters (--json on stdout, progress on stderr),
in-process through its entry point elsewhere (tools subcommands, errors as one line)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import assert_one_error_line, cli_main

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


@pytest.mark.parametrize(("args", "expected"), [
    (("tools", "list", "--tools", "math"), "calculate"),
    (("tools", "search", "convert miles to kilometers", "--tools", "math", "--retriever", "bm25", "-k", "1"), "convert_units"),
    (("tools", "show", "shout", "--from", CHAT_TOOLS), '"name": "shout"'),
])  # fmt: skip
def test_tools_list_search_show(capsys, args, expected):
    code, out, err = cli_main(capsys, *args)
    assert code == 0 and expected in out, err


def test_unknown_tool_in_show_is_one_error_line(capsys):
    assert_one_error_line(*cli_main(capsys, "tools", "show", "nope", "--from", CHAT_TOOLS)[::2], "unknown tool 'nope'")


def test_missing_tools_file_is_one_error_line(capsys):
    assert_one_error_line(*cli_main(capsys, "run", "x", "--tools", "/no/such/tools.json")[::2], "file not found")


# -- errors as one line, through the console entry point ------------------------------------

TASKBENCH = ROOT / "tests" / "fixtures" / "taskbench_resource"  # tool_desc.json + graph_desc.json (2 links)
TASKBENCH_LINKS = [("Image Classification", "Text-to-Speech"), ("Translation", "Text-to-Speech")]


def test_usage_errors_are_one_line_and_exit_2_and_help_still_works(capsys):
    assert_one_error_line(*cli_main(capsys, "run", "x", "--no-such-flag")[::2], "--no-such-flag", "agentkit run --help")
    assert_one_error_line(*cli_main(capsys, "run")[::2], "Missing argument")
    assert_one_error_line(*cli_main(capsys, "run", "x", "--alpha", "3")[::2], "--alpha")
    assert_one_error_line(*cli_main(capsys, "no-such-command")[::2], "no-such-command")
    code, out, err = cli_main(capsys, "run", "--help")
    assert code == 0 and "--tools" in out and "PACK:key=value" in out and not err
    assert "--config" in out and "AGENTKIT_CONFIG" in out and "agentkit.toml" in out


def test_exit_codes_raised_by_commands_are_passed_on(capsys):
    code, _, err = cli_main(capsys, "run", "x", "--resume")  # the command's own ConfigError: exit 2
    assert_one_error_line(code, err, "--resume needs --thread-id")
    code, out, err = cli_main(capsys, "tools", "list", "--tools", "math")
    assert code == 0 and "calculate" in out


# -- TaskBench domain folders: executable (simulated) tools, links kept --------------------


def test_taskbench_folder_lists_simulated_tools_and_its_links(capsys):
    code, out, err = cli_main(capsys, "tools", "list", "--tools", str(TASKBENCH))
    assert code == 0, err
    assert "Text-to-Speech" in out and "simulated" in out and "docs only" not in out
    assert "2 tool-graph link(s)" in out


def test_load_tool_sources_makes_taskbench_tools_executable_and_keeps_links():
    from agentkit.cli import load_tool_sources

    for source in (str(TASKBENCH), f"taskbench:{TASKBENCH}", f"taskbench:domain_dir={TASKBENCH}", str(TASKBENCH / "tool_desc.json")):
        registry, links = load_tool_sources([source])
        assert len(registry) == 4 and sorted(links) == TASKBENCH_LINKS
        assert all(t.simulated and t.func is not None for t in registry)
        output = registry.get("Text-to-Image").func(text="a cat")
        assert output["simulated"] is True and output["type"] == "image"
    registry, links = load_tool_sources([str(TASKBENCH), "math"])  # merged with a pack: links kept
    assert "calculate" in registry and sorted(links) == TASKBENCH_LINKS


def test_taskbench_links_reach_the_agents_tool_graph():
    from agentkit.cli import build_agent
    from agentkit.models import FunctionModel, register_fake

    register_fake("cli-noop", lambda: FunctionModel(lambda messages, schema: "ok", name="fake:cli-noop"))
    agent = build_agent([str(TASKBENCH)], model="fake:cli-noop", retriever="bm25")
    for source, target in TASKBENCH_LINKS:
        assert agent.graph.graph.edges[source, target].get("explicit") is True


def _taskbench_planner(messages, schema):
    props = (schema or {}).get("properties", {})
    if schema is None:
        return "ok"
    if "answer" in props:
        return {"answer": "drew a cat and labelled the picture"}
    if "task_steps" in props and "task_nodes" not in props:
        return {"task_steps": ["draw a cat", "label the picture"]}
    if "task_nodes" in props:
        return {"task_nodes": [{"task": "Text-to-Image", "arguments": {"text": "a cat"}},
                               {"task": "Image Classification", "arguments": {"image": "<node-0>"}}],
                "task_links": [{"source": "Text-to-Image", "target": "Image Classification"}]}  # fmt: skip
    return {name: "a cat" for name in props}  # the caller, should it be asked


def test_run_executes_a_taskbench_plan_end_to_end_with_simulated_tools():
    from typer.testing import CliRunner

    from agentkit.cli import app
    from agentkit.models import FunctionModel, register_fake

    register_fake("cli-taskbench", lambda: FunctionModel(_taskbench_planner, name="fake:cli-taskbench"))
    result = CliRunner().invoke(
        app, ["run", "draw a cat and label it", "--tools", str(TASKBENCH), "--model", "fake:cli-taskbench", "--retriever", "bm25", "--json"]
    )
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["status"] == "ok" and [n["tool"] for n in run["nodes"]] == ["Text-to-Image", "Image Classification"]
    assert all(n["status"] == "ok" and n["output"]["simulated"] is True for n in run["nodes"])
    assert run["nodes"][1]["output"]["arguments"]["image"] == "<simulated image from Text-to-Image>"


def test_taskbench_without_a_folder_says_to_pass_one(capsys, tmp_path):
    assert_one_error_line(*cli_main(capsys, "tools", "list", "--tools", "taskbench")[::2], "domain folder", "--tools DIR")
    missing = tmp_path / "nope"
    assert_one_error_line(*cli_main(capsys, "tools", "list", "--tools", f"taskbench:{missing}")[::2], "not found")
    assert_one_error_line(*cli_main(capsys, "tools", "list", "--tools", str(tmp_path))[::2], "no tool_desc.json")


# -- pack options: PACK:key=value[,key=value] ----------------------------------------------


def test_pack_options_reach_the_packs_loader(tmp_path):
    import pytest

    from agentkit.cli import load_tool_sources
    from agentkit.tools import AccessDenied

    fetch = load_tool_sources(["http:allow_hosts=example.org;api.example.org,timeout=2"]).registry.get("fetch")
    with pytest.raises(AccessDenied, match=r"allowed: api\.example\.org, example\.org"):
        fetch.func(url="https://elsewhere.org/")
    (tmp_path / "note.txt").write_text("inside")
    files = load_tool_sources([f"files:root={tmp_path},max_read_bytes=100"]).registry
    assert files.get("read_file").func(path="note.txt") == "inside"
    with pytest.raises(AccessDenied):
        files.get("read_file").func(path="/etc/hostname")
    assert "csv_query" in load_tool_sources([f"data:{tmp_path}"]).registry  # PACK:VALUE sets the first option
    assert "sqlite_query" in load_tool_sources([f"data:root={tmp_path},writable=yes,max_rows=5"]).registry


def test_bad_pack_options_are_one_error_line(capsys):
    for source, fragment in [
        ("files:bogus=1", "unknown option 'bogus'"),
        ("nope:x=1", "unknown tool pack 'nope'"),
        ("math:x=1", "takes no options"),
        ("files:max_entries=many", "expected an integer"),
        ("data:writable=maybe", "expected true or false"),
        ("http:transport=x", "unknown option 'transport'"),
        ("files:root=/no/such/dir", "not a directory"),
    ]:
        assert_one_error_line(*cli_main(capsys, "tools", "list", "--tools", source)[::2], fragment)


def test_a_run_waits_for_a_background_retrieval_index_and_says_why(capsys, tmp_path, monkeypatch):
    import threading

    import numpy as np

    from agentkit import Agent, cli
    from agentkit.models import FunctionModel, register_fake
    from agentkit.retrieval import HybridRetriever
    from agentkit.tools import load_pack

    register_fake("cli-noop", lambda: FunctionModel(lambda messages, schema: "ok", name="fake:cli-noop"))

    release = threading.Event()

    class GatedEmbedder:  # embeds only once the CLI has started waiting: the index is still building before
        id, dim = "test-gated-4", 4

        def embed(self, texts):
            assert release.wait(timeout=60)
            return np.ones((len(texts), self.dim), dtype=np.float32) / 2

    tools = list(load_pack("math"))
    retriever = HybridRetriever.warming(tools, GatedEmbedder(), path=tmp_path / "index")
    real_wait = retriever.wait
    monkeypatch.setattr(retriever, "wait", lambda timeout=None: (release.set(), real_wait(timeout))[1])
    agent = Agent(tools, model="fake:cli-noop", retriever=retriever)
    assert not retriever.ready
    cli._finish_retrieval_index(agent)
    assert retriever.ready and retriever.fused and (tmp_path / "index").exists()  # built, then saved for later runs
    assert f"finishing the retrieval index of {len(tools)} tools" in capsys.readouterr().err
