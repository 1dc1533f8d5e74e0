"""``python -m agentkit.models.llama_server ARGS``: llama-cpp-python's OpenAI-compatible server, safe on every CPU.

The same arguments as ``python -m llama_cpp.server``. Why a wrapper: the server builds its
model params from llama.cpp's defaults, which repack weights into the extra buffer types,
and on CPUs with AMX that path crashes at the first request. Here the process runs with
the decision of :mod:`agentkit.models.cpu` (``AGENTKIT_LLAMA_REPACK`` forces it) applied
to every model the server loads.
"""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    from .cpu import repack_decision
    from .llamacpp import _extra_bufts

    decision = repack_decision()
    print(f"agentkit: llama.cpp weight repacking {'on' if decision.enabled else 'off'}: {decision.reason}", file=sys.stderr)
    sys.argv[0] = "llama_cpp.server"
    with _extra_bufts(decision.enabled):  # for the whole life of the server process
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
