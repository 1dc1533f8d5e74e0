"""One string pattern, two readers: JSON Schema validators and llama.cpp's grammar converter.

A JSON Schema ``pattern`` applies to the *decoded* string. llama.cpp's converter copies a
pattern's character classes into the grammar as they are, so there they apply to the
*raw* JSON text between the quotes: ``[^<]`` would let a bare ``"`` end the string early,
and excluding ``"`` would forbid the escaped ``\\"`` too. A schema that needs both carries
the raw form under :data:`RAW_PATTERN`; :func:`for_llama_grammar` swaps it in for the
converter (in-process llama.cpp and llama.cpp servers), every other reader ignores it.
"""

from __future__ import annotations

from typing import Any

RAW_PATTERN = "x-agentkit-raw-pattern"


def for_llama_grammar(schema: Any) -> Any:
    """``schema`` with every raw-form pattern in place of its decoded ``pattern``."""
    if isinstance(schema, list):
        return [for_llama_grammar(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: for_llama_grammar(v) for k, v in schema.items() if k != RAW_PATTERN}
    if RAW_PATTERN in schema:
        out["pattern"] = schema[RAW_PATTERN]
    return out


__all__ = ["RAW_PATTERN", "for_llama_grammar"]
