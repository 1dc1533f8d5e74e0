"""regex_find: catastrophic backtracking stops at the timeout, and patterns too costly to compile are refused unseen."""

from __future__ import annotations

import sys

import pytest
import regex
from agentkit.tools import text
from agentkit.tools._regexcost import MAX_GROUP_DEPTH, pattern_cost


@pytest.fixture(autouse=True)
def short_timeout(monkeypatch):
    monkeypatch.setattr(text, "REGEX_TIMEOUT", 0.1)


@pytest.mark.parametrize(("pattern", "subject"), [(r"(a|aa)+$", "a" * 60 + "b"), (r"(a|a)+$", "a" * 40 + "b")])
def test_catastrophic_backtracking_stops_at_the_timeout(pattern, subject):
    with pytest.raises(TimeoutError, match="catastrophic"):
        text.regex_find(pattern=pattern, text=subject)


@pytest.mark.parametrize("pattern", [
    "(?:(?:a{1000}){100}){100}",  # 5 s and 2.8 GB to compile before the check
    "(?:a{1000}){1000}",
    "[a-z]{1000000}",
    "(?x)(?:a{1000}) # a comment cannot carry the repeat away\n{100}",
    "(?x)(?:a{1000})    {100}",
    "(?:a{1000}){100,}",
])  # fmt: skip
def test_patterns_that_unroll_too_far_are_refused_before_compiling(pattern):
    with pytest.raises(ValueError, match="pattern is too complex"):
        text.regex_find(pattern=pattern, text="a")


def test_deeply_nested_groups_are_refused():
    with pytest.raises(ValueError, match=f"nests groups over {MAX_GROUP_DEPTH} deep"):
        text.regex_find(pattern="(" * 60 + "a" + ")" * 60, text="a")


def test_braced_escapes_and_classes_are_not_counted_as_repeats():
    assert pattern_cost(r"\p{L}{3}") == 3
    assert pattern_cost(r"[{}]{2}\x{41}") == 3
    assert pattern_cost(r"\d{3}-\d{4}") == 8


def test_ordinary_counted_patterns_still_match():
    found = text.regex_find(pattern=r"\b\d{3}-\d{4}\b", text="call 555-1234 or 555-9876")
    assert [m["match"] for m in found] == ["555-1234", "555-9876"]


def test_invalid_patterns_are_value_errors():
    with pytest.raises(ValueError, match="invalid pattern"):
        text.regex_find(pattern="(unclosed", text="x")


def test_compiled_patterns_are_not_cached():
    cache = sys.modules[regex.compile.__module__]._cache
    before = len(cache)
    text.regex_find(pattern=r"[a-z]{40000}unique-to-this-test", text="x")
    assert len(cache) == before
