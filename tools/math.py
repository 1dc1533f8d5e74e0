"""Arithmetic tools: a safe expression evaluator, unit conversion and percentages.

``calculate`` walks Python's ``ast`` over a whitelist (numbers, arithmetic operators,
a few ``math`` functions, ``pi``/``e``/``tau``) and never calls ``eval``: names,
attributes, subscripts, strings and keywords are refused, and integer powers whose
result would exceed :data:`MAX_INT_BITS` are refused *before* they are computed, so
``9**9**9`` fails at once instead of hanging.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

from agentkit.registry import ToolRegistry
from agentkit.tool import tool

from ._common import registry
from ._units import convert

MAX_EXPRESSION_CHARS = 500
MAX_NODES = 300
MAX_INT_BITS = 10_000  # about 3,000 decimal digits
MAX_FACTORIAL = 1_000
MAX_ROUND_DIGITS = 400  # round(1, -10**7) would build 10**(10**7) first: seconds of CPU, unstoppable

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _factorial(n: float) -> int:
    if not float(n).is_integer() or not 0 <= n <= MAX_FACTORIAL:
        raise ValueError(f"factorial needs a whole number between 0 and {MAX_FACTORIAL}")
    return math.factorial(int(n))


def _round(number: float, ndigits: Any = None) -> int | float:
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, float) and ndigits.is_integer():
        ndigits = int(ndigits)
    if not isinstance(ndigits, int):
        raise ValueError("round's digits must be a whole number")
    if abs(ndigits) > MAX_ROUND_DIGITS:
        raise ValueError(f"round's digits must be between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}")
    return round(number, ndigits)


def finite(value: float, what: str = "the result") -> float:
    """``value`` when it is a finite number; ValueError naming ``what`` otherwise (NaN and infinity are never answers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what} is not a finite number ({value})")
    return value


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": math.sqrt, "cbrt": math.cbrt, "exp": math.exp, "log": math.log, "ln": math.log,
    "log10": math.log10, "log2": math.log2, "sin": math.sin, "cos": math.cos, "tan": math.tan,
    "asin": math.asin, "acos": math.acos, "atan": math.atan, "atan2": math.atan2, "sinh": math.sinh,
    "cosh": math.cosh, "tanh": math.tanh, "degrees": math.degrees, "radians": math.radians,
    "floor": math.floor, "ceil": math.ceil, "trunc": math.trunc, "abs": abs, "round": _round,
    "min": min, "max": max, "hypot": math.hypot, "gcd": math.gcd, "factorial": _factorial,
}  # fmt: skip


def _checked(value: Any) -> int | float:
    if isinstance(value, complex):
        raise ValueError("the result is not a real number")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ValueError(f"the result is too large (over {MAX_INT_BITS} bits)")
    if isinstance(value, float) and math.isnan(value):
        raise ValueError("the result is not a number (NaN)")
    if isinstance(value, float) and math.isinf(value):
        raise ValueError("the result is too large (infinite)")
    return value


def _power(base: int | float, exponent: int | float) -> int | float:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent > MAX_INT_BITS or exponent * base.bit_length() > MAX_INT_BITS + exponent:
            raise ValueError(f"the power {base}**{exponent} is too large (over {MAX_INT_BITS} bits)")
    return base**exponent


def _evaluate(node: ast.AST) -> int | float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ValueError(f"only numbers are allowed, not {node.value!r}")
        return _checked(node.value)
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left), _evaluate(node.right)
        if isinstance(node.op, ast.Pow):
            return _checked(_power(left, right))
        if type(node.op) not in _BINARY:
            raise ValueError(f"operator {type(node.op).__name__} is not allowed")
        return _checked(_BINARY[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _checked(_UNARY[type(node.op)](_evaluate(node.operand)))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        raise ValueError(f"unknown name {node.id!r} (constants: {', '.join(_CONSTANTS)})")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            shown = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ValueError(f"function {shown!r} is not allowed (allowed: {', '.join(sorted(_FUNCTIONS))})")
        if node.keywords:
            raise ValueError("keyword arguments are not allowed")
        return _checked(_FUNCTIONS[node.func.id](*(_evaluate(a) for a in node.args)))
    if isinstance(node, ast.Attribute):
        raise ValueError("attribute access is not allowed")
    raise ValueError(f"{type(node).__name__} is not allowed in an expression")


def evaluate(expression: str) -> int | float:
    """Evaluate an arithmetic expression safely; ValueError says what is wrong."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ValueError(f"expression is over {MAX_EXPRESSION_CHARS} characters")
    text = expression.replace("^", "**").replace("×", "*").replace("÷", "/")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, RecursionError, MemoryError) as exc:
        raise ValueError(f"invalid expression: {getattr(exc, 'msg', exc)}") from None
    if sum(1 for _ in ast.walk(tree)) > MAX_NODES:
        raise ValueError(f"expression has over {MAX_NODES} parts")
    try:
        return _evaluate(tree)
    except ZeroDivisionError:
        raise ValueError("division by zero") from None
    except OverflowError:
        raise ValueError("the result is too large") from None
    except TypeError as exc:  # wrong number of function arguments
        raise ValueError(str(exc)) from None


@tool(input_types=["text"], output_types=["number"], cost=0.01, quality=0.99, timeout=5)
def calculate(expression: str) -> int | float:
    """Evaluate an arithmetic expression exactly, e.g. "(3 + 4) * sqrt(16) / 2".

    Supports + - * / // % ** (also ^ for powers), parentheses, pi, e, tau and
    sqrt, cbrt, exp, log (ln), log10, log2, sin, cos, tan, asin, acos, atan, atan2,
    sinh, cosh, tanh, degrees, radians, floor, ceil, trunc, abs, round, min, max,
    hypot, gcd, factorial. Angles are in radians.

    Args:
        expression: the arithmetic expression to evaluate
    """
    return evaluate(expression)


@tool(input_types=["number"], output_types=["number"], cost=0.01, quality=0.97, timeout=5)
def convert_units(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a quantity between units of length, mass, time, volume, speed, data size or temperature.

    Examples of units: m, km, mi, ft, in; kg, g, lb, oz; s, min, h, day; l, ml,
    gal; km/h, mph, m/s, knot; B, kB, MB, GiB, bit; C, F, K (temperature offsets included).

    Args:
        value: the quantity to convert
        from_unit: the unit of value, e.g. "km"
        to_unit: the unit to convert to, e.g. "mi"
    """
    return convert(finite(value, "value"), from_unit, to_unit)


@tool(input_types=["number"], output_types=["number"], cost=0.01, quality=0.99, timeout=5)
def percentage_of(percent: float, value: float) -> float:
    """Compute a percentage of a value, e.g. 15 percent of 80 is 12.

    Args:
        percent: the percentage, e.g. 15 for 15%
        value: the amount the percentage is taken of
    """
    result = finite(finite(percent, "percent") * finite(value, "value") / 100, "the result")
    return float(f"{result:.12g}")


def pack() -> ToolRegistry:
    """The math tools (no options: they touch nothing outside the process)."""
    return registry("math", [calculate, convert_units, percentage_of])


__all__ = ["calculate", "convert_units", "evaluate", "finite", "pack", "percentage_of"]
