"""Benchmark harnesses: TaskBench data loading and scoring."""

from agentkit.bench.taskbench_data import (
    GoldSample,
    PredictionRecord,
    PredictionSet,
    ToolCatalog,
    ToolInfo,
    load_gold,
    load_predictions,
    load_tool_catalog,
    load_user_requests,
    predictions_from_records,
)
from agentkit.bench.taskbench_score import (
    Coverage,
    GroupScore,
    TaskBenchScore,
    format_score_table,
    score_predictions,
)

__all__ = [
    "Coverage",
    "GoldSample",
    "GroupScore",
    "PredictionRecord",
    "PredictionSet",
    "TaskBenchScore",
    "ToolCatalog",
    "ToolInfo",
    "format_score_table",
    "load_gold",
    "load_predictions",
    "load_tool_catalog",
    "load_user_requests",
    "predictions_from_records",
    "score_predictions",
]
