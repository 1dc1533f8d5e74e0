"""Open registries: a plugin package adds a model backend, a planner, a tool pack and a retriever.

The plugin is written to a temporary folder with a ``.dist-info`` holding
``entry_points.txt``, exactly what ``pip install`` leaves in site-packages, so
``importlib.metadata`` finds it once the folder is on ``sys.path`` (or ``PYTHONPATH``).
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from agentkit.planners import PLANNERS, get_planner, register_planner
from agentkit.tools import PACKS, load_pack, parse_pack_options, register_pack
from typer.testing import CliRunner

from agentkit import Agent, ConfigError
from agentkit.cli import app
from agentkit.config import parse_config
from agentkit.models import load_model, parse_model_spec, register_backend
from agentkit.retrieval import RETRIEVERS, build_retriever

PLUGIN = '''
"""A plugin package: one backend, one planner, one tool pack, one retriever."""
from agentkit import tool
from agentkit.plan import TaskNode, TaskPlan
from agentkit.planners import PlanResult
from agentkit.registry import ToolRegistry
from agentkit.retrieval import ScoredTool
from agentkit.testing import plan_model


def backend(spec, **options):
    return plan_model({"task_steps": [], "task_nodes": []}, answer=f"greeted by {spec.model}", name=f"demo:{spec.model}")


class FixedPlanner:
    """Always: greet the name that ends the request (asks no model)."""

    name = "fixed"

    def __init__(self, punctuation="!"):
        self.punctuation = punctuation

    async def plan(self, request, tools, *, model, registry, graph=None, history=(), on_token=None):
        who = request.split()[-1] + self.punctuation
        return PlanResult(plan=TaskPlan(task_steps=["greet"], task_nodes=[TaskNode(task="greet", arguments={"name": who})]))


def pack(greeting: str = "hello", times: int = 1) -> ToolRegistry:
    @tool
    def greet(name: str) -> str:
        """Greet someone by name.

        Args:
            name: who to greet
        """
        return " ".join([f"{greeting} {name}"] * times)

    return ToolRegistry([greet])


class FirstRetriever:
    """Ranks the pool in its own order, ignoring the query."""

    def __init__(self, tools):
        self.names = [t.name for t in tools]

    def search(self, query, k=10):
        return [ScoredTool(name=n, score=1.0 / (i + 1)) for i, n in enumerate(self.names[:k])]

    def save(self, path):
        raise NotImplementedError
'''

ENTRY_POINTS = """
[agentkit.backends]
demo = akdemo_plugin:backend

[agentkit.planners]
fixed = akdemo_plugin:FixedPlanner

[agentkit.packs]
greetings = akdemo_plugin:pack

[agentkit.retrievers]
first = akdemo_plugin:FirstRetriever
"""

NAMES = {"demo": "backend", "fixed": "planner", "greetings": "pack", "first": "retriever"}


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """The plugin on sys.path, as if installed; its names leave every registry afterwards."""
    site = tmp_path / "site"
    (site / "akdemo_plugin").mkdir(parents=True)
    (site / "akdemo_plugin" / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "akdemo_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: akdemo-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(site))
    yield site
    from agentkit.models.spec import BACKENDS

    for registry, name in ((BACKENDS, "demo"), (PLANNERS, "fixed"), (PACKS, "greetings"), (RETRIEVERS, "first")):
        registry.unregister(name)
    sys.modules.pop("akdemo_plugin", None)


def test_an_installed_plugin_is_found_by_every_registry(plugin):
    from agentkit.models.spec import BACKENDS

    assert "demo" in BACKENDS.names() and "fixed" in PLANNERS and "greetings" in PACKS and "first" in RETRIEVERS
    assert parse_model_spec("demo:ada").backend == "demo"
    assert load_model("demo:ada").name == "demo:ada"
    assert get_planner("fixed", punctuation="?").punctuation == "?"
    assert [t.name for t in load_pack("greetings")] == ["greet"]
    assert parse_pack_options("greetings", "greeting=hi,times=2") == {"greeting": "hi", "times": 2}
    assert [h.name for h in build_retriever("first", load_pack("greetings")).search("anything")] == ["greet"]


def test_plugin_parts_drive_an_agent_from_python(plugin):
    agent = Agent(tools=["greetings:greeting=hi"], model="demo:x", strategy="fixed", retriever="first")
    result = agent.run_sync("please greet Ada")
    assert result.nodes[0].output == "hi Ada!" and agent.models["summarizer"].name == "demo:x"
    assert "hi Ada!" in result.answer  # the fake's own words ("greeted by x") state no result, so the result is stated
    assert [r.name for r in result.retrieved] == ["greet"]


def test_plugin_names_are_accepted_in_agentkit_toml(plugin, tmp_path, monkeypatch):
    (tmp_path / "agentkit.toml").write_text('model = "demo:toml"\nstrategy = "fixed"\nretriever = "bm25"\ntools = ["greetings:greeting=hey"]\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AGENTKIT_CONFIG", raising=False)
    result = CliRunner().invoke(app, ["run", "greet Bo", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["nodes"][0]["output"] == "hey Bo!" and "hey Bo!" in data["answer"]


def test_config_rejects_a_name_no_registry_knows():
    with pytest.raises(ConfigError, match=r"key 'strategy'.*unknown planner 'fixed' \(known: one-shot, zero-shot"):
        parse_config({"strategy": "fixed"})
    with pytest.raises(ConfigError, match=r"unknown retriever 'first'"):
        parse_config({"retriever": "first"})


def test_the_cli_finds_an_installed_plugin(plugin):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin), os.environ.get("PYTHONPATH", "")])}
    env.pop("AGENTKIT_CONFIG", None)
    command = [os.path.join(os.path.dirname(sys.executable), "agentkit")]
    helped = subprocess.run([*command, "run", "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert "fixed" in helped.stdout and "first" in helped.stdout and "greetings" in helped.stdout
    ran = subprocess.run(
        [*command, "run", "greet Cy", "--tools", "greetings:times=2", "--model", "demo:cli", "--strategy", "fixed", "--retriever", "first", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["nodes"][0]["output"] == "hello Cy! hello Cy!"


def test_a_broken_plugin_is_one_config_error(plugin):
    (plugin / "akdemo_plugin-0.1.dist-info" / "entry_points.txt").write_text("[agentkit.packs]\nbroken = akdemo_plugin:missing\n")
    with pytest.raises(ConfigError, match=r"tool pack 'broken' \(akdemo_plugin:missing\) cannot be loaded: AttributeError"):
        load_pack("broken")


def test_backends_planners_and_packs_register_in_code():
    from agentkit.models import FunctionModel
    from agentkit.models.spec import BACKENDS

    register_backend("echo", lambda spec, **options: FunctionModel(lambda m, s: spec.model, name=f"echo:{spec.model}"))
    register_planner("again", lambda **options: get_planner("one-shot", **options))
    register_pack("empty", lambda: load_pack("math"))
    try:
        assert load_model("echo:hi").name == "echo:hi"
        assert get_planner("again", max_nodes=2).max_nodes == 2
        assert "empty" in PACKS.names() and len(load_pack("empty")) == len(load_pack("math"))
    finally:
        BACKENDS.unregister("echo"), PLANNERS.unregister("again"), PACKS.unregister("empty")
