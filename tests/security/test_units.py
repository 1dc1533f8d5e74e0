"""convert_units: case carries meaning, and impossible quantities are errors rather than numbers."""

from __future__ import annotations

import pytest
from agentkit.tools import math as mathp


def convert(value, a, b):
    return mathp.convert_units(value=value, from_unit=a, to_unit=b)


def test_a_megabit_is_not_a_megabyte():
    assert convert(1, "Mb", "kB") == 125.0  # was 1000: Mb folded to MB
    assert convert(1, "MB", "kB") == 1000.0
    assert convert(8, "Gb", "GB") == 1.0


def test_mega_symbols_are_not_read_as_milli():
    with pytest.raises(ValueError, match=r"unknown unit 'Mm' \(units are case-sensitive: did you mean 'mm'\?\)"):
        convert(1, "Mm", "m")
    with pytest.raises(ValueError, match="unknown unit 'Ms'"):
        convert(1, "Ms", "s")
    assert convert(1, "mm", "m") == 0.001 and convert(1, "ms", "s") == 0.001


def test_symbols_are_case_sensitive_but_names_are_not():
    with pytest.raises(ValueError, match="did you mean 'kg'"):
        convert(1, "KG", "g")
    assert convert(2, "Kilometres", "m") == 2000.0
    assert convert(1, "MILES", "km") == 1.609344
    assert convert(3, "Hours", "min") == 180.0


def test_plural_symbols_keep_their_case():
    assert convert(1, "Mbits", "kbit") == 1000.0
    assert convert(90, "mins", "h") == 1.5


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_values_are_errors(value):
    with pytest.raises(ValueError, match="not a finite number"):
        convert(value, "m", "km")


def test_an_overflowing_result_is_an_error():
    with pytest.raises(ValueError, match="too large to express"):
        convert(1e308, "ly", "nm")


@pytest.mark.parametrize(("value", "unit"), [(-500, "C"), (-1, "K"), (-460, "F"), (-0.5, "R")])
def test_temperatures_below_absolute_zero_are_errors(value, unit):
    with pytest.raises(ValueError, match="below absolute zero"):
        convert(value, unit, "K")


def test_absolute_zero_itself_converts():
    assert convert(-273.15, "C", "K") == 0.0
    assert convert(0, "K", "F") == -459.67


def test_an_unknown_huge_unit_gives_a_short_error():
    with pytest.raises(ValueError) as info:
        convert(1, "x" * 1_000_000, "m")
    assert len(str(info.value)) < 200
