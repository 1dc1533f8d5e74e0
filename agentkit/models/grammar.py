"""JSON-Schema grammars for llama.cpp, converted loudly and applied cheaply.

Two traps in llama-cpp-python are avoided here:

* ``response_format`` silently falls back to generic JSON when a schema cannot be
  converted, so we convert the schema ourselves and raise if that fails;
* its grammar sampler checks the grammar against the *whole* vocabulary (262,144
  tokens for Gemma 3) at every step, which makes constrained decoding ~5x slower
  than free decoding. :class:`TopKGrammarProcessor` checks only the model's top-k
  candidates and falls back to the whole vocabulary only when none of them fits
  (the same idea as llama.cpp's ``common_sampler`` "grammar-first" shortcut). With
  greedy decoding the chosen token is identical to full-vocabulary masking whenever
  one of the top-k is valid, since masking never changes the order of valid tokens.
"""

from __future__ import annotations

import ctypes
import json
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp.llama_grammar import json_schema_to_gbnf

from ..errors import GrammarConversionError
from .patterns import for_llama_grammar


def schema_to_gbnf(schema: dict[str, Any]) -> str:
    """GBNF text for ``schema``, or a GrammarConversionError saying why not."""
    try:
        return json_schema_to_gbnf(json.dumps(for_llama_grammar(schema)))
    except Exception as exc:  # noqa: BLE001 - the converter raises bare Exceptions/ValueErrors
        raise GrammarConversionError(f"cannot convert JSON Schema to a llama.cpp grammar: {exc}") from None


class TopKGrammarProcessor:
    """A llama-cpp-python logits processor that enforces a GBNF grammar on the top-k tokens.

    Tokens chosen by the sampler reach us through ``input_ids`` on the next call, and
    are fed to the grammar then. Use a fresh instance per generation.
    """

    def __init__(self, llm: llama_cpp.Llama, gbnf: str, *, top_k: int = 16, root: str = "root"):
        self._vocab = llm._model.vocab
        self._sampler = llama_cpp.llama_sampler_init_grammar(self._vocab, gbnf.encode(), root.encode())
        if not self._sampler:
            raise GrammarConversionError("llama.cpp rejected the grammar")
        self._top_k = top_k
        self._seen: int | None = None
        self.full_vocab_fallbacks = 0
        self.steps = 0

    def close(self) -> None:
        """Free the native grammar sampler now (not in ``__del__``, which may run at interpreter exit)."""
        if self._sampler:
            llama_cpp.llama_sampler_free(self._sampler)
            self._sampler = None

    def _accept_new(self, input_ids: np.ndarray) -> None:
        n = len(input_ids)
        if self._seen is not None:
            for token in input_ids[self._seen : n]:
                llama_cpp.llama_sampler_accept(self._sampler, int(token))
        self._seen = n

    def _apply(self, ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """Run the grammar over (ids, logits); return the logits with rejected ones at -inf."""
        data = (llama_cpp.llama_token_data * len(ids))()
        buf = np.ctypeslib.as_array(ctypes.cast(data, ctypes.POINTER(ctypes.c_byte)), shape=(ctypes.sizeof(data),))
        view = buf.view(np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True))
        view["id"] = ids
        view["logit"] = logits
        view["p"] = 0.0
        arr = llama_cpp.llama_token_data_array(data=data, size=len(ids), selected=-1, sorted=False)
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(arr))
        return view["logit"].copy()

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        self._accept_new(input_ids)
        self.steps += 1
        k = min(self._top_k, len(scores))
        top = np.argpartition(scores, -k)[-k:]
        checked = self._apply(top.astype(np.intc), scores[top])
        out = np.full_like(scores, -np.inf)
        if np.isfinite(checked).any():
            out[top] = checked
            return out
        self.full_vocab_fallbacks += 1
        return self._apply(np.arange(len(scores), dtype=np.intc), scores)


__all__ = ["GrammarConversionError", "TopKGrammarProcessor", "schema_to_gbnf"]
