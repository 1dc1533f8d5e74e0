"""agentkit.load_tools: every tool source the CLI's --tools takes, from Python, merged with its links."""

from pathlib import Path

import pytest

from agentkit import ConfigError, LoadedTools, ToolRegistry, load_tools, tool
from agentkit.cli import load_tool_sources
from agentkit.sources import SOURCES, register_source

FIX = Path(__file__).parent / "fixtures"
TASKBENCH = FIX / "taskbench_resource"


@tool
def shout(text: str) -> str:
    """Upper-case a text.

    Args:
        text: what to shout
    """
    return text.upper()


def test_a_taskbench_folder_loads_the_same_in_python_and_on_the_command_line():
    loaded = load_tools(TASKBENCH)
    assert isinstance(loaded, LoadedTools) and loaded.links
    assert all(t.simulated and t.func is not None for t in loaded.registry)  # runnable, not docs only
    cli = load_tool_sources([str(TASKBENCH)])
    assert loaded.registry.names == cli.registry.names and loaded.links == cli.links


def test_packs_options_files_modules_and_tool_objects_merge_into_one_registry():
    loaded = load_tools(
        "math", "files:root=.", ["text", str(FIX / "tools" / "tools.jsonl")], shout, ToolRegistry([]),
    )  # fmt: skip
    names = set(loaded.registry.names)
    assert {"calculate", "read_file", "regex_find", "shout"} <= names
    assert len(load_tools(FIX / "tools" / "py_tools.py").registry) >= 2


def test_the_same_tool_from_two_sources_names_the_second_source():
    with pytest.raises(ConfigError, match=r"tool source math: .*calculate"):
        load_tools("math", "math")


@pytest.mark.parametrize(
    ("source", "message"),
    [("mathh", "unknown tool pack 'mathh'"), ("taskbench", "needs a domain folder"), ("taskbench:/no/such/dir", "not found")],
)
def test_bad_sources_are_config_errors(source, message):
    with pytest.raises(ConfigError, match=message):
        load_tools(source)


def test_a_registered_source_kind_loads_prefix_sources():
    register_source("shouting", lambda rest: ToolRegistry([shout]) if rest == "on" else ToolRegistry([]))
    try:
        assert load_tools("shouting:on").registry.names == ["shout"]
    finally:
        SOURCES.unregister("shouting")


def test_something_that_is_no_source_is_a_type_error():
    with pytest.raises(TypeError, match="a tool source is"):
        load_tools(42)
