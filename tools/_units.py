"""A compact unit table (no dependency): each unit is a dimension and a factor to the SI unit.

Temperature is affine, so it converts through kelvin with an offset; nothing converts
to or from a temperature below absolute zero. Symbols are case-sensitive, because case
carries meaning: ``Mb`` is not ``MB`` (a megabit is an eighth of a megabyte), ``Mm`` is
not ``mm`` and ``Ms`` is not ``ms``. Only spelled-out names (``Kilometre``, ``MILES``)
are matched regardless of case, and a plural "s" is dropped from names longer than
three letters. An unknown symbol is an error that suggests the case-folded match.
"""

from __future__ import annotations

import math

from ._common import shown

_US_GALLON = 3.785411784e-3  # m3
_TABLE: dict[str, dict[tuple[str, ...], float]] = {
    "length": {  # metre
        ("m", "meter", "metre"): 1.0, ("km", "kilometer", "kilometre"): 1e3, ("cm", "centimeter", "centimetre"): 1e-2,
        ("mm", "millimeter", "millimetre"): 1e-3, ("um", "µm", "micrometer", "micron"): 1e-6, ("nm", "nanometer"): 1e-9,
        ("mi", "mile"): 1609.344, ("yd", "yard"): 0.9144, ("ft", "foot", "feet"): 0.3048,
        ("in", "inch", "inches"): 0.0254, ("nmi", "nautical mile"): 1852.0, ("au", "astronomical unit"): 1.495978707e11,
        ("ly", "light year", "lightyear"): 9.4607304725808e15,
    },
    "mass": {  # kilogram
        ("kg", "kilogram"): 1.0, ("g", "gram"): 1e-3, ("mg", "milligram"): 1e-6, ("ug", "µg", "microgram"): 1e-9,
        ("t", "tonne", "metric ton"): 1e3, ("lb", "lbs", "pound"): 0.45359237, ("oz", "ounce"): 0.028349523125,
        ("st", "stone"): 6.35029318, ("short ton", "us ton"): 907.18474,
    },
    "time": {  # second
        ("s", "sec", "second"): 1.0, ("ms", "millisecond"): 1e-3, ("us", "µs", "microsecond"): 1e-6,
        ("ns", "nanosecond"): 1e-9, ("min", "minute"): 60.0, ("h", "hr", "hrs", "hour"): 3600.0, ("d", "day"): 86400.0,
        ("wk", "week"): 604800.0, ("yr", "yrs", "year"): 31557600.0,  # Julian year, 365.25 days
    },
    "volume": {  # cubic metre
        ("m3", "cubic meter", "cubic metre"): 1.0, ("l", "liter", "litre"): 1e-3, ("ml", "milliliter", "millilitre"): 1e-6,
        ("cl", "centiliter", "centilitre"): 1e-5, ("dl", "deciliter", "decilitre"): 1e-4, ("cm3", "cc"): 1e-6,
        ("gal", "gallon", "us gallon"): _US_GALLON, ("imp gal", "imperial gallon"): 4.54609e-3,
        ("qt", "quart"): _US_GALLON / 4, ("pt", "pint"): _US_GALLON / 8, ("cup",): _US_GALLON / 16,
        ("fl oz", "floz", "fluid ounce"): _US_GALLON / 128, ("tbsp", "tablespoon"): _US_GALLON / 256,
        ("tsp", "teaspoon"): _US_GALLON / 768, ("ft3", "cubic foot", "cubic feet"): 0.028316846592,
    },
    "speed": {  # metre per second
        ("m/s", "mps"): 1.0, ("km/h", "kmh", "kph"): 1 / 3.6, ("mph", "mi/h"): 0.44704,
        ("kn", "kt", "knot"): 1852 / 3600, ("ft/s", "fps"): 0.3048,
    },
    "data": {  # byte
        ("B", "byte"): 1.0, ("bit",): 0.125, ("kB", "KB", "kilobyte"): 1e3, ("MB", "megabyte"): 1e6,
        ("GB", "gigabyte"): 1e9, ("TB", "terabyte"): 1e12, ("PB", "petabyte"): 1e15, ("KiB", "kibibyte"): 1024.0,
        ("MiB", "mebibyte"): 1024.0**2, ("GiB", "gibibyte"): 1024.0**3, ("TiB", "tebibyte"): 1024.0**4,
        ("kbit", "kb", "kilobit"): 125.0, ("Mbit", "Mb", "megabit"): 125e3, ("Gbit", "Gb", "gigabit"): 125e6,
        ("Tbit", "Tb", "terabit"): 125e9,
    },
}  # fmt: skip

# temperature: (scale, offset) with kelvin = (x + offset) * scale
_TEMPERATURE: dict[tuple[str, ...], tuple[float, float]] = {
    ("K", "kelvin"): (1.0, 0.0),
    ("C", "°C", "degC", "celsius", "centigrade"): (1.0, 273.15),
    ("F", "°F", "degF", "fahrenheit"): (5 / 9, 459.67),
    ("R", "°R", "rankine"): (5 / 9, 0.0),
}

_UNITS: dict[str, tuple[str, float, float]] = {}  # name -> (dimension, scale, offset)
for _dimension, _units in _TABLE.items():
    for _names, _factor in _units.items():
        _UNITS.update({n: (_dimension, _factor, 0.0) for n in _names})
for _names, (_scale, _offset) in _TEMPERATURE.items():
    _UNITS.update({n: ("temperature", _scale, _offset) for n in _names})
#: Names matched regardless of case: spelled-out words (all lower case, over three letters, with no
#: digit), never symbols such as ``mm``/``Mm``, ``kB``/``KB`` or ``mbit``.
_WORDS: dict[str, str] = {n: n for n in _UNITS if n.islower() and len(n) > 3 and not any(c.isdigit() for c in n)}
_WORDS.update({n.lower(): n for n in ("celsius", "fahrenheit", "kelvin", "rankine", "centigrade")})
_FOLDED: dict[str, list[str]] = {}
for _name in _UNITS:
    _FOLDED.setdefault(_name.casefold(), []).append(_name)


def lookup(unit: str) -> tuple[str, float, float]:
    """(dimension, scale, offset) of ``unit``; ValueError names the unit (and a case-folded match) when unknown."""
    text = " ".join(unit.strip().split())
    text = text.removeprefix("degrees ").removeprefix("degree ")
    if text in _UNITS:
        return _UNITS[text]
    folded = text.lower()
    for candidate in (folded, folded[:-1] if len(folded) > 4 and folded.endswith("s") else ""):
        if candidate in _WORDS:
            return _UNITS[_WORDS[candidate]]
    if len(text) > 3 and text.endswith("s") and text[:-1] in _UNITS and len(text[:-1]) > 2:
        return _UNITS[text[:-1]]  # "Mbits", "KiBs"
    near = _FOLDED.get(text.casefold(), [])
    hint = f" (units are case-sensitive: did you mean {' or '.join(map(repr, near))}?)" if near else ""
    raise ValueError(f"unknown unit {shown(unit)}{hint}")


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (12 significant digits).

    ValueError for non-finite values and results, and for temperatures below absolute zero.
    """
    if not math.isfinite(value):
        raise ValueError(f"the value is not a finite number ({value})")
    src, dst = lookup(from_unit), lookup(to_unit)
    if src[0] != dst[0]:
        raise ValueError(f"cannot convert {src[0]} ({from_unit}) to {dst[0]} ({to_unit})")
    kelvin = (value + src[2]) * src[1]
    if src[0] == "temperature" and kelvin < -1e-9:
        raise ValueError(f"{value:g} {from_unit} is below absolute zero ({-src[2]:g} {from_unit})")
    result = kelvin / dst[1] - dst[2]
    if src[0] == "temperature":  # offsets leave float dust: 32 F -> 5.7e-14 C
        result = round(result, 9)
    if not math.isfinite(result):
        raise ValueError(f"{value:g} {from_unit} is too large to express in {to_unit}")
    return float(f"{result:.12g}")


UNITS_BY_DIMENSION = {d: sorted(n for n, u in _UNITS.items() if u[0] == d) for d in {*_TABLE, "temperature"}}

__all__ = ["UNITS_BY_DIMENSION", "convert", "lookup"]
