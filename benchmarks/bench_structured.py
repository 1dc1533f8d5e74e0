"""Structured-output decoding speed on the default model, side by side in one process.

Compares tokens/s of free decoding, llama-cpp-python's own JSON-Schema grammar
(checked against the whole 262k-token vocabulary every step) and agentkit's top-k
grammar processor. The prompt is evaluated once up front and stays in the KV cache,
so the timings are generation only. Run: python benchmarks/bench_structured.py
"""

from __future__ import annotations

import argparse
import statistics
import time

from agentkit.models.grammar import TopKGrammarProcessor, schema_to_gbnf
from agentkit.models.llamacpp import LlamaCppModel
from llama_cpp import LlamaGrammar, LogitsProcessorList

PROMPT = (
    "<start_of_turn>user\nPlan the request as JSON with task_steps and task_nodes. "
    "Tools: image_classification, text_to_speech, translation, summarization.\n"
    "Request: describe example.jpg, translate the description to French and read it aloud.<end_of_turn>\n"
    "<start_of_turn>model\n"
)
TOOLS = ["image_classification", "text_to_speech", "translation", "summarization"]
SCHEMA = {
    "type": "object",
    "properties": {
        "task_steps": {"type": "array", "items": {"type": "string", "maxLength": 80}, "minItems": 1, "maxItems": 4},
        "task_nodes": {
            "type": "array",
            "minItems": 1,
            "maxItems": 4,
            "items": {
                "type": "object",
                "properties": {
                    "task": {"enum": TOOLS},
                    "arguments": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 2},
                },
                "required": ["task", "arguments"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["task_steps", "task_nodes"],
    "additionalProperties": False,
}


def run(llm, max_tokens: int, **kwargs) -> tuple[float, int, str]:
    start = time.perf_counter()
    out = llm.create_completion(PROMPT, max_tokens=max_tokens, temperature=0.0, **kwargs)
    elapsed = time.perf_counter() - start
    return elapsed, out["usage"]["completion_tokens"], out["choices"][0]["text"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--top-k", type=int, default=16)
    args = parser.parse_args()

    llm = LlamaCppModel().llm
    gbnf = schema_to_gbnf(SCHEMA)
    run(llm, 1)  # put the prompt into the KV cache

    configs = {
        "free (no grammar)": lambda: {},
        "llama-cpp-python grammar": lambda: {"grammar": LlamaGrammar.from_string(gbnf, verbose=False)},
        f"agentkit top-{args.top_k} grammar": lambda: {
            "logits_processor": LogitsProcessorList([TopKGrammarProcessor(llm, gbnf, top_k=args.top_k)])
        },
    }
    rates: dict[str, list[float]] = {name: [] for name in configs}
    texts: dict[str, str] = {}
    for _ in range(args.repeats):  # interleaved, so machine noise hits every config alike
        for name, make in configs.items():
            elapsed, tokens, text = run(llm, args.max_tokens, **make())
            rates[name].append(tokens / elapsed)
            texts[name] = text
    free = statistics.median(rates["free (no grammar)"])
    print(f"{'decoding':32} {'tok/s (median)':>15} {'x free':>8}")
    for name, values in rates.items():
        median = statistics.median(values)
        print(f"{name:32} {median:15.1f} {median / free:8.2f}")
    same = texts["llama-cpp-python grammar"] == texts[f"agentkit top-{args.top_k} grammar"]
    print(f"\nidentical greedy output, llama-cpp-python grammar vs top-k grammar: {same}")
    print(f"constrained output: {texts[f'agentkit top-{args.top_k} grammar'][:200]}")


if __name__ == "__main__":
    main()
