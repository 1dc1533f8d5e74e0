"""A compact unit table (no dependency): each unit is a dimension and a factor to the SI unit.

Temperature is affine, so it converts through kelvin with an offset. Lookup is exact
first (``B`` byte vs ``bit``), then case-insensitive, then without a plural "s".
"""

from __future__ import annotations

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
        ("ns", "nanosecond"): 1e-9, ("min", "minute"): 60.0, ("h", "hr", "hour"): 3600.0, ("d", "day"): 86400.0,
        ("wk", "week"): 604800.0, ("yr", "year"): 31557600.0,  # Julian year, 365.25 days
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
        ("kbit", "kilobit"): 125.0, ("Mbit", "megabit"): 125e3, ("Gbit", "gigabit"): 125e6,
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
_FOLDED: dict[str, str] = {}
for _name in _UNITS:
    _FOLDED.setdefault(_name.lower(), _name)


def lookup(unit: str) -> tuple[str, float, float]:
    """(dimension, scale, offset) of ``unit``; ValueError names the unit when unknown."""
    text = " ".join(unit.strip().split())
    text = text.removeprefix("degrees ").removeprefix("degree ")
    for candidate in (text, text.lower(), text.lower()[:-1] if len(text) > 3 and text.lower().endswith("s") else ""):
        name = candidate if candidate in _UNITS else _FOLDED.get(candidate)
        if name:
            return _UNITS[name]
    raise ValueError(f"unknown unit {unit!r}")


def convert(value: float, from_unit: str, to_unit: str) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (12 significant digits)."""
    src, dst = lookup(from_unit), lookup(to_unit)
    if src[0] != dst[0]:
        raise ValueError(f"cannot convert {src[0]} ({from_unit}) to {dst[0]} ({to_unit})")
    result = (value + src[2]) * src[1] / dst[1] - dst[2]
    if src[0] == "temperature":  # offsets leave float dust: 32 F -> 5.7e-14 C
        result = round(result, 9)
    return float(f"{result:.12g}")


UNITS_BY_DIMENSION = {d: sorted(n for n, u in _UNITS.items() if u[0] == d) for d in {*_TABLE, "temperature"}}

__all__ = ["UNITS_BY_DIMENSION", "convert", "lookup"]
