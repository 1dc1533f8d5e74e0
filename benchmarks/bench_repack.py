"""llama.cpp weight repacking on and off: prompt-eval and generation speed of the default model, side by side.

    .venv/bin/python benchmarks/bench_repack.py [--rounds 5] [--prompt-tokens 400] [--gen-tokens 64] [--threads 2]

Both settings load in one process (``load_llama(path, repack=...)``, the loader every
agentkit model goes through) and run in alternating rounds, so machine load hits both
alike; figures are medians over rounds of llama.cpp's own counters
(``llama_perf_context``). The buffer types llama.cpp reports at load time are printed
too (``CPU_REPACK`` when repacking is on): proof that the switch reached llama.cpp.

Do not force repacking on with this script on a CPU with AMX: that is the path that crashes.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import platform
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import llama_cpp  # noqa: E402

from agentkit.models.cpu import decide_repack, read_cpu  # noqa: E402
from agentkit.models.llamacpp import default_gguf_path, load_llama  # noqa: E402

PARAGRAPH = (
    "The tool retriever ranks a large pool of tools for a request, the planner writes a graph of steps, "
    "a search picks one concrete tool per step by cost and quality, and the executor runs the graph. "
)
_log_lines: list[str] = []


@llama_cpp.llama_log_callback
def _capture(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
    _log_lines.append(text.decode("utf-8", errors="replace"))


def buffers(lines: list[str]) -> str:
    """``CPU_REPACK 120.2 MiB, CPU_Mapped 253.0 MiB`` from llama.cpp's load log."""
    found = re.findall(r"load_tensors:\s+(\S+) model buffer size =\s+([\d.]+) MiB", "".join(lines))
    return ", ".join(f"{name} {size} MiB" for name, size in found) or "(not reported)"


def load(path: Path, repack: bool, threads: int) -> tuple[llama_cpp.Llama, float, str]:
    _log_lines.clear()
    started = time.perf_counter()
    llm = load_llama(path, repack=repack, n_ctx=2048, n_batch=512, n_threads=threads, n_threads_batch=threads, verbose=False)
    seconds = time.perf_counter() - started
    assert llm.model_params.use_extra_bufts is repack
    return llm, seconds, buffers(_log_lines)


def one_round(llm: llama_cpp.Llama, prompt: str, gen_tokens: int) -> tuple[float, float, int, int]:
    """(prompt tok/s, generation tok/s, prompt tokens, generated tokens) of one completion from an empty cache."""
    llm.reset()
    ctx = llm._ctx.ctx
    llama_cpp.llama_perf_context_reset(ctx)
    llm.create_completion(prompt, max_tokens=gen_tokens, temperature=0.0)
    perf = llama_cpp.llama_perf_context(ctx)
    return 1000 * perf.n_p_eval / perf.t_p_eval_ms, 1000 * perf.n_eval / perf.t_eval_ms, perf.n_p_eval, perf.n_eval


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--prompt-tokens", type=int, default=400, help="about this many prompt tokens")
    ap.add_argument("--gen-tokens", type=int, default=64)
    ap.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 8))
    args = ap.parse_args()

    cpu = read_cpu()
    if cpu.amx:
        sys.exit(f"this CPU reports AMX ({', '.join(cpu.amx)}): repacking on takes llama.cpp's crashing AMX path; not measured")
    path = default_gguf_path()
    llama_cpp.llama_log_set(_capture, ctypes.c_void_p(0))  # llama.cpp's log, kept for the buffer sizes
    models = {}
    for setting in (True, False):
        llm, seconds, bufs = load(path, setting, args.threads)
        models[setting] = llm
        print(f"repack {'on ' if setting else 'off'}: loaded in {seconds:.2f} s; buffers: {bufs}", flush=True)
    probe = models[True]
    words = PARAGRAPH
    while len(probe.tokenize(words.encode())) < args.prompt_tokens:
        words += PARAGRAPH
    prompt = words + "\nIn short, the steps are: 1."

    results: dict[bool, list[tuple[float, float, int, int]]] = {True: [], False: []}
    for setting in (True, False):  # warm-up, not counted
        one_round(models[setting], prompt, 8)
    for r in range(args.rounds):
        for setting in (True, False) if r % 2 == 0 else (False, True):
            results[setting].append(one_round(models[setting], prompt, args.gen_tokens))

    print(f"\n{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {cpu.model or cpu.arch} ({platform.machine()}), "
          f"{os.cpu_count()} CPUs, {args.threads} threads, load average {os.getloadavg()[0]:.2f} at the end")  # fmt: skip
    print(f"auto decision here: {'on' if decide_repack(cpu).enabled else 'off'}; llama.cpp {llama_cpp.__version__}; "
          f"{args.rounds} alternating rounds, medians\n")  # fmt: skip
    print("| repack | prompt eval tok/s (min-max) | generation tok/s (min-max) | prompt tokens | generated tokens |")
    print("|---|---|---|---|---|")
    med = {}
    for setting in (True, False):
        rows = results[setting]
        med[setting] = (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))
        pe, ge = [r[0] for r in rows], [r[1] for r in rows]
        print(f"| {'on' if setting else 'off'} | {med[setting][0]:.0f} ({min(pe):.0f}-{max(pe):.0f}) | "
              f"{med[setting][1]:.1f} ({min(ge):.1f}-{max(ge):.1f}) | {rows[0][2]} | {rows[0][3]} |")  # fmt: skip
    print(f"\nratio on/off: prompt eval {med[True][0] / med[False][0]:.2f}x, generation {med[True][1] / med[False][1]:.2f}x")
    for llm in models.values():
        llm.close()
    llama_cpp.llama_log_set(ctypes.cast(None, llama_cpp.llama_log_callback), ctypes.c_void_p(0))


if __name__ == "__main__":
    main()
