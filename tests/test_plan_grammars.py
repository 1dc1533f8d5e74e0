"""Every schema agentkit decodes under becomes a grammar that llama.cpp really initialises, and that grammar
accepts what the schema allows and refuses what it forbids (checked token by token on the default model's
vocabulary: ``LlamaGrammar.from_string`` alone only stores the text and would accept anything)."""

import json
from pathlib import Path

import jsonschema
import pytest

from agentkit.loaders import load_taskbench_tools
from agentkit.models.grammar import schema_to_gbnf
from agentkit.planning import plan_schema, steps_schema
from agentkit.roles import ANSWER_SCHEMA
from agentkit.tools import PACKS, load_pack
from helpers import example_of

FIX = Path(__file__).parent / "fixtures"


def dumps(value) -> str:
    return json.dumps(value)  # ", " and ": " separators: the whitespace llama.cpp's JSON grammars allow


def assert_grammar_of(schema, grammars, *, refuses=()):
    """The schema's grammar initialises, accepts a valid instance and refuses each text in ``refuses``."""
    gbnf = schema_to_gbnf(schema)
    assert grammars.initialises(gbnf), "llama.cpp rejected the grammar"
    valid = example_of(schema)
    jsonschema.Draft202012Validator(schema).validate(valid)
    assert grammars.accepts(gbnf, dumps(valid)), dumps(valid)
    for text in refuses:
        assert not grammars.accepts(gbnf, text), text


def with_unknown_tool(plan):
    return {**plan, "task_nodes": [{**plan["task_nodes"][0], "task": "no_such_tool"}, *plan["task_nodes"][1:]]}


def test_the_checker_fails_on_a_broken_grammar(grammars):
    assert not grammars.initialises('root ::= ("a"')
    assert grammars.initialises('root ::= "a"')
    assert grammars.accepts('root ::= "ab"', "ab") and not grammars.accepts('root ::= "ab"', "a")


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_plan_schema_over_each_pack_is_a_working_grammar(pack, tmp_path, grammars):
    options = {"domain_dir": FIX / "taskbench_resource"} if pack == "taskbench" else {}
    if pack in ("files", "data"):
        options = {"root": tmp_path}
    tools = list(load_pack(pack, **options))
    for schema in (plan_schema(tools), plan_schema(tools, n_nodes=2, with_steps=False)):
        plan = example_of(schema)
        assert_grammar_of(schema, grammars, refuses=[dumps(with_unknown_tool(plan)), "{}", dumps(plan)[:-1]])


@pytest.mark.parametrize("domain", ["taskbench_resource", "taskbench_temporal"])
def test_plan_schema_over_taskbench_tools_is_a_working_grammar(domain, grammars):
    schema = plan_schema(list(load_taskbench_tools(FIX / domain).registry))
    assert_grammar_of(schema, grammars, refuses=[dumps(with_unknown_tool(example_of(schema)))])


def test_steps_grammar_bounds_the_number_of_steps(grammars):
    schema = steps_schema()
    too_many = dumps({"task_steps": ["x"] * (schema["properties"]["task_steps"]["maxItems"] + 1)})
    assert_grammar_of(schema, grammars, refuses=[dumps({"task_steps": []}), too_many])


def test_answer_grammar_bounds_the_answer(grammars):
    limit = ANSWER_SCHEMA["properties"]["answer"]["maxLength"]
    assert_grammar_of(ANSWER_SCHEMA, grammars, refuses=[dumps({"answer": 1}), dumps({"answer": "a" * (limit + 1)})])
    assert grammars.accepts(schema_to_gbnf(ANSWER_SCHEMA), dumps({"answer": "It is 36."}))
