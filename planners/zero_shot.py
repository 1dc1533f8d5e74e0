"""Documentation-only zero-shot planner: the tools' docs and parameters, no examples."""

from .base import TemplatePlanner


class ZeroShotPlanner(TemplatePlanner):
    name = "zero-shot"
    template = "plan_zero_shot"


__all__ = ["ZeroShotPlanner"]
