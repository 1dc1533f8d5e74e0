"""Your own tools from an OpenAI-style JSON document, retrieved by the hybrid retriever, run by an agent.

examples/data/tools.json gives each function's name, description and JSON-Schema parameters (the
format of OpenAI's `tools=`); the Python implementations are attached by name. The retriever
(hybrid = BM25 + MiniLM embeddings fused by reciprocal rank; or plain BM25) ranks the tools for
the request -- its scores and per-retriever ranks are printed -- and the agent plans over the top
ones, validates the arguments against the schemas, calls the functions and answers.

Run: python examples/openai_tools.py "How much is 20 EUR in USD?" [--retriever bm25] [--model SPEC]
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from agentkit import Agent, ChatModel, RunResult, ToolRegistry
from agentkit.loaders import load_openai_tools
from agentkit.retrieval import Retriever, make_retriever

DOC = Path(__file__).parent / "data" / "tools.json"
RATES = {("EUR", "USD"): 1.08, ("USD", "EUR"): 0.93, ("GBP", "USD"): 1.27, ("USD", "JPY"): 151.0}


def get_weather(city: str) -> dict:
    return {"city": city, "temperature_c": 18, "sky": "cloudy", "simulated": True}


def convert_currency(amount: float, source: str, target: str) -> float:
    rate = 1.0 if source.upper() == target.upper() else RATES[(source.upper(), target.upper())]
    return round(float(amount) * rate, 2)


def local_time(zone: str) -> str:
    return datetime.now(ZoneInfo(zone)).strftime("%H:%M")


def translate_text(text: str, language: str) -> str:
    return f"[{language}] {text}"  # a stand-in: plug a real translator in here


IMPLEMENTATIONS = {f.__name__: f for f in (get_weather, convert_currency, local_time, translate_text)}


def load_tools() -> ToolRegistry:
    """The documented tools with their Python implementations attached by name."""
    return ToolRegistry(t.model_copy(update={"func": IMPLEMENTATIONS[t.name]}) for t in load_openai_tools(DOC))


def show_retrieval(retriever: Retriever, request: str, k: int = 3) -> None:
    print(f"request: {request}")
    for hit in retriever.search(request, k=k):
        print(f"  {hit.name:18} score {hit.score:.4f}  (BM25 rank {hit.lexical_rank}, dense rank {hit.dense_rank})")


async def main(request: str = "How much is 20 EUR in USD?", model: str | ChatModel = "llamacpp:default", retriever: str = "hybrid") -> RunResult:
    tools = load_tools()
    index = make_retriever(retriever, list(tools))  # type: ignore[arg-type]
    show_retrieval(index, request)
    agent = Agent(tools, model=model, retriever=index, top_k=3)  # the same index ranks the agent's tools
    result = await agent.run(request)
    for node in result.nodes:
        print(f"node {node.index}: {node.tool}({node.arguments}) -> {node.status.value}: {node.output if node.error is None else node.error}")
    print(f"status: {result.status.value}\nanswer: {result.answer}")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("request", nargs="?", default="How much is 20 EUR in USD?")
    parser.add_argument("--retriever", choices=["hybrid", "bm25"], default="hybrid")
    parser.add_argument("--model", default="llamacpp:default")
    args = parser.parse_args()
    asyncio.run(main(args.request, args.model, args.retriever))
