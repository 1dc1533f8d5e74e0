"""One-shot DAG planner (TaskBench / HuggingGPT style): tool list, one worked example, the request."""

from .base import TemplatePlanner


class OneShotPlanner(TemplatePlanner):
    name = "one-shot"
    template = "plan_one_shot"


__all__ = ["OneShotPlanner"]
