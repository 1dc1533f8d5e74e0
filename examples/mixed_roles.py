"""Mixed roles: the planner behind an OpenAI-compatible URL, a local llama.cpp caller and summarizer.

Each role of an Agent (planner, caller, summarizer) is bound to its own model spec. Here the
planner is `openai:gemma@URL` -- any OpenAI-compatible server works: OpenAI, vLLM, llama.cpp's
server -- while the caller and the summarizer run the embedded model in-process
(`llamacpp:default`). The printout shows which model served each role and its token usage.

Run: python examples/mixed_roles.py [--url http://HOST:PORT/v1] ["request"]
Without --url, it starts llama-cpp-python's OpenAI-compatible server on 127.0.0.1 itself
(agentkit.testing.serve_llamacpp) serving the default GGUF, and stops it at the end.
"""

from __future__ import annotations

import argparse
import asyncio

from agentkit import Agent, RunResult
from agentkit.planners import get_planner
from agentkit.tools import load_pack


async def main(url: str, request: str = "What is 15 percent of 240?") -> RunResult:
    agent = Agent(
        load_pack("math"),
        planner=f"openai:gemma@{url}",  # remote planner: model name "gemma" at that base URL
        caller="llamacpp:default",  # small local model fills in arguments when needed
        summarizer="llamacpp:default",  # the same local model instance (one load per spec)
        strategy=get_planner("one-shot", max_nodes=3),  # a short plan keeps a small model quick
        retriever="bm25",
        top_k=5,
    )
    result = await agent.run(request)
    print(f"request: {request}\nplan:    {[n.task for n in result.plan.task_nodes] if result.plan else None}")
    for node in result.nodes:
        print(f"node {node.index}: {node.tool}({node.arguments}) -> {node.output if node.error is None else node.error}")
    for role, usage in result.usage.items():
        print(f"{role:10} {agent.models[role].name:40} {usage.prompt_tokens:5} prompt + {usage.completion_tokens:4} completion tokens")
    print(f"status: {result.status.value}\nanswer: {result.answer}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("request", nargs="?", default="What is 15 percent of 240?")
    parser.add_argument("--url", help="an OpenAI-compatible base URL (default: start a local llama.cpp server)")
    args = parser.parse_args()
    if args.url:
        asyncio.run(main(args.url, args.request))
    else:
        from agentkit.testing import serve_llamacpp

        with serve_llamacpp() as base_url:
            print(f"started llama_cpp.server at {base_url}")
            asyncio.run(main(base_url, args.request))
