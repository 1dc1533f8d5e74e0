"""``agentkit bench``: evaluation commands (TaskBench runs and scoring, retrieval)."""

from __future__ import annotations

import typer

bench_app = typer.Typer(no_args_is_help=True, help="Evaluate: TaskBench runs and scores, tool retrieval.")

__all__ = ["bench_app"]
