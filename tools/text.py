"""Text tools: counts, an extractive summary, regex search, case conversion, keywords.

Everything is deterministic (no model): the same text always gives the same answer.
``regex_find`` uses the ``regex`` module's per-call timeout, so a catastrophic
pattern such as ``(a+)+$`` fails after :data:`REGEX_TIMEOUT` seconds instead of hanging.
That timeout covers matching, not compiling, so a pattern's counted repeats are
weighed first (:mod:`._regexcost`) and compiled patterns are not kept in the module's cache.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Literal

import regex

from agentkit.registry import ToolRegistry
from agentkit.tool import tool

from ._common import registry
from ._regexcost import check_pattern

MAX_TEXT_CHARS = 1_000_000
MAX_PATTERN_CHARS = 500
REGEX_TIMEOUT = 1.0

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only
    or other our ours out over own same she should so some such than that the their theirs them then there these
    they this those through to too under until up very was we were what when where which while who whom why will
    with would you your yours""".split()
)


def _bounded(text: str) -> str:
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"text is {len(text)} characters, over the limit of {MAX_TEXT_CHARS}")
    return text


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences at . ! ? followed by whitespace (good enough for prose)."""
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


@tool(input_types=["text"], output_types=["json"], cost=0.01, quality=0.99, timeout=5)
def text_stats(text: str) -> dict[str, int]:
    """Count the words, characters, sentences and lines of a text.

    Args:
        text: the text to count
    """
    _bounded(text)
    return {
        "words": len(_WORD.findall(text)),
        "characters": len(text),
        "characters_no_spaces": sum(1 for c in text if not c.isspace()),
        "sentences": len(sentences(text)),
        "lines": len(text.splitlines()),
    }


@tool(input_types=["text"], output_types=["text"], cost=0.01, quality=0.6, timeout=5)
def summarize_text(text: str, max_sentences: int = 3) -> str:
    """Summarise a text by its first sentences (extractive: the words are the text's own).

    Cheap and faithful, but only as good as the text's opening; use a model for more.

    Args:
        text: the text to summarise
        max_sentences: how many sentences to keep
    """
    if max_sentences < 1:
        raise ValueError("max_sentences must be at least 1")
    return " ".join(sentences(_bounded(text))[:max_sentences])


@tool(input_types=["text"], output_types=["json"], cost=0.02, quality=0.95, timeout=5)
def regex_find(pattern: str, text: str, ignore_case: bool = False, max_matches: int = 100) -> list[dict[str, Any]]:
    """Find the matches of a regular expression in a text: match, start, end and groups of each.

    Args:
        pattern: the regular expression (Python syntax)
        text: the text to search
        ignore_case: match regardless of case
        max_matches: stop after this many matches (at most 1000)
    """
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"pattern is over {MAX_PATTERN_CHARS} characters")
    _bounded(text)
    check_pattern(pattern)
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE if ignore_case else 0, cache_pattern=False)
    except (regex.error, RecursionError, OverflowError) as exc:
        raise ValueError(f"invalid pattern: {exc}") from None
    found: list[dict[str, Any]] = []
    try:
        for m in compiled.finditer(text, timeout=REGEX_TIMEOUT):
            found.append({"match": m.group(0), "start": m.start(), "end": m.end(), "groups": list(m.groups())})
            if len(found) >= min(max_matches, 1000):
                break
    except TimeoutError:
        raise TimeoutError(f"the pattern took over {REGEX_TIMEOUT:g}s on this text (catastrophic backtracking?)") from None
    return found


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


@tool(input_types=["text"], output_types=["text"], cost=0.01, quality=0.99, timeout=5)
def change_case(text: str, case: Literal["upper", "lower", "title", "sentence", "snake", "kebab", "camel", "pascal"]) -> str:
    """Convert a text's case: UPPER, lower, Title, Sentence, snake_case, kebab-case, camelCase or PascalCase.

    Args:
        text: the text to convert
        case: the target case
    """
    _bounded(text)
    if case == "upper":
        return text.upper()
    if case == "lower":
        return text.lower()
    if case == "title":
        return " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))
    if case == "sentence":
        return " ".join(s[:1].upper() + s[1:].lower() for s in sentences(text))
    words = [w for w in re.split(r"[^0-9A-Za-z]+|(?<=[a-z0-9])(?=[A-Z])", text) if w]
    if case == "snake":
        return "_".join(w.lower() for w in words)
    if case == "kebab":
        return "-".join(w.lower() for w in words)
    pascal = "".join(w[:1].upper() + w[1:].lower() for w in words)
    return pascal if case == "pascal" else pascal[:1].lower() + pascal[1:]


@tool(input_types=["text"], output_types=["text"], cost=0.01, quality=0.6, timeout=5)
def extract_keywords(text: str, top_k: int = 10) -> list[str]:
    """The most frequent content words of a text (stopwords and short words dropped), most frequent first.

    Ties keep the order of first appearance, so the result is deterministic.

    Args:
        text: the text to analyse
        top_k: how many keywords to return
    """
    words = [w for w in _words(_bounded(text)) if len(w) > 2 and w not in _STOPWORDS and not w.isdigit()]
    counts = Counter(words)
    first = {w: i for i, w in reversed(list(enumerate(words)))}
    return sorted(counts, key=lambda w: (-counts[w], first[w]))[: max(top_k, 0)]


def pack() -> ToolRegistry:
    """The text tools (no options)."""
    return registry("text", [text_stats, summarize_text, regex_find, change_case, extract_keywords])


__all__ = ["change_case", "extract_keywords", "pack", "regex_find", "sentences", "summarize_text", "text_stats"]
