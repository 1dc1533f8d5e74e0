"""Planner strategies (shipped as ``agentkit.planners``)."""

from agentkit.errors import ConfigError

from .base import PlanResult, Planner, TemplatePlanner, Turn
from .one_shot import OneShotPlanner
from .zero_shot import ZeroShotPlanner

PLANNERS: dict[str, type[TemplatePlanner]] = {"one-shot": OneShotPlanner, "zero-shot": ZeroShotPlanner}


def get_planner(name: str, **options: object) -> Planner:
    """A planner strategy by name ('one-shot' or 'zero-shot')."""
    try:
        return PLANNERS[name](**options)  # type: ignore[arg-type]
    except KeyError:
        raise ConfigError(f"unknown planner {name!r} (known: {', '.join(PLANNERS)})") from None


__all__ = ["PLANNERS", "OneShotPlanner", "PlanResult", "Planner", "TemplatePlanner", "Turn", "ZeroShotPlanner", "get_planner"]
