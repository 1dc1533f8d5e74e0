"""Mixed roles: a planner behind an OpenAI-compatible URL, a local llama.cpp caller and summarizer.

Any OpenAI-compatible server works for the planner (OpenAI, vLLM, llama.cpp). Run as a script,
this starts llama-cpp-python's server on 127.0.0.1 itself:  python examples/mixed_roles.py
"""

from __future__ import annotations

import asyncio

from agentkit import Agent, RunResult
from agentkit.tools import load_pack


async def main(url: str, request: str = "What is 15 percent of 240?") -> RunResult:
    agent = Agent(
        load_pack("math"),
        planner=f"openai:gemma@{url}",  # remote planner (here: a local OpenAI-compatible server)
        caller="llamacpp:default",  # small local caller
        summarizer="llamacpp:default",
        retriever="bm25",
    )
    result = await agent.run(request)
    for role, usage in result.usage.items():
        print(f"{role:10} {agent.models[role].name:45} {usage.prompt_tokens:5} + {usage.completion_tokens:4} tokens")
    print("answer:", result.answer)
    return result


if __name__ == "__main__":
    from agentkit.testing import serve_llamacpp

    with serve_llamacpp() as base_url:
        asyncio.run(main(base_url))
