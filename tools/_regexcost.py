"""How much work compiling a regular expression can take, estimated before compiling it.

The ``regex`` module's timeout covers matching only. Compiling unrolls counted
repeats, so ``(?:(?:a{1000}){100}){100}`` (30 characters) takes seconds and gigabytes
before a match even starts. :func:`pattern_cost` walks the pattern once, counting each
atom once per repetition of every counted repeat around it (``{m}``, ``{m,n}``,
``{m,}``; ``*``, ``+`` and ``?`` are loops and cost nothing extra). The estimate may
be high for odd patterns, never low: whitespace and ``#`` comments (verbose mode) are
not atoms a repeat can attach to, so they cannot hide one.
"""

from __future__ import annotations

import re

#: Most estimated units a pattern may unroll to (``[a-z]{50000}``: under 0.1 s, 25 MB; ``(?:a{1000}){100}`` is refused).
MAX_PATTERN_COST = 50_000
#: Most nested groups.
MAX_GROUP_DEPTH = 50

_COUNTED = re.compile(r"\{(\d*)(?:,(\d*))?\}")
_VERBOSE = re.compile(r"\(\?[a-zA-Z^-]*x")
_BRACED_ESCAPES = "pPNxuUg"


def _skip_class(pattern: str, i: int) -> int:
    """The index just past the character class that starts at ``pattern[i] == '['`` (sets may nest)."""
    depth, start = 0, i
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[" and (i == start or pattern[i - 1] != "["):
            depth += 1
        elif c == "]" and i > start + 1 and not (i == start + 2 and pattern[start + 1] == "^"):
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def _skip_escape(pattern: str, i: int) -> int:
    """The index just past the escape at ``pattern[i] == '\\'`` (``\\p{L}``, ``\\x{41}`` included)."""
    if i + 2 < len(pattern) and pattern[i + 1] in _BRACED_ESCAPES and pattern[i + 2] in "{<":
        end = pattern.find("}" if pattern[i + 2] == "{" else ">", i + 2)
        return len(pattern) if end < 0 else end + 1
    return i + 2


def pattern_cost(pattern: str) -> int:
    """An upper estimate of the units compiling ``pattern`` unrolls to; ValueError for over-deep nesting."""
    verbose = bool(_VERBOSE.search(pattern))
    frames = [[0, 0]]  # per open group: [total cost, cost of the last atom]
    i = 0
    while i < len(pattern):
        c, atom = pattern[i], 1
        if c == "\\":
            i = _skip_escape(pattern, i)
        elif c == "[":
            i = _skip_class(pattern, i)
        elif c == "(":
            if pattern.startswith("(?#", i):
                end = pattern.find(")", i)
                i = len(pattern) if end < 0 else end + 1
                continue
            frames.append([0, 0])
            if len(frames) > MAX_GROUP_DEPTH:
                raise ValueError(f"pattern nests groups over {MAX_GROUP_DEPTH} deep")
            i += 1
            continue
        elif c == ")" and len(frames) > 1:
            atom = max(frames.pop()[0], 1)
            i += 1
        elif c == "{" and (m := _COUNTED.match(pattern, i)) and m.group(0) != "{}":
            low, high = int(m[1] or 0), m[2]
            times = max(low, int(high) if high else low, 1)
            frame = frames[-1]
            frame[0] += frame[1] * (times - 1)
            frame[1] *= times
            i = m.end()
            continue
        elif c.isspace() or (verbose and c == "#"):
            if verbose and c == "#":
                end = pattern.find("\n", i)
                i = len(pattern) if end < 0 else end + 1
            else:
                i += 1
            frames[-1][0] += 1  # a literal space (or nothing, in verbose mode), never a repeat's target
            continue
        else:
            i += 1
        frames[-1][0] += atom
        frames[-1][1] = atom
    while len(frames) > 1:  # unbalanced: let the compiler report it
        atom = max(frames.pop()[0], 1)
        frames[-1][0] += atom
    return frames[0][0]


def check_pattern(pattern: str) -> None:
    """ValueError when compiling ``pattern`` could take more than MAX_PATTERN_COST units of work."""
    cost = pattern_cost(pattern)
    if cost > MAX_PATTERN_COST:
        raise ValueError(f"pattern is too complex: its counted repeats unroll to about {cost:,} steps "
                         f"(limit {MAX_PATTERN_COST:,}); use * or + instead of large {{n}} counts")  # fmt: skip


__all__ = ["MAX_GROUP_DEPTH", "MAX_PATTERN_COST", "check_pattern", "pattern_cost"]
