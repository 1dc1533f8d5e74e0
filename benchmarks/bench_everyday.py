"""Everyday requests over the math, datetime and text packs, each with a known answer.

Every answer is read and put in one of three classes:

* **correct**: the run ended ``ok`` with a grounded answer (the model's, or the one result of sound
  tool calls stated plainly) that states the known answer;
* **declined**: the run said it could not (status failed/partial/unsolvable, or the hedged "could not
  vouch" listing, ``grounded=False``): honest, not helpful;
* **confidently wrong**: an ``ok`` run with a grounded answer that does not state the known answer.
  This must be 0.

A typed error raised by ``run()`` (a plan still invalid after repair: ``agentkit run`` prints it and
exits 1) is declined; any other exception is counted apart as **error** (a bug).

    python benchmarks/bench_everyday.py [--model SPEC] [--limit N] [--out FILE.jsonl] [--no-examples]

Prints one line per request (class, seconds, answer) and the totals.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

# (request, accepted answers: any one of them must appear in the answer)
REQUESTS: list[tuple[str, list[str]]] = [
    ("What is 15 percent of 240?", ["36"]),
    ("What is 12 times 37?", ["444"]),
    ("Convert 5 kilometers to miles.", ["3.1"]),
    ("What is the square root of 144?", ["12"]),
    ("What is 20 percent of 75?", ["15"]),
    ("How much is 1250 divided by 5?", ["250"]),
    ("Convert 100 degrees Fahrenheit to Celsius.", ["37.7", "37.8"]),
    ("What is 2 to the power of 10?", ["1024", "1,024"]),
    ("Convert 3 hours to minutes.", ["180"]),
    ("What is 7 percent of 300?", ["21"]),
    ("How many days are there between 2024-01-15 and 2024-03-01?", ["46"]),
    ("What day of the week was 2024-07-04?", ["Thursday"]),
    ("What date is 30 days after 2024-01-15?", ["2024-02-14", "February 14"]),
    ("How many days are there between 2023-12-25 and 2024-01-01?", ["7"]),
    ("What day of the week is 2025-12-25?", ["Thursday"]),
    ("What date is 2 weeks after 2024-02-20?", ["2024-03-05", "March 5"]),
    ("How many weeks are there between 2024-01-01 and 2024-03-04?", ["9"]),
    ("How many hours are there between 2024-05-01T08:00 and 2024-05-01T17:30?", ["9.5"]),
    ("How many words are in the sentence 'the quick brown fox jumps over the lazy dog'?", ["9", "nine", "Nine"]),
    ("Convert 'hello world' to upper case.", ["HELLO WORLD"]),
    ("Make 'Good Morning' lower case.", ["good morning"]),
    ("Convert 'agent kit' to title case.", ["Agent Kit"]),
    ("Find all the numbers in 'order 66 shipped 12 boxes'.", ["66"]),
    ("How many characters are in the word 'banana'?", ["6", "six", "Six"]),
]


def states(answer: str, accepted: list[str]) -> bool:
    """The answer states one accepted value (numbers compared as numbers: 46.0 states 46; text case-sensitively,
    since "hello world" does not answer "upper case")."""
    for value in accepted:
        if re.fullmatch(r"-?\d+(\.\d+)?", value):
            wanted = float(value)
            decimals = len(value.split(".")[1]) if "." in value else None
            for found in re.findall(r"-?\d[\d,]*(?:\.\d+)?", answer):
                number = float(found.replace(",", ""))
                if number == wanted or (decimals is not None and round(number, decimals) == wanted):
                    return True
                if decimals is not None and abs(number - wanted) < 10 ** (-decimals):
                    return True
        elif value in answer:
            return True
    return False


def classify(result: Any, accepted: list[str]) -> str:
    """An ``ok`` run with a grounded answer claims an answer (model-written, or a sound call's one result stated
    plainly); a failed run or a hedged "could not vouch" listing declined."""
    if result.status.value != "ok" or not result.grounded:
        return "declined"
    return "correct" if states(result.answer, accepted) else "confidently wrong"


async def run_all(model: str, limit: int | None, examples: bool, out: Path | None, arguments: str = "caller") -> dict[str, int]:
    from agentkit import Agent, load_tools
    from agentkit.errors import AgentkitError

    loaded = load_tools("math", "datetime", "text")
    options: dict[str, Any] = {"examples": "builtin"} if examples else {}
    from agentkit import ExecutionPolicy

    agent = Agent(loaded.registry, links=loaded.links, model=model, retriever="hybrid",
                  policy=ExecutionPolicy(arguments=arguments), **options)  # fmt: skip
    counts = {"correct": 0, "declined": 0, "confidently wrong": 0, "error": 0}
    rows = []
    for request, accepted in REQUESTS[:limit]:
        started = time.perf_counter()
        try:
            result = await agent.run(request)
            verdict = classify(result, accepted)
            answer, status = result.answer, result.status.value
        except AgentkitError as exc:  # a typed failure (e.g. a plan still invalid after repair): said, not wrong
            verdict, answer, status = "declined", f"{type(exc).__name__}: {exc}", "error"
        except Exception as exc:  # noqa: BLE001 - counted apart: an untyped exception out of run() is a bug
            verdict, answer, status = "error", f"{type(exc).__name__}: {exc}", "error"
        seconds = time.perf_counter() - started
        counts[verdict] += 1
        rows.append({"request": request, "accepted": accepted, "verdict": verdict, "status": status,
                     "answer": answer, "seconds": round(seconds, 1)})  # fmt: skip
        print(f"{verdict:17} {seconds:5.1f}s  {request}\n{'':25}-> {answer!r}", flush=True)
    if out:
        out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="llamacpp:default")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--no-examples", action="store_true", help="run without the built-in example banks")
    parser.add_argument("--out", type=Path, default=None, help="write one JSON line per request")
    parser.add_argument("--arguments", choices=["caller", "planner"], default="caller",
                        help="who fills the literal arguments (ExecutionPolicy.arguments)")
    args = parser.parse_args()
    started = time.perf_counter()
    counts = asyncio.run(run_all(args.model, args.limit, not args.no_examples, args.out, args.arguments))
    n = sum(counts.values())
    print(f"\n{n} requests in {time.perf_counter() - started:.0f} s: "
          + ", ".join(f"{k} {v} ({100 * v / n:.0f}%)" for k, v in counts.items()))  # fmt: skip


if __name__ == "__main__":
    main()
