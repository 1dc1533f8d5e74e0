"""What the README promises about a run, checked on fake models: alpha picks the path, the planner policy
calls the caller only to repair, node_timeout, the zero-shot strategy, and unsolvable steps."""

import asyncio
import io

import pytest
from rich.console import Console

from agentkit import Tool, ToolPrior, tool
from agentkit.agent import Agent
from agentkit.executor import ExecutionPolicy
from agentkit.models import FunctionModel
from agentkit.result import NodeStatus, RunStatus
from agentkit.testing import plan_model


def plan(*nodes, steps=None):
    return {
        "task_steps": steps or [f"step {i}" for i in range(len(nodes))],
        "task_nodes": [{"task": t, "arguments": a} for t, a in nodes],
        "task_links": [],
    }


# -- alpha: the A* weight of cost against quality ---------------------------------------------


@tool(cost=0.01, quality=0.5)
def quick_ocr(image: str) -> str:
    """Read the text in an image, cheaply and badly.

    Args:
        image: file name
    """
    return f"quick text of {image}"


# The same step, served by a tool that costs 100 times more and is nearly always right.
careful_ocr = Tool(
    name="careful_ocr", description="Read the text in an image, carefully.", parameters=quick_ocr.parameters,
    func=lambda image: f"careful text of {image}", subtask_priors={"quick_ocr": ToolPrior(cost=1.0, quality=0.99)},
)  # fmt: skip
OCR_PLAN = plan(("quick_ocr", {"image": "a.png"}), steps=["read the text in a.png"])


def ocr_agent(alpha: float) -> Agent:
    return Agent([quick_ocr, careful_ocr], model=plan_model(OCR_PLAN), retriever=None, alpha=alpha,
                 policy=ExecutionPolicy(arguments="planner"))  # fmt: skip


@pytest.mark.parametrize(("alpha", "chosen"), [(1.0, "quick_ocr"), (0.0, "careful_ocr")])
async def test_alpha_chooses_between_cost_and_quality(alpha, chosen):
    result = await ocr_agent(alpha).run("read a.png")
    assert result.status == RunStatus.OK
    assert [s.tool for s in result.path.steps] == [chosen] and result.nodes[0].tool == chosen


def test_alpha_set_in_chat_changes_the_next_runs_path():
    from agentkit.chat import ChatSession

    session = ChatSession(ocr_agent(1.0), Console(file=io.StringIO(), width=100))
    session.turn("read a.png")
    assert session.command("/alpha 0") is True
    session.turn("read a.png")
    assert [r.nodes[0].tool for r in session.results] == ["quick_ocr", "careful_ocr"]


# -- the planner policy: the caller only repairs ----------------------------------------------


@tool
def repeat(text: str, times: int) -> str:
    """Repeat a text.

    Args:
        text: what to repeat
        times: how often
    """
    return text * times


class RecordingCaller:
    """A caller model that records each call and answers with fixed arguments."""

    def __init__(self, reply):
        self.calls = 0
        self.model = FunctionModel(self, name="fake:recording-caller")
        self.reply = reply

    def __call__(self, messages, schema):
        self.calls += 1
        return self.reply


# Node 1's "times" resolves to node 0's output, "AB": the plan validates, the tool's arguments do not.
REPEAT_PLAN = {
    "task_steps": ["upper-case ab", "repeat it"],
    "task_nodes": [{"task": "upper", "arguments": {"text": "ab"}},
                   {"task": "repeat", "arguments": {"text": "<node-0>", "times": "<node-0>"}}],
    "task_links": [{"source": "upper", "target": "repeat"}],
}  # fmt: skip


@tool(input_types=["text"], output_types=["text"])
def upper(text: str) -> str:
    """Upper-case a text.

    Args:
        text: the text
    """
    return text.upper()


def planner_policy_agent(caller: RecordingCaller, planned: dict) -> Agent:
    planner = plan_model(planned)
    return Agent([upper, repeat], planner=planner, caller=caller.model, summarizer=planner, retriever=None,
                 policy=ExecutionPolicy(arguments="planner"))  # fmt: skip


async def test_the_planner_policy_never_calls_the_caller_when_the_plan_fits():
    caller = RecordingCaller({"text": "from the caller", "times": 1})
    result = await planner_policy_agent(caller, plan(("upper", {"text": "ab"}))).run("x")
    assert result.nodes[0].output == "AB" and caller.calls == 0


async def test_the_planner_policy_calls_the_caller_once_to_repair_invalid_arguments():
    caller = RecordingCaller({"text": "AB", "times": 3})
    result = await planner_policy_agent(caller, REPEAT_PLAN).run("x")
    assert [n.output for n in result.nodes] == ["AB", "ABABAB"]
    assert caller.calls == 1 and result.usage["caller"].calls == 1  # node 0's arguments fitted: no call


# -- node_timeout -----------------------------------------------------------------------------


async def test_node_timeout_applies_to_tools_without_a_timeout_of_their_own():
    @tool
    async def dawdle(text: str) -> str:
        """Take far too long.

        Args:
            text: anything
        """
        await asyncio.sleep(30)
        return text

    agent = Agent([dawdle], model=plan_model(plan(("dawdle", {"text": "a"}))), retriever=None,
                  policy=ExecutionPolicy(node_timeout=0.05, retries=0, arguments="planner"))  # fmt: skip
    result = await asyncio.wait_for(agent.run("x"), timeout=20)
    assert result.nodes[0].status == NodeStatus.FAILED and result.nodes[0].error_type == "ToolTimeoutError"


# -- the zero-shot strategy -------------------------------------------------------------------


async def test_the_zero_shot_strategy_plans_from_the_docs_alone_and_runs():
    prompts = []
    inner = plan_model(plan(("repeat", {"text": "ab", "times": "2"})), answer="abab it is")

    def reply(messages, schema):
        prompts.append(messages[0].content)
        return inner._fn(messages, schema)

    agent = Agent([repeat], model=FunctionModel(reply, name="fake:zero-shot"), strategy="zero-shot", retriever=None,
                  policy=ExecutionPolicy(arguments="planner"))  # fmt: skip
    result = await agent.run("repeat ab 2 times")  # every figure of the arguments comes from the request
    assert result.status == RunStatus.OK and result.nodes[0].output == "abab" and result.answer == "abab it is"
    planner_prompts = [p for p in prompts if "Available tools, from their documentation" in p]
    assert planner_prompts and not any("# EXAMPLE #" in p for p in planner_prompts)


# -- unsolvable: no executable tool -----------------------------------------------------------


async def test_a_step_whose_only_tool_is_documentation_is_unsolvable_and_named():
    book = Tool(name="book_flight", description="Book a flight.", input_types=["text"], output_types=["booking"],
                parameters={"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]})  # fmt: skip
    assert not book.executable  # documentation only; upper (text -> text) cannot stand in for it
    agent = Agent([book, upper], model=plan_model(plan(("book_flight", {"to": "Oslo"}), steps=["book a flight to Oslo"])),
                  retriever=None)  # fmt: skip
    result = await agent.run("book a flight to Oslo")
    assert result.status == RunStatus.UNSOLVABLE
    assert result.unsolvable == "book a flight to Oslo (no executable tool for 'book_flight')"
    assert not any(n.status == NodeStatus.OK for n in result.nodes)
