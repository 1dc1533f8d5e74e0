"""Loaders for real documentation formats, and their errors."""

from pathlib import Path

import pytest

from agentkit import ToolLoadError
from agentkit.loaders import load_openai_tools, load_python_tools, load_taskbench_tools, load_tools, load_tools_jsonl

FIX = Path(__file__).parent / "fixtures"


def test_openai_tools_file():
    reg = load_openai_tools(FIX / "tools/openai_tools.json")
    assert reg.names == ["get_weather", "convert_currency"]
    assert reg.get("get_weather").required == ["city"]


def test_taskbench_resource_domain_has_types_and_links():
    tb = load_taskbench_tools(FIX / "taskbench_resource")
    t = tb.registry.get("Image Classification")
    assert (t.input_types, t.output_types) == (["image"], ["text"])
    assert t.parameter_names == ["image"]
    assert ("Translation", "Text-to-Speech") in tb.links
    assert tb.dependency == "resource"


def test_taskbench_temporal_domain_has_parameters():
    tb = load_taskbench_tools(FIX / "taskbench_temporal")
    t = tb.registry.get("get_weather")
    assert t.parameter_names == ["location", "date"]
    assert t.parameters["properties"]["date"]["format"] == "date"
    assert tb.dependency == "temporal"


def test_tools_jsonl():
    reg = load_tools_jsonl(FIX / "tools/tools.jsonl")
    assert reg.get("math.factorial").category == "simple_python"


def test_python_module_of_tools():
    reg = load_python_tools(FIX / "tools/py_tools.py")
    assert sorted(reg.names) == ["add", "shout"]
    assert reg.get("shout").prior.quality == 0.99


def test_load_tools_picks_the_format_from_the_path():
    assert len(load_tools(FIX / "taskbench_resource")) == 4
    assert len(load_tools(FIX / "tools/tools.jsonl")) == 2
    assert len(load_tools(FIX / "tools/openai_tools.json")) == 2


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(ToolLoadError, match="nope.json: file not found"):
        load_openai_tools(tmp_path / "nope.json")


def test_malformed_json_names_file_and_position(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"tools": [')
    with pytest.raises(ToolLoadError, match=r"bad.json: invalid JSON at line 1"):
        load_openai_tools(bad)


def test_bad_entry_names_the_entry(tmp_path):
    bad = tmp_path / "tools.json"
    bad.write_text('[{"name": "ok"}, {"description": "no name"}]')
    with pytest.raises(ToolLoadError, match=r"tools.json \[entry 1\]"):
        load_openai_tools(bad)


def test_bad_schema_in_jsonl_names_the_line(tmp_path):
    bad = tmp_path / "tools.jsonl"
    bad.write_text('{"name": "a", "parameters": {"type": "object", "properties": {"x": {"type": 5}}}}\n')
    with pytest.raises(ToolLoadError, match=r"\[entry line 1\].*invalid parameter schema"):
        load_tools_jsonl(bad)


def test_taskbench_link_to_unknown_tool(tmp_path):
    (tmp_path / "tool_desc.json").write_text('{"nodes": [{"id": "A", "desc": "", "input-type": [], "output-type": []}]}')
    (tmp_path / "graph_desc.json").write_text('{"links": [{"source": "A", "target": "B"}]}')
    with pytest.raises(ToolLoadError, match="graph_desc.json \\[entry 0\\]: link names unknown tool 'B'"):
        load_taskbench_tools(tmp_path)


def test_duplicate_names_in_a_file(tmp_path):
    dup = tmp_path / "t.jsonl"
    dup.write_text('{"name": "a"}\n{"name": "a"}\n')
    with pytest.raises(ToolLoadError, match="line 2.*duplicate"):
        load_tools_jsonl(dup)
