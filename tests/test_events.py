"""Node events: NodeFailed is one failed attempt; NodeGaveUp says the node ended without success."""

from agentkit import Agent, ExecutionPolicy, Tool, ToolPrior, tool
from agentkit.events import NodeFailed, NodeFinished, NodeGaveUp
from agentkit.result import NodeStatus
from agentkit.testing import plan_model


@tool(cost=1.0, quality=0.9)
def broken_ocr(image: str) -> str:
    """Read the text in an image (its engine is broken).

    Args:
        image: file name
    """
    raise RuntimeError("engine crashed")


backup_ocr = Tool(
    name="backup_ocr", description="Read the text in an image, slowly.", parameters=broken_ocr.parameters,
    func=lambda image: f"text of {image}", subtask_priors={"broken_ocr": ToolPrior(cost=5.0, quality=0.7)},
)  # fmt: skip

PLAN = {"task_steps": ["read it"], "task_nodes": [{"task": "broken_ocr", "arguments": {"image": "a.png"}}], "task_links": []}


async def events_of(agent: Agent) -> list:
    return [event async for event in agent.stream("read a.png")]


async def test_a_node_that_recovers_has_a_failed_attempt_and_no_gave_up():
    agent = Agent([broken_ocr, backup_ocr], model=plan_model(PLAN), retriever=None, policy=ExecutionPolicy(retries=0, caller_retries=0))
    events = await events_of(agent)
    assert [e.tool for e in events if isinstance(e, NodeFailed)] == ["broken_ocr"]
    assert not [e for e in events if isinstance(e, NodeGaveUp)]
    assert [e.result.status for e in events if isinstance(e, NodeFinished)] == [NodeStatus.OK]


async def test_a_node_without_a_working_tool_gives_up_once_before_it_finishes():
    agent = Agent([broken_ocr], model=plan_model(PLAN), retriever=None, policy=ExecutionPolicy(retries=0, caller_retries=0))
    events = await events_of(agent)
    kinds = [type(e).__name__ for e in events if isinstance(e, NodeFailed | NodeGaveUp | NodeFinished)]
    assert kinds == ["NodeFailed", "NodeGaveUp", "NodeFinished"]
    (gave_up,) = [e for e in events if isinstance(e, NodeGaveUp)]
    assert gave_up.status == NodeStatus.FAILED and gave_up.attempts == ["broken_ocr"] and "engine crashed" in gave_up.error
