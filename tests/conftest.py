"""Shared fixtures: real local models are session-scoped so each loads once."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def gemma():
    """The embedded default model, loaded once for the whole session."""
    from agentkit.models import load_model

    return load_model("llamacpp:default")


@pytest.fixture(scope="session")
def llama_server_url():
    """A real OpenAI-compatible server (llama_cpp.server) on 127.0.0.1 serving the default GGUF."""
    from agentkit.testing import serve_llamacpp

    with serve_llamacpp() as url:
        yield url


@pytest.fixture(scope="session")
def grammars():
    """llama.cpp grammars checked for real against the default GGUF's vocabulary (no weights loaded)."""
    from agentkit.models.llamacpp import default_gguf_path
    from helpers import GrammarChecker

    checker = GrammarChecker(default_gguf_path())
    yield checker
    checker.close()
