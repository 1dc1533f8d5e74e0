"""Prompts that fit the model's context window, cut visibly rather than failing the run.

A 70,000-character upstream output once overflowed the summarizer ("Requested tokens
(9014) exceed context window of 4096") and failed a run whose tools had all succeeded.
Roles bound what they put in a prompt; this is the last guard for backends that declare
their window (``n_ctx``): the longest messages are cut in the middle, with a marker that
says how much is missing, so the model knows the text is incomplete.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Message

# Characters per token, on the low side (Gemma's tokenizer gives about 4 for English
# prose, fewer for JSON and digits), so the estimate errs towards cutting.
CHARS_PER_TOKEN = 2.5
MARGIN_TOKENS = 64  # the chat template's own tokens


def marker(cut: int) -> str:
    return f"\n[... {cut} characters cut to fit the model's context ...]\n"


def fit_messages(messages: Sequence[Message], *, n_ctx: int, max_tokens: int) -> list[Message]:
    """``messages`` whose estimated length leaves ``max_tokens`` free in an ``n_ctx`` window."""
    budget = int(max(0, n_ctx - max_tokens - MARGIN_TOKENS) * CHARS_PER_TOKEN)
    sizes = [len(m.content) for m in messages]
    excess = sum(sizes) - budget
    if excess <= 0:
        return list(messages)
    out = list(messages)
    for i in sorted(range(len(out)), key=lambda j: -sizes[j]):
        if excess <= 0:
            break
        text = out[i].content
        keep = max(200, len(text) - excess - 80)  # 80: room for the marker itself
        if keep >= len(text):
            continue
        head, tail = text[: keep * 2 // 3], text[len(text) - keep // 3 :]
        cut = len(text) - len(head) - len(tail)
        out[i] = out[i].model_copy(update={"content": head + marker(cut) + tail})
        excess -= cut - len(marker(cut))
    return out


__all__ = ["fit_messages"]
