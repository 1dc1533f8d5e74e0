"""ToolRegistry lookups and ToolGraph type/link edges."""

import pytest

from agentkit import Tool, ToolDefinitionError, ToolGraph, ToolRegistry, UnknownToolError


def _tools():
    return [
        Tool(name="classify", input_types=["image"], output_types=["text"]),
        Tool(name="speak", input_types=["text"], output_types=["audio"]),
        Tool(name="draw", input_types=["text"], output_types=["image"]),
    ]


def test_duplicate_names_are_rejected():
    with pytest.raises(ToolDefinitionError, match="duplicate"):
        ToolRegistry([Tool(name="a"), Tool(name="a")])


def test_unknown_tool_suggests_close_names():
    reg = ToolRegistry(_tools())
    with pytest.raises(UnknownToolError, match="did you mean 'speak'"):
        reg.get("speek")


def test_filter_by_input_type():
    assert ToolRegistry(_tools()).filter(input_type="text").names == ["speak", "draw"]


def test_type_edges_connect_producers_to_consumers():
    g = ToolGraph(ToolRegistry(_tools()))
    assert g.successors("classify") == {"speak", "draw"}
    assert g.can_feed("draw", "classify")
    assert not g.can_feed("speak", "classify")


def test_explicit_links_are_edges():
    reg = ToolRegistry([Tool(name="a"), Tool(name="b")])
    g = ToolGraph(reg, links=[("a", "b")])
    assert g.can_feed("a", "b") and not g.can_feed("b", "a")


def test_link_to_unknown_tool_is_rejected():
    with pytest.raises(UnknownToolError):
        ToolGraph(ToolRegistry([Tool(name="a")]), links=[("a", "zzz")])


def test_tool_subgraph_materialises_pairs():
    sub = ToolGraph(ToolRegistry(_tools())).tool_graph(["classify", "speak"])
    assert list(sub.edges) == [("classify", "speak")]
    assert sub.edges["classify", "speak"]["types"] == ["text"]


def test_compatible_is_can_feed_except_that_untyped_tools_link_freely():
    g = ToolGraph(ToolRegistry([*_tools(), Tool(name="note")]))
    assert g.compatible("draw", "classify") and not g.compatible("speak", "classify")
    assert g.compatible("note", "classify") and g.compatible("speak", "note")
