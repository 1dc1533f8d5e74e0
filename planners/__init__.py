"""Planner strategies (shipped as ``agentkit.planners``), by name from an open registry.

``get_planner("one-shot")``; :func:`register_planner` (or an ``agentkit.planners`` entry
point) adds a strategy, which ``Agent(strategy=NAME)``, ``--strategy`` and the config file's
``strategy`` key then accept. A factory takes the strategy's keyword options and returns a
:class:`Planner`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentkit.errors import ConfigError
from agentkit.plugins import ENTRY_POINT_GROUPS, Registry

from .base import Planner, PlanResult, TemplatePlanner, Turn
from .one_shot import OneShotPlanner
from .zero_shot import ZeroShotPlanner

PlannerFactory = Callable[..., Planner]

#: Strategy names to planner factories (classes or functions taking keyword options).
PLANNERS: Registry[PlannerFactory] = Registry("planner", ENTRY_POINT_GROUPS["planner"])
PLANNERS.register("one-shot", OneShotPlanner)
PLANNERS.register("zero-shot", ZeroShotPlanner)


def register_planner(name: str, factory: PlannerFactory) -> None:
    """Make strategy ``name`` build ``factory(**options)`` (a Planner)."""
    PLANNERS.register(name, factory)


def get_planner(name: str, **options: Any) -> Planner:
    """The planner strategy ``name`` built with ``options``; ConfigError for an unknown name or option."""
    factory = PLANNERS.get(name)
    try:
        planner = factory(**options)
    except TypeError as exc:
        raise ConfigError(f"planner {name!r}: {exc}") from None
    if not callable(getattr(planner, "plan", None)):
        raise ConfigError(f"planner {name!r} built a {type(planner).__name__}, which has no plan() method")
    return planner


__all__ = [
    "PLANNERS", "OneShotPlanner", "PlanResult", "Planner", "PlannerFactory", "TemplatePlanner", "Turn",
    "ZeroShotPlanner", "get_planner", "register_planner",
]  # fmt: skip
