"""Your own tools from an OpenAI-style JSON document, retrieved by the hybrid retriever, run by an agent.

The JSON gives names, descriptions and parameter schemas; implementations are attached by name.
Run: python examples/openai_tools.py "How much is 20 EUR in USD?"
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from agentkit import Agent, RunResult, ToolRegistry
from agentkit.loaders import load_openai_tools
from agentkit.retrieval import make_retriever

DOC = Path(__file__).parent / "data" / "tools.json"
RATES = {("EUR", "USD"): 1.08, ("USD", "EUR"): 0.93, ("GBP", "USD"): 1.27}

IMPLEMENTATIONS = {
    "get_weather": lambda city: {"city": city, "temperature_c": 18, "sky": "cloudy", "simulated": True},
    "convert_currency": lambda amount, source, target: round(amount * RATES.get((source.upper(), target.upper()), 1.0), 2),
    "local_time": lambda zone: datetime.now(ZoneInfo(zone)).strftime("%H:%M"),
    "translate_text": lambda text, language: f"[{language}] {text}",
}


def load_tools() -> ToolRegistry:
    """The documented tools with their Python implementations attached."""
    return ToolRegistry(t.model_copy(update={"func": IMPLEMENTATIONS[t.name]}) for t in load_openai_tools(DOC))


async def main(request: str, model: str = "llamacpp:default") -> RunResult:
    tools = load_tools()
    for hit in make_retriever("hybrid", list(tools)).search(request, k=3):
        print(f"retrieved {hit.name:18} score {hit.score:.4f}")
    result = await Agent(tools, model=model, retriever="hybrid", top_k=3).run(request)
    print("nodes:", [(n.tool, n.output) for n in result.nodes])
    print("answer:", result.answer)
    return result


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "How much is 20 EUR in USD?"))
