"""Every plan schema agentkit builds converts to a llama.cpp grammar that llama.cpp accepts."""

from pathlib import Path

import pytest
from llama_cpp import LlamaGrammar

from agentkit.loaders import load_taskbench_tools
from agentkit.models.grammar import schema_to_gbnf
from agentkit.planning import plan_schema, steps_schema
from agentkit.roles import ANSWER_SCHEMA
from agentkit.tools import PACKS, load_pack

FIX = Path(__file__).parent / "fixtures"


def _accepts(schema):
    LlamaGrammar.from_string(schema_to_gbnf(schema), verbose=False)


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_plan_schema_over_each_pack_is_a_valid_grammar(pack, tmp_path):
    options = {"domain_dir": FIX / "taskbench_resource"} if pack == "taskbench" else {}
    if pack in ("files", "data"):
        options = {"root": tmp_path}
    tools = list(load_pack(pack, **options))
    _accepts(plan_schema(tools))
    _accepts(plan_schema(tools, n_nodes=2, with_steps=False))


@pytest.mark.parametrize("domain", ["taskbench_resource", "taskbench_temporal"])
def test_plan_schema_over_taskbench_tools_is_a_valid_grammar(domain):
    _accepts(plan_schema(list(load_taskbench_tools(FIX / domain).registry)))


def test_fixed_schemas_are_valid_grammars():
    _accepts(steps_schema())
    _accepts(ANSWER_SCHEMA)
