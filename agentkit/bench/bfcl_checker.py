"""Scoring with BFCL's own AST checker, imported without the provider SDKs it never needs.

``bfcl_eval.eval_checker.ast_eval.ast_checker`` imports ``bfcl_eval.constants.model_config``,
which imports every provider SDK (openai, anthropic, google, ...). The checker uses it for one
thing: ``MODEL_CONFIG_MAPPING[model].underscore_to_dot``, whether a model had its dots in
function names turned into underscores. Our caller returns names verbatim, so that is False.
For the import only, a stand-in module with just that mapping sits in ``sys.modules``; afterwards
both the stand-in and the checker module are taken out again, so a later ``import`` elsewhere
gets the real modules. We keep our own reference to the checker functions.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from agentkit.bench.bfcl_data import PACKAGE, Category
from agentkit.errors import ConfigError

CONFIG_MODULE = "bfcl_eval.constants.model_config"
CHECKER_MODULE = "bfcl_eval.eval_checker.ast_eval.ast_checker"
MODEL_NAME = "agentkit"  # what we tell the checker; only used for the underscore_to_dot lookup


class _ModelConfigs(dict):  # type: ignore[type-arg]
    """Every model name maps to a config that keeps dots in function names."""

    def __missing__(self, key: str) -> Any:
        return types.SimpleNamespace(underscore_to_dot=False)


class Verdict(BaseModel):
    valid: bool
    error: str | None = None
    error_type: str | None = None


@functools.cache
def load_checker() -> tuple[Callable[..., dict[str, Any]], Any]:
    """BFCL's ``ast_checker`` and its ``Language`` enum (ConfigError when bfcl-eval is missing)."""
    saved = {name: sys.modules.get(name) for name in (CONFIG_MODULE, CHECKER_MODULE)}
    if saved[CONFIG_MODULE] is None:
        stand_in = types.ModuleType(CONFIG_MODULE, "agentkit stand-in: only MODEL_CONFIG_MAPPING[...].underscore_to_dot")
        stand_in.MODEL_CONFIG_MAPPING = _ModelConfigs()  # type: ignore[attr-defined]
        sys.modules[CONFIG_MODULE] = stand_in
    try:
        module = importlib.import_module(CHECKER_MODULE)
        language = importlib.import_module("bfcl_eval.constants.enums").Language
    except ImportError as exc:
        raise ConfigError(f"cannot import BFCL's AST checker ({exc}): pip install --no-deps {PACKAGE}") from None
    finally:
        if saved[CONFIG_MODULE] is None:
            for name, before in saved.items():
                if before is None:
                    sys.modules.pop(name, None)
            parent = sys.modules.get(CHECKER_MODULE.rpartition(".")[0])
            if saved[CHECKER_MODULE] is None and parent is not None and hasattr(parent, "ast_checker"):
                delattr(parent, "ast_checker")
    return module.ast_checker, language


def _error_text(error: Any, limit: int = 1000) -> str:
    text = "; ".join(map(str, error)) if isinstance(error, list) else str(error)
    return text if len(text) <= limit else text[:limit] + "..."


def score(category: Category, functions: list[dict[str, Any]], calls: list[dict[str, Any]] | None, ground_truth: list[dict[str, Any]] | None) -> Verdict:
    """Whether ``calls`` (BFCL's decoded format; None: no usable answer) is right for the sample.

    (Ir)relevance follows BFCL's rule: an answer that cannot be decoded is no call.
    """
    made_call = bool(calls)
    if category.kind == "irrelevance":
        if made_call:
            return Verdict(valid=False, error="called a function although none fits the request", error_type="irrelevance_error:called")
        return Verdict(valid=True)
    if category.kind == "relevance":
        if made_call:
            return Verdict(valid=True)
        return Verdict(valid=False, error="no function call although one fits the request", error_type="relevance_error:no_call")
    if calls is None:
        return Verdict(valid=False, error="no usable answer", error_type="ast_decoder:decoder_failed")
    ast_checker, language = load_checker()
    try:
        result = ast_checker(functions, calls, ground_truth, language(category.language), category.name, MODEL_NAME)
    except Exception as exc:  # noqa: BLE001 - the checker trips over some data (unknown types); that sample fails
        return Verdict(valid=False, error=f"BFCL's checker raised {type(exc).__name__}: {exc}", error_type="checker_exception")
    if result.get("valid"):
        return Verdict(valid=True)
    return Verdict(valid=False, error=_error_text(result.get("error", "")), error_type=result.get("error_type"))


__all__ = ["Verdict", "load_checker", "score"]
