"""Where agentkit keeps files between runs: one small module, so that nothing has to load a
model backend (llama.cpp) just to learn a folder name.

* :func:`cache_dir` - ``$AGENTKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/agentkit``, else ``~/.cache/agentkit``.
* :func:`models_dir` - assembled GGUF files (the default model, MiniLM as a GGUF).
* :func:`indexes_dir` - persisted retrieval indexes, keyed by the tools' documents.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "AGENTKIT_CACHE_DIR"


def cache_dir() -> Path:
    """Where agentkit keeps assembled models and indexes: $AGENTKIT_CACHE_DIR or ~/.cache/agentkit."""
    base = os.environ.get(CACHE_ENV) or os.path.join(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "agentkit")
    return Path(base)


def models_dir() -> Path:
    """Assembled model files (GGUF)."""
    return cache_dir() / "models"


def indexes_dir() -> Path:
    """Saved retrieval indexes."""
    return cache_dir() / "indexes"


__all__ = ["CACHE_ENV", "cache_dir", "indexes_dir", "models_dir"]
