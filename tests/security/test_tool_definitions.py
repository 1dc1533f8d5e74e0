"""Tool definitions are untrusted data: they cannot make agentkit fetch URLs or read files, and calls are checked strictly.

A real HTTP server on 127.0.0.1 records every request; a schema that references it
is refused when it is loaded, and even a schema changed after loading is never fetched
during plan validation or argument validation.
"""

from __future__ import annotations

import enum
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentkit import Tool, ToolArgumentError, ToolDefinitionError, tool
from agentkit.errors import ToolLoadError
from agentkit.loaders import load_openai_tools, load_tools, load_tools_jsonl, tools_from_openai
from agentkit.plan import TaskPlan
from agentkit.planning import validate_plan
from agentkit.registry import ToolRegistry

# -- a server that records every hit --------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.hits.append(self.path)
        body = json.dumps({"type": "string"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """(base URL, the paths requested so far) of a schema server on 127.0.0.1."""
    hits: list[str] = []
    handler = type("Handler", (_Recorder,), {"hits": hits})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_recording_server_really_records(server):
    import urllib.request

    url, hits = server
    urllib.request.urlopen(f"{url}/probe", timeout=5).read()
    assert hits == ["/probe"]


def _openai(schema: dict[str, Any], name: str = "lookup") -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": name, "description": "d", "parameters": schema}}]


def _with_ref(ref: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"q": {"$ref": ref}}, "required": ["q"]}


# -- remote and file references are refused when a tool is defined ---------------------------


@pytest.mark.parametrize("kind", ["http", "https", "file", "relative", "protocol-relative", "urn"])
def test_a_non_local_ref_is_a_tool_definition_error(kind, server, tmp_path):
    url, hits = server
    secret = tmp_path / "secret.json"
    secret.write_text('{"type": "string"}')
    ref = {
        "http": f"{url}/x",
        "https": "https://127.0.0.1:1/x",
        "file": secret.as_uri(),
        "relative": "other.json#/defs/a",
        "protocol-relative": f"//127.0.0.1:{url.rsplit(':', 1)[1]}/x",
        "urn": "urn:example:schema",
    }[kind]
    with pytest.raises(ToolDefinitionError, match="not local"):
        Tool(name="lookup", parameters=_with_ref(ref))
    assert hits == []


def test_refs_in_dynamic_ref_and_nested_keywords_are_checked_too(server):
    url, hits = server
    for schema in [
        {"type": "object", "properties": {"q": {"$dynamicRef": f"{url}/d"}}},
        {"type": "object", "properties": {"q": {"anyOf": [{"type": "integer"}, {"items": {"$ref": f"{url}/i"}}]}}},
        {"type": "object", "$defs": {"a": {"$ref": f"{url}/defs"}}, "properties": {"q": {"$ref": "#/$defs/a"}}},
        {"type": "object", "x-unknown-keyword": {"$ref": f"{url}/unknown"}, "properties": {"q": {"$ref": "#/x-unknown-keyword"}}},
    ]:
        with pytest.raises(ToolDefinitionError, match="not local"):
            Tool(name="t", parameters=schema)
    assert hits == []


@pytest.mark.parametrize("loader", ["openai", "openai-file", "jsonl", "auto"])
def test_every_loader_refuses_a_remote_ref_with_one_load_error(loader, server, tmp_path):
    url, hits = server
    schema = _with_ref(f"{url}/schema.json")
    with pytest.raises(ToolLoadError, match="not local"):
        if loader == "openai":
            tools_from_openai(_openai(schema))
        elif loader == "openai-file":
            path = tmp_path / "tools.json"
            path.write_text(json.dumps(_openai(schema)))
            load_openai_tools(path)
        elif loader == "jsonl":
            path = tmp_path / "tools.jsonl"
            path.write_text(json.dumps({"name": "lookup", "description": "d", "parameters": schema}) + "\n")
            load_tools_jsonl(path)
        else:
            path = tmp_path / "tools.json"
            path.write_text(json.dumps({"tools": _openai(schema)}))
            load_tools(path)
    assert hits == []


def test_the_cli_refuses_a_tool_file_with_a_remote_ref_with_exit_2(server, tmp_path, capsys):
    from helpers import assert_one_error_line, cli_main

    url, hits = server
    path = tmp_path / "tools.json"
    path.write_text(json.dumps(_openai(_with_ref(f"{url}/x"))))
    assert_one_error_line(*cli_main(capsys, "tools", "list", "--tools", str(path))[::2], "not local")
    assert hits == []


# -- local references keep working ------------------------------------------------------------


def test_local_defs_and_definitions_refs_resolve():
    for defs_key in ("$defs", "definitions"):
        t = Tool(
            name="paint",
            parameters={
                "type": "object",
                defs_key: {"Color": {"enum": ["red", "blue"]}},
                "properties": {"color": {"$ref": f"#/{defs_key}/Color"}},
                "required": ["color"],
            },
        )
        assert t.validate_arguments({"color": "red"}) == {"color": "red"}
        with pytest.raises(ToolArgumentError, match="color"):
            t.validate_arguments({"color": "green"})


def test_a_local_ref_to_nothing_is_refused_when_defined():
    with pytest.raises(ToolDefinitionError, match="points to nothing"):
        Tool(name="t", parameters=_with_ref("#/$defs/Missing"))


def test_an_id_naming_the_server_does_not_make_local_refs_fetch(server):
    url, hits = server
    t = Tool(
        name="t",
        parameters={
            "$id": f"{url}/base.json",
            "type": "object",
            "$defs": {"s": {"type": "string"}},
            "properties": {"q": {"$ref": "#/$defs/s"}},
        },
    )
    assert t.validate_arguments({"q": "x"}) == {"q": "x"}
    with pytest.raises(ToolArgumentError):
        t.validate_arguments({"q": 1})
    assert hits == []


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@tool
def paint(color: Color, times: int = 1) -> str:
    """Paint something.

    Args:
        color: which color
        times: how many coats
    """
    return f"{color.value} x{times}"


def test_an_enum_parameter_ref_validates_in_plans_and_calls():
    registry = ToolRegistry([paint])
    bad = TaskPlan.model_validate({"task_nodes": [{"task": "paint", "arguments": {"color": "green"}}], "task_links": []})
    problems = validate_plan(bad, registry)
    assert len(problems) == 1 and "'green' is not one of" in problems[0]
    good = TaskPlan.model_validate({"task_nodes": [{"task": "paint", "arguments": {"color": "red"}}], "task_links": []})
    assert validate_plan(good, registry) == []
    assert paint.validate_arguments({"color": "blue"})["color"] is Color.BLUE


# -- a schema changed after it was checked is still never fetched ------------------------------


def test_a_schema_mutated_after_loading_is_not_fetched_during_argument_validation(server):
    url, hits = server
    t = Tool(name="t", parameters={"type": "object", "properties": {"q": {"type": "string"}}})
    t.parameters["properties"]["q"] = {"$ref": f"{url}/late"}  # bypasses the load-time check
    with pytest.raises(ToolArgumentError, match="cannot be checked"):
        t.validate_arguments({"q": "x"})
    assert t.argument_problems("q", "x") and hits == []


def test_a_schema_mutated_after_loading_is_not_fetched_during_plan_validation(server):
    url, hits = server
    t = Tool(name="t", parameters={"type": "object", "properties": {"q": {"type": "string"}}})
    t.parameters["properties"]["q"] = {"$ref": f"{url}/late"}
    plan = TaskPlan.model_validate({"task_nodes": [{"task": "t", "arguments": {"q": "x"}}], "task_links": []})
    problems = validate_plan(plan, ToolRegistry([t]))
    assert len(problems) == 1 and "cannot be checked" in problems[0]
    assert hits == []


# -- other schema problems are definition errors, not crashes later ---------------------------


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "object", "properties": {"q": {"type": "string", "pattern": "("}}}, "not a valid regular expression"),
        ({"type": "object", "patternProperties": {"[": {"type": "string"}}}, "not a valid regular expression"),
        ({"type": "object", "properties": {"q": {"type": "string", "maxLength": 10**5000}}}, "invalid parameter schema"),
        ({"type": "array"}, "type 'object'"),
        ({"type": "object", "properties": {"q": {"type": "no-such-type"}}}, "invalid parameter schema"),
    ],
)
def test_bad_schemas_are_definition_errors(schema, fragment):
    with pytest.raises(ToolDefinitionError, match=fragment):
        Tool(name="t", parameters=schema)


def test_a_schema_nested_100000_deep_or_containing_itself_is_refused():
    deep: dict[str, Any] = {"type": "string"}
    for _ in range(100_000):
        deep = {"items": deep}
    with pytest.raises(ToolDefinitionError, match="nested deeper"):
        Tool(name="t", parameters={"type": "object", "properties": {"q": deep}})
    cyclic: dict[str, Any] = {"type": "object", "properties": {}}
    cyclic["properties"]["self"] = cyclic
    with pytest.raises(ToolDefinitionError, match="contains itself"):
        Tool(name="t", parameters=cyclic)


# -- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["", "   ", " padded", "tab\tname", "esc\x1b[31mred", "bell\x07", "nul\x00", "rtl\u202egnp.exe", "zero\u200bwidth", "x" * 300, None, 5],
)
def test_bad_tool_names_are_definition_errors(name):
    with pytest.raises(ToolDefinitionError) as raised:
        Tool(name=name)
    assert "\x1b" not in str(raised.value) and "\u202e" not in str(raised.value)


def test_a_decorated_function_with_a_bad_name_is_a_definition_error():
    def f(x: int) -> int:
        return x

    with pytest.raises(ToolDefinitionError, match="empty"):
        tool(name=" ")(f)
    with pytest.raises(ToolDefinitionError, match="control"):
        tool(name="a\x1b]0;title\x07")(f)


def test_names_with_spaces_and_punctuation_still_work():
    assert Tool(name="Image Classification").name == "Image Classification"
    assert Tool(name="weather.get-v2").name == "weather.get-v2"


def test_other_bad_fields_are_definition_errors_not_pydantic_errors():
    with pytest.raises(ToolDefinitionError, match="timeout"):
        Tool(name="t", timeout=-1)
    with pytest.raises(ToolDefinitionError, match="parameters"):
        Tool(name="t", parameters=["not", "a", "schema"])


# -- arguments ---------------------------------------------------------------------------------


@tool
def scale(value: float, factor: int = 2) -> float:
    """Multiply a value.

    Args:
        value: the value
        factor: the factor
    """
    return value * factor


def test_unknown_arguments_are_an_error_not_silently_dropped():
    with pytest.raises(ToolArgumentError, match="surprise: unknown argument") as raised:
        scale.validate_arguments({"value": 1.0, "surprise": 1})
    assert raised.value.problems[0][0] == "surprise"


def test_true_is_not_an_int_or_a_number():
    with pytest.raises(ToolArgumentError, match="factor"):
        scale.validate_arguments({"value": 1.0, "factor": True})
    with pytest.raises(ToolArgumentError, match="value"):
        scale.validate_arguments({"value": False})
    assert scale.validate_arguments({"value": 1, "factor": 3}) == {"value": 1.0, "factor": 3}


def test_a_huge_int_is_an_argument_error_not_a_raw_value_error():
    for tool_ in (scale, Tool(name="raw", parameters={"type": "object", "properties": {"value": {"type": "string"}}})):
        with pytest.raises(ToolArgumentError, match="integer too large"):
            tool_.validate_arguments({"value": 10**5000})


def test_nan_and_deeply_nested_or_cyclic_values_are_argument_errors():
    raw = Tool(name="raw", parameters={"type": "object", "properties": {"v": {}}})
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    for value, fragment in [(float("nan"), "finite"), (deep, "nested deeper"), (cyclic, "contains itself")]:
        with pytest.raises(ToolArgumentError, match=fragment):
            raw.validate_arguments({"v": value})


def test_a_raw_schema_tool_does_not_pass_unknown_arguments_to_its_function():
    def lookup(q: str) -> str:
        return q

    t = Tool(name="lookup", parameters={"type": "object", "properties": {"q": {"type": "string"}}}, func=lookup)
    with pytest.raises(ToolArgumentError, match="extra: unknown argument"):
        t.validate_arguments({"q": "x", "extra": 1})


def test_a_raw_schema_tool_whose_function_takes_kwargs_receives_them():
    def anything(**kwargs: Any) -> dict[str, Any]:
        return kwargs

    t = Tool(name="anything", parameters={"type": "object", "properties": {}}, func=anything)
    assert t.validate_arguments({"a": 1, "b": "x"}) == {"a": 1, "b": "x"}


def test_a_documentation_only_tool_follows_its_schema_for_extra_arguments():
    open_ = Tool(name="open", parameters={"type": "object", "properties": {"q": {"type": "string"}}})
    assert open_.validate_arguments({"q": "x", "extra": 1}) == {"q": "x", "extra": 1}
    closed = Tool(name="closed", parameters={"type": "object", "properties": {"q": {"type": "string"}}, "additionalProperties": False})
    with pytest.raises(ToolArgumentError, match="extra"):
        closed.validate_arguments({"q": "x", "extra": 1})


def test_a_max_length_violation_on_a_10_mb_value_gives_a_short_message():
    t = Tool(name="t", parameters={"type": "object", "properties": {"q": {"type": "string", "maxLength": 5}}})
    with pytest.raises(ToolArgumentError) as raised:
        t.validate_arguments({"q": "x" * 10_000_000})
    message = str(raised.value)
    assert len(message) < 1_000 and "is too long" not in message[:0] and "more characters" in message


def test_a_10_mb_argument_name_and_many_problems_stay_bounded():
    with pytest.raises(ToolArgumentError) as raised:
        scale.validate_arguments({"y" * 10_000_000: 1, **{f"extra{i}": i for i in range(500)}})
    assert len(str(raised.value)) < 20_000 and "more problem(s)" in str(raised.value)


@pytest.mark.parametrize("arguments", [None, [], "x", 5])
def test_arguments_that_are_not_an_object_are_an_argument_error(arguments):
    with pytest.raises(ToolArgumentError, match="expected an object"):
        scale.validate_arguments(arguments)


# -- how a tool may be run: idempotent, side_effects, needs_approval ------------------------


def test_run_declarations_default_to_a_safe_read_only_tool():
    assert (scale.idempotent, scale.side_effects, scale.needs_approval) == (True, False, False)
    assert scale.approval_needed({"value": 1.0}) is False


def test_run_declarations_are_kept_by_the_decorator():
    @tool(idempotent=False, side_effects=True, needs_approval=True)
    def append(line: str) -> str:
        """Append a line to the log."""
        return line

    assert (append.idempotent, append.side_effects) == (False, True)
    assert append.approval_needed({"line": "x"}) is True


def test_needs_approval_may_be_a_predicate_on_the_arguments():
    @tool(needs_approval=lambda args: args.get("method", "GET") != "GET", side_effects=True)
    def request(url: str, method: str = "GET") -> str:
        """Send a request."""
        return url

    assert request.approval_needed({"url": "u"}) is False
    assert request.approval_needed({"url": "u", "method": "DELETE"}) is True


def test_a_predicate_that_raises_means_approval_is_needed():
    t = Tool(name="t", needs_approval=lambda args: args["missing"] > 1)
    assert t.approval_needed({}) is True


def test_a_tool_with_a_predicate_still_serialises_to_json():
    t = Tool(name="t", needs_approval=lambda args: False, idempotent=False)
    data = json.loads(t.model_dump_json())
    assert data["needs_approval"] is True and data["idempotent"] is False and data["side_effects"] is False


# -- fuzz: schemas and arguments never raise anything but the typed errors -------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_keyword = st.sampled_from(
    ["type", "properties", "items", "$ref", "$defs", "enum", "pattern", "maxLength", "minimum", "anyOf", "required",
     "additionalProperties", "$id", "$dynamicRef", "format", "const"]
)  # fmt: skip
_schemaish = st.recursive(
    st.sampled_from([{"type": t} for t in ("string", "integer", "number", "boolean", "array", "object", "null")])
    | st.builds(lambda r: {"$ref": r}, st.sampled_from(["#", "#/$defs/a", "http://127.0.0.1:9/x", "file:///etc/passwd", "a.json", "#/nope"])),
    lambda children: st.dictionaries(_keyword, children | _json, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(properties=st.dictionaries(st.text(max_size=6), _schemaish | st.booleans(), max_size=3), defs=st.dictionaries(st.text(max_size=3), _schemaish, max_size=2), arguments=_json)
def test_fuzzed_schemas_and_arguments_raise_only_typed_errors(properties, defs, arguments):
    schema = {"type": "object", "properties": properties, "$defs": defs}
    try:
        t = Tool(name="fuzz", parameters=schema)
    except ToolDefinitionError:
        return
    try:
        t.validate_arguments(arguments if isinstance(arguments, dict) else {"a": arguments})
    except ToolArgumentError as exc:
        assert len(str(exc)) < 20_000
    for name in properties:
        assert isinstance(t.argument_problems(name, arguments), list)
    assert isinstance(t.document(), str) and json.dumps(t.to_openai(), default=str)


def test_an_unknown_schema_dialect_url_is_never_fetched(server):
    url, hits = server
    t = Tool(name="t", parameters={"$schema": f"{url}/meta", "type": "object", "properties": {"q": {"type": "string"}}})
    with pytest.raises(ToolArgumentError):
        t.validate_arguments({"q": 1})
    with pytest.raises(ToolDefinitionError, match=r"\$schema must be a string"):
        Tool(name="t", parameters={"$schema": {"$ref": f"{url}/x"}, "type": "object"})
    assert hits == []


def test_a_registry_lookup_with_a_non_string_name_is_an_unknown_tool_not_a_type_error():
    from agentkit.errors import UnknownToolError

    registry = ToolRegistry([scale])
    assert ["scale"] not in registry and {"a": 1} not in registry
    with pytest.raises(UnknownToolError):
        registry.get(["scale"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"$ref": "#/properties/b"}, "b": {"$ref": "#/properties/a"}}},
        {"type": "object", "properties": {"a": {"$ref": "#/properties/a"}}},
        {"$ref": "#", "type": "object"},
    ],
)
def test_references_that_loop_without_reading_the_value_are_refused_when_defined(schema):
    with pytest.raises(ToolDefinitionError, match="endless loop"):
        Tool(name="t", parameters=schema)


def test_a_recursive_schema_that_reads_the_value_as_it_goes_is_fine():
    node = {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}, "v": {"type": "integer"}}}
    t = Tool(name="t", parameters={"type": "object", "$defs": {"node": node}, "properties": {"list": {"$ref": "#/$defs/node"}}})
    assert t.validate_arguments({"list": {"v": 1, "next": {"v": 2}}})
    with pytest.raises(ToolArgumentError, match="list.next.v"):
        t.validate_arguments({"list": {"v": 1, "next": {"v": "two"}}})


def test_a_loop_through_applicators_that_slips_past_the_check_is_an_argument_error_not_a_crash():
    t = Tool(name="t", parameters={"type": "object", "properties": {"a": {"allOf": [{"$ref": "#/properties/a"}]}}})
    with pytest.raises(ToolArgumentError, match="cannot be checked"):
        t.validate_arguments({"a": 1})


def test_boolean_property_schemas_become_objects_every_consumer_can_read():
    t = Tool(name="t", parameters={"type": "object", "properties": {"any": True, "never": False}})
    assert t.parameters["properties"] == {"any": {}, "never": {"not": {}}}
    assert "any" in t.document()
    assert t.validate_arguments({"any": [1]}) == {"any": [1]}
    with pytest.raises(ToolArgumentError, match="never"):
        t.validate_arguments({"never": 1})


# -- a tool cannot end the program ------------------------------------------------------------


@tool
def exits(code: int) -> str:
    """Call sys.exit, as a careless tool might."""
    import sys

    sys.exit(code)


@tool
async def interrupts(text: str) -> str:
    """Raise KeyboardInterrupt from inside a coroutine."""
    raise KeyboardInterrupt


async def test_sys_exit_or_keyboard_interrupt_in_a_tool_is_that_tools_error():
    from agentkit.tool import ToolExitError

    with pytest.raises(ToolExitError, match=r"SystemExit\(0\)"):
        await exits.acall({"code": 0})
    with pytest.raises(ToolExitError, match="KeyboardInterrupt"):
        await interrupts.acall({"text": "x"})


async def test_a_run_whose_tool_calls_sys_exit_ends_with_a_failed_node_not_a_dead_process():
    from agentkit.agent import Agent
    from agentkit.result import NodeStatus
    from agentkit.testing import plan_model

    plan = {"task_steps": ["exit"], "task_nodes": [{"task": "exits", "arguments": {"code": "0"}}], "task_links": []}
    result = await Agent([exits], model=plan_model(plan), retriever=None).run("exit")
    assert result.nodes[0].status == NodeStatus.FAILED and "tried to end the program" in (result.nodes[0].error or "")


def test_a_function_whose_parameters_cannot_be_passed_by_name_is_a_definition_error():
    def positional(x: int, /) -> int:
        return x

    with pytest.raises(ToolDefinitionError, match="positional-only"):
        tool(positional)
