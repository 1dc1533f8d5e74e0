"""The Agent pipeline with fake models: stages, parallelism, recovery, approvals, checkpoints, errors."""

import asyncio
import json

import pytest

from agentkit import PlanError, Tool, ToolPrior, tool
from agentkit.agent import Agent
from agentkit.events import ApprovalRequested, Finished, ModelCalled, NodeFailed, NodeStarted, Planned, TokenGenerated
from agentkit.executor import ExecutionPolicy
from agentkit.models import FunctionModel, ScriptedModel
from agentkit.result import NodeStatus, RunStatus
from agentkit.testing import plan_model

CALLS: list[str] = []


@tool(input_types=["text"], output_types=["text"])
def upper(text: str) -> str:
    """Upper-case a text.

    Args:
        text: the text
    """
    CALLS.append("upper")
    return text.upper()


@tool(input_types=["text"], output_types=["text"])
async def exclaim(text: str) -> str:
    """Add an exclamation mark.

    Args:
        text: the text
    """
    CALLS.append("exclaim")
    return text + "!"


def plan(*nodes, steps=None, links=()):
    return {
        "task_steps": steps or [f"step {i}" for i in range(len(nodes))],
        "task_nodes": [{"task": t, "arguments": a} for t, a in nodes],
        "task_links": [{"source": s, "target": t} for s, t in links],
    }


def scripted(plan_reply, answer="done"):
    """The planner answers from the given plan(s) (a list = one per attempt); the summary is plain text."""
    plans = plan_reply if isinstance(plan_reply, list) else [plan_reply]
    return plan_model(*plans, answer=answer)


@pytest.fixture(autouse=True)
def _clear():
    CALLS.clear()


@pytest.fixture(params=["memory", "sqlite"])
def checkpoint(request, tmp_path):
    """Approvals, cancels and resumes work alike on LangGraph's InMemorySaver (the default) and an SQLite file."""
    return None if request.param == "memory" else tmp_path / "runs.sqlite"


async def test_run_returns_typed_results_for_every_stage():
    agent = Agent([upper, exclaim], model=scripted(plan(("upper", {"text": "hi"}), ("exclaim", {"text": "<node-0>"})), answer="HI!"),
                  retriever="bm25")  # fmt: skip
    result = await agent.run("shout hi")
    assert result.status == RunStatus.OK
    assert [r.name for r in result.retrieved] and result.plan.task_nodes[1].task == "exclaim"
    assert [s.tool for s in result.path.steps] == ["upper", "exclaim"]
    assert [n.output for n in result.nodes] == ["HI", "HI!"]
    assert result.answer == "HI!" and result.grounded and result.answer_by_model
    assert set(result.usage) == {"planner", "caller", "summarizer"}


async def test_the_caller_fills_literal_arguments_and_keeps_the_plans_data_flow():
    # node 0's literal argument goes through the caller; node 1's only argument is <node-0>: no call.
    caller = ScriptedModel([{"text": "from the caller"}])
    planner = scripted(plan(("upper", {"text": "hi"}), ("exclaim", {"text": "<node-0>"})))
    agent = Agent([upper, exclaim], planner=planner, caller=caller, summarizer=planner, retriever=None)
    events = [e async for e in agent.stream("shout hi")]
    result = events[-1].result
    assert [n.output for n in result.nodes] == ["FROM THE CALLER", "FROM THE CALLER!"]
    assert result.usage["caller"].calls == 1
    assert [e.role for e in events if isinstance(e, ModelCalled)] == ["planner", "caller", "summarizer"]


async def test_unusable_caller_arguments_fall_back_to_the_planners():
    caller = ScriptedModel(["not json", "still not json"])
    planner = scripted(plan(("upper", {"text": "hi"})))
    result = await Agent([upper], planner=planner, caller=caller, summarizer=planner, retriever=None).run("x")
    assert result.nodes[0].output == "HI"


async def test_the_planner_policy_skips_the_caller_when_the_plan_fits():
    caller = ScriptedModel([])  # any call would fail
    planner = scripted(plan(("upper", {"text": "hi"})))
    agent = Agent([upper], planner=planner, caller=caller, summarizer=planner, retriever=None,
                  policy=ExecutionPolicy(arguments="planner"))  # fmt: skip
    result = await agent.run("x")
    assert result.nodes[0].output == "HI" and caller.calls == []  # a call would be recorded, then fail


def test_run_sync_agrees_with_run():
    model = plan(("upper", {"text": "hi"}))
    sync = Agent([upper], model=scripted(model), retriever=None).run_sync("x")
    asynchronous = asyncio.run(Agent([upper], model=scripted(model), retriever=None).run("x"))
    assert sync.nodes[0].output == asynchronous.nodes[0].output == "HI"


async def test_stream_yields_events_in_order():
    agent = Agent([upper], model=scripted(plan(("upper", {"text": "a"}))), retriever=None)
    kinds = [type(e).__name__ async for e in agent.stream("x") if not isinstance(e, TokenGenerated)]
    assert kinds[:2] == ["Retrieved", "Planned"]
    assert kinds.index("NodeStarted") < kinds.index("NodeFinished") < kinds.index("Finished") == len(kinds) - 1


async def test_stream_carries_each_roles_tokens_before_its_usage():
    agent = Agent([upper], model=scripted(plan(("upper", {"text": "a"})), answer="all done"), retriever=None)
    events = [e async for e in agent.stream("x")]
    tokens = {role: "".join(e.text for e in events if isinstance(e, TokenGenerated) and e.role == role) for role in ("planner", "summarizer")}
    assert json.loads(tokens["summarizer"]) == {"answer": "all done"}
    assert '"upper"' in tokens["planner"]
    last_summary_token = max(i for i, e in enumerate(events) if isinstance(e, TokenGenerated) and e.role == "summarizer")
    usage_event = next(i for i, e in enumerate(events) if isinstance(e, ModelCalled) and e.role == "summarizer")
    assert last_summary_token < usage_event


async def test_caller_tokens_name_the_node_they_fill():
    @tool
    def repeat(text: str, times: int) -> str:
        """Repeat a text.

        Args:
            text: what to repeat
            times: how often
        """
        return text * times

    # "<node-0>" resolves to "A", not an int: the caller fills all of node 1's arguments.
    planned = plan(("upper", {"text": "a"}), ("repeat", {"text": "<node-0>", "times": "<node-0>"}), links=[("upper", "repeat")])
    caller = ScriptedModel([{"text": "a"}, {"text": "A", "times": 2}])
    agent = Agent([upper, repeat], planner=scripted(planned), caller=caller, summarizer=scripted(plan()), retriever=None)
    events = [e async for e in agent.stream("x")]
    caller_tokens = [e for e in events if isinstance(e, TokenGenerated) and e.role == "caller"]
    assert {e.index for e in caller_tokens} == {0, 1}
    assert json.loads("".join(e.text for e in caller_tokens if e.index == 1)) == {"text": "A", "times": 2}
    assert events[-1].result.nodes[1].output == "AA"


async def test_independent_nodes_run_in_parallel():
    started, all_started = [], asyncio.Event()

    @tool
    async def gather(tag: str) -> str:
        """Wait until every node has started (run one at a time, the first would wait in vain).

        Args:
            tag: label
        """
        started.append(tag)
        if len(started) == 4:
            all_started.set()
        await asyncio.wait_for(all_started.wait(), timeout=30)
        return tag

    agent = Agent([gather], model=scripted(plan(*[("gather", {"tag": str(i)}) for i in range(4)])), retriever=None,
                  policy=ExecutionPolicy(retries=0))  # fmt: skip
    result = await agent.run("x")
    assert result.status == RunStatus.OK and sorted(n.output for n in result.nodes) == ["0", "1", "2", "3"]


async def test_failed_tool_recovers_on_the_next_best_tool():
    @tool(cost=1.0, quality=0.9)
    def flaky_ocr(image: str) -> str:
        """Read text from an image (broken).

        Args:
            image: file name
        """
        raise RuntimeError("engine crashed")

    backup = Tool(
        name="backup_ocr", parameters=flaky_ocr.parameters, func=lambda image: f"text of {image}",
        subtask_priors={"flaky_ocr": ToolPrior(cost=5.0, quality=0.7)},
    )
    agent = Agent([flaky_ocr, backup], model=scripted(plan(("flaky_ocr", {"image": "a.png"}))), retriever=None,
                  policy=ExecutionPolicy(retries=0))
    events = [e async for e in agent.stream("read a.png")]
    failed = [e for e in events if isinstance(e, NodeFailed)]
    # the caller gets one retry with the error text, then the next candidate runs
    assert [(f.tool, f.next_tool) for f in failed] == [("flaky_ocr", "flaky_ocr"), ("flaky_ocr", "backup_ocr")]
    result = events[-1].result
    assert result.nodes[0].status == NodeStatus.OK and result.nodes[0].attempts == ["flaky_ocr", "flaky_ocr", "backup_ocr"]
    assert result.path.steps[0].tool == "backup_ocr"


FAILS: set[str] = set()


@tool(input_types=["text"], output_types=["text"], cost=1.0, quality=0.9)
def quick_summary(text: str) -> str:
    """Summarize a text in one line, quickly.

    Args:
        text: the text to summarize
    """
    if "quick_summary" in FAILS:
        raise RuntimeError("service down")
    return "quick: " + text[:10]


@tool(input_types=["text"], output_types=["text"], cost=1.0, quality=0.9)
def careful_summary(text: str) -> str:
    """Summarize a text carefully.

    Args:
        text: the text to summarize
    """
    return "careful: " + text[:10]


@tool(cost=1.0, quality=0.9)
def untyped_summary(text: str) -> str:
    """Summarize a text.

    Args:
        text: the text to summarize
    """
    return "untyped"


def summary_agent():
    planned = plan(("quick_summary", {"text": "a long text"}), steps=["summarize the text"])
    return Agent([quick_summary, careful_summary, untyped_summary, upper], model=scripted(planned), retriever="bm25",
                 policy=ExecutionPolicy(retries=0))  # fmt: skip


async def test_the_retriever_finds_substitutes_of_the_same_types_for_a_step():
    FAILS.clear()
    agent = summary_agent()
    result = await agent.run("summarize a long text")
    (subtask,) = agent.problem_builder().build(result.plan).problem.subtasks
    tools = {c.tool for c in subtask.candidates}
    assert {"quick_summary", "careful_summary"} <= tools and "untyped_summary" not in tools  # untyped: never a substitute
    assert subtask.candidate("careful_summary").quality == pytest.approx(0.9 * agent.substitute_trust)
    assert result.nodes[0].tool == "quick_summary"  # the planner's choice wins while it works


async def test_a_failing_tool_recovers_on_a_retrieved_substitute_and_later_runs_remember():
    FAILS.add("quick_summary")
    try:
        agent = summary_agent()
        first = await agent.run("summarize a long text")
        # one caller retry with the error text on the same tool, then the substitute
        assert first.nodes[0].attempts == ["quick_summary", "quick_summary", "careful_summary"]
        assert first.nodes[0].output == "careful: a long tex"
        second = await agent.run("summarize a long text")
        assert second.nodes[0].attempts == ["careful_summary"]  # experience: the failure moved the priors
        assert agent.experience.records["quick_summary"]["quick_summary"].failures == 1  # reported once, after the retry
    finally:
        FAILS.clear()


async def test_tool_exception_without_alternative_is_a_typed_node_error_and_dependents_skip():
    @tool
    def broken(text: str) -> str:
        """Always fails.

        Args:
            text: anything
        """
        raise ValueError("nope")

    agent = Agent([broken, exclaim], model=scripted(plan(("broken", {"text": "a"}), ("exclaim", {"text": "<node-0>"}))),
                  retriever=None, policy=ExecutionPolicy(retries=0))
    result = await agent.run("x")
    assert result.status == RunStatus.FAILED  # no step succeeded
    assert result.nodes[0].error_type == "ToolExecutionError" and "nope" in result.nodes[0].error
    assert result.nodes[1].status == NodeStatus.SKIPPED


async def test_timeout_is_a_typed_node_error():
    @tool(timeout=0.05)
    async def hang(text: str) -> str:
        """Never returns in time.

        Args:
            text: anything
        """
        await asyncio.sleep(5)
        return text

    agent = Agent([hang], model=scripted(plan(("hang", {"text": "a"}))), retriever=None, policy=ExecutionPolicy(retries=0))
    result = await agent.run("x")
    assert result.nodes[0].error_type == "ToolTimeoutError"


async def test_invalid_plan_gets_one_repair_round_then_plan_error():
    bad = plan(("upper", {"text": "<node-3>"}))
    agent = Agent([upper], model=scripted([bad, bad]), retriever=None)
    with pytest.raises(PlanError) as info:
        await agent.run("x")
    assert any("<node-3>" in p for p in info.value.problems)
    assert info.value.partial.status == RunStatus.FAILED


async def test_repaired_plan_is_used():
    bad, good = plan(("upper", {"text": "<node-0>"})), plan(("upper", {"text": "ok"}))
    agent = Agent([upper], model=scripted([bad, good]), retriever=None)
    events = [e async for e in agent.stream("x")]
    planned = next(e for e in events if isinstance(e, Planned))
    assert planned.attempts == 2 and events[-1].result.nodes[0].output == "OK"


async def test_links_naming_no_node_are_shown_for_repair_then_left_out():
    from agentkit.planners import get_planner
    from agentkit.registry import ToolRegistry

    stray = plan(("upper", {"text": "hi"}), links=[("exclaim", "upper")])  # exclaim is no node of this plan
    registry = ToolRegistry([upper, exclaim])
    outcome = await get_planner("one-shot").plan("x", [upper, exclaim], model=scripted([stray, stray]), registry=registry)
    assert outcome.attempts == 2 and outcome.plan.task_links == []
    assert outcome.dropped_links == ["link 'exclaim' -> 'upper' names a tool that is not a node of the plan"]


async def test_step_without_a_tool_is_unsolvable_and_named():
    agent = Agent([upper], model=scripted(plan(("none", {}), steps=["book a flight to Oslo"])), retriever=None)
    result = await agent.run("book a flight")
    assert result.status == RunStatus.UNSOLVABLE and result.unsolvable == "book a flight to Oslo"
    assert CALLS == []


async def test_approval_pauses_then_resumes_without_rerunning_finished_nodes(checkpoint):
    @tool(needs_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file.

        Args:
            path: the file
        """
        CALLS.append("delete")
        return f"deleted {path}"

    agent = Agent([upper, delete_file], model=scripted(plan(("upper", {"text": "a"}), ("delete_file", {"path": "<node-0>"}))),
                  retriever=None, checkpoint=checkpoint)  # fmt: skip
    events = [e async for e in agent.stream("x", thread_id="t1")]
    assert isinstance(events[-2], ApprovalRequested) and events[-2].tool == "delete_file"
    assert events[-1].result.status == RunStatus.INTERRUPTED and CALLS == ["upper"]
    assert checkpoint is None or checkpoint.stat().st_size > 0  # the pause is in the SQLite file
    result = await agent.resume("t1", approve=True)
    assert result.status == RunStatus.OK and result.nodes[1].output == "deleted A"
    assert CALLS == ["upper", "delete"]


async def test_rejected_approval_is_recorded(checkpoint):
    @tool(needs_approval=True)
    def pay(amount: int) -> str:
        """Pay.

        Args:
            amount: cents
        """
        return "paid"

    agent = Agent([pay], model=scripted(plan(("pay", {"amount": "5"}))), retriever=None, checkpoint=checkpoint)
    await agent.run("pay", thread_id="t2")
    result = await agent.resume("t2", approve=False)
    assert result.nodes[0].status == NodeStatus.REJECTED


def test_killed_run_resumes_from_sqlite_checkpoint_without_rerunning_finished_nodes(tmp_path):
    """A process killed mid-run (os._exit) leaves a checkpoint; a new process resumes from it."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).parent / "fixtures" / "crash_agent.py"
    first = subprocess.run([sys.executable, str(script), str(tmp_path), "run"], capture_output=True, text=True, timeout=120)
    assert first.returncode == 17, first.stderr  # killed inside the second node
    assert (tmp_path / "calls.log").read_text().split() == ["upper", "fragile"]
    second = subprocess.run([sys.executable, str(script), str(tmp_path), "resume"], capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "ok A?"
    assert (tmp_path / "calls.log").read_text().split() == ["upper", "fragile", "fragile"]  # upper ran once


async def test_earlier_turns_are_context_for_later_ones():
    model = ScriptedModel([{"task_steps": ["a"]}, {"task_nodes": [{"task": "upper", "arguments": {"text": "a"}}], "task_links": []},
                           {"answer": "first answer: A"}, {"task_steps": ["b"]},
                           {"task_nodes": [{"task": "upper", "arguments": {"text": "b"}}], "task_links": []}, {"answer": "second"}])
    agent = Agent([upper], model=model, retriever=None, policy=ExecutionPolicy(arguments="planner"))
    await agent.run("first request", thread_id="conversation-1")
    await agent.run("second request", thread_id="conversation-1")
    planner_prompt = model.calls[3]["messages"][0].content
    assert "first request" in planner_prompt and "first answer" in planner_prompt


async def test_bad_alpha_is_a_config_error():
    from agentkit import ConfigError

    with pytest.raises(ConfigError):
        Agent([upper], model=scripted(plan()), alpha=2)


async def test_cancelled_run_raises_run_cancelled_with_partial_results_and_can_resume(checkpoint):
    from agentkit import RunCancelledError

    started = asyncio.Event()

    @tool
    async def wait(text: str) -> str:
        """Waits until cancelled the first time.

        Args:
            text: anything
        """
        if not started.is_set():
            started.set()
            await asyncio.sleep(30)
        return text

    agent = Agent([upper, wait], model=scripted(plan(("upper", {"text": "a"}), ("wait", {"text": "<node-0>"}))), retriever=None,
                  checkpoint=checkpoint)  # fmt: skip
    run = asyncio.create_task(agent.run("x", thread_id="c1"))
    await started.wait()
    run.cancel()
    with pytest.raises(RunCancelledError) as info:
        await run
    assert [n.output for n in info.value.partial.nodes] == ["A"]
    result = await agent.resume("c1")
    assert result.status == RunStatus.OK and CALLS == ["upper"]


async def test_non_json_tool_output_is_kept_as_text_not_a_crash():
    class Thing:
        def __str__(self):
            return "a thing"

    @tool
    def make(text: str) -> object:
        """Make a thing.

        Args:
            text: anything
        """
        return Thing()

    result = await Agent([make, exclaim], model=scripted(plan(("make", {"text": "a"}), ("exclaim", {"text": "<node-0>"}))), retriever=None).run("x")
    assert [n.output for n in result.nodes] == ["a thing", "a thing!"]


async def test_no_more_nodes_run_at_once_than_max_concurrency():
    running, peak = 0, 0

    @tool
    async def probe(tag: str) -> str:
        """Hold a slot for a moment.

        Args:
            tag: a label
        """
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return tag

    planned = plan(*[("probe", {"tag": str(i)}) for i in range(5)])
    agent = Agent([probe], model=scripted(planned), retriever=None,
                  policy=ExecutionPolicy(max_concurrency=2, arguments="planner"))  # fmt: skip
    result = await agent.run("x")
    assert result.status == RunStatus.OK and peak == 2


async def test_a_failing_call_is_retried_on_the_same_tool_before_switching():
    attempts = []

    @tool
    def shaky(text: str) -> str:
        """Fails the first time.

        Args:
            text: anything
        """
        attempts.append(text)
        if len(attempts) == 1:
            raise ConnectionError("transient")
        return text

    agent = Agent([shaky], model=scripted(plan(("shaky", {"text": "a"}))), retriever=None,
                  policy=ExecutionPolicy(retries=1, retry_backoff=0))  # fmt: skip
    result = await agent.run("x")
    assert result.nodes[0].status == NodeStatus.OK and attempts == ["a", "a"] and result.nodes[0].attempts == ["shaky"]


async def test_failed_model_calls_still_count_in_the_usage():
    caller = ScriptedModel(["not json", "still not json"])  # the caller fails twice: its tokens still count
    summarizer = ScriptedModel(["nope", "nope again"])  # the summary falls back to a listing
    planner = scripted(plan(("upper", {"text": "hi"})))
    result = await Agent([upper], planner=planner, caller=caller, summarizer=summarizer, retriever=None).run("x")
    assert result.nodes[0].output == "HI" and "step 1 (upper) returned: HI" in result.answer
    assert result.usage["caller"].calls == 2 and result.usage["summarizer"].calls == 2


async def test_a_failing_caller_model_falls_back_to_the_planners_arguments():
    caller = ScriptedModel([])  # every call raises ModelError (as an unreachable server would)
    planner = scripted(plan(("upper", {"text": "hi"})))
    result = await Agent([upper], planner=planner, caller=caller, summarizer=planner, retriever=None).run("x")
    assert result.status == RunStatus.OK and result.nodes[0].output == "HI"
