"""Reports of TaskBench runs: ``report.md`` (+ PNG plots when matplotlib is installed) and run comparison.

matplotlib is optional on purpose (it is not an agentkit dependency): without it the
report says so and skips the plots.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentkit.bench.taskbench_score import TaskBenchScore, format_score_table
from agentkit.errors import ConfigError

F1_METRICS = (("n_f1", "n-F1"), ("e_f1", "e-F1"), ("t_f1", "t-F1"), ("v_f1", "v-F1"))
ALL_METRICS = (*F1_METRICS, ("rouge1", "R1"), ("rouge2", "R2"), ("edit_distance", "edit dist."))
MODES = ("official", "strict")
MODE_NOTES = {
    "official": "upstream `evaluate.py` conventions: only samples with a readable prediction are scored; failures are not counted",
    "strict": "every selected sample is scored; a failed or unreadable prediction counts as an empty plan",
}


def _num(value: Any, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _groups(score: dict[str, Any], by: str) -> dict[str, dict[str, Any]]:
    if by == "type":
        return {f"{k}": v for k, v in score["splits"].items()}
    return {f"{k}": v for k, v in score["by_n_nodes"].items()}


def plot(out: Path, metrics: dict[str, Any]) -> list[str] | str:
    """PNG bar charts of n/e/t/v-F1 per type and per number of gold nodes, both modes.

    Returns the written file names, or why there are none.
    """
    try:
        # The non-interactive Agg canvas, bound to each figure: works headless and never touches
        # pyplot's global backend (no display needed, no GUI window, nothing changed for the caller).
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return "matplotlib is not installed, so the plots were skipped (`pip install matplotlib` to get them)."
    written = []
    for by, title, name in (("type", "sample type", "f1_by_type.png"), ("nodes", "number of gold nodes", "f1_by_nodes.png")):
        fig = Figure(figsize=(5.5 * len(MODES), 4))
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, len(MODES), sharey=True, squeeze=False)
        for ax, mode in zip(axes[0], MODES):
            groups = _groups(metrics[mode], by)
            labels = list(groups)
            width = 0.8 / len(F1_METRICS)
            for j, (key, label) in enumerate(F1_METRICS):
                values = [groups[g].get(key) or 0.0 for g in labels]
                ax.bar([i + (j - 1.5) * width for i in range(len(labels))], values, width, label=label)
            ax.set_xticks(range(len(labels)))
            ax.set_xticklabels([f"{g}\n(n={groups[g]['samples']})" for g in labels])
            ax.set_title(f"{mode} mode")
            ax.set_xlabel(title)
            ax.set_ylim(0, 100)
        axes[0][0].set_ylabel("F1 (%)")
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=len(F1_METRICS), fontsize="small", frameon=False)
        fig.suptitle(f"{metrics['run']['system']} - F1 by {title}")
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        fig.savefig(out / name, dpi=110, format="png")
        written.append(name)
    return written


def _first_line(text: Any, width: int = 140) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    line = line.replace("|", "\\|")
    return line if len(line) <= width else line[: width - 3] + "..."


def render_report(metrics: dict[str, Any], samples: Sequence[Any], plots: list[str] | str) -> str:
    run, timing = metrics["run"], metrics["timing"]
    types = Counter(s.type for s in samples)
    strict = metrics["strict"]["coverage"]
    lines = [
        f"# TaskBench run: `{run['system']}` with `{run['model']}`",
        "",
        f"- data: `{run['data']}` ({metrics['official']['dependency']} dependencies)",
        f"- samples: {len(samples)} ({', '.join(f'{t} {n}' for t, n in types.items())})"
        + (f", type filter {run['type']}" if run.get("type") else "")
        + (f", limit {run['limit']}" if run.get("limit") else ""),
        f"- system options: {json.dumps(run['options'])}",
        f"- coverage: {strict['present']}/{strict['gold']} predicted, {strict['valid']}/{strict['gold']} readable by the scorer, "
        f"{len(metrics['errors'])} failed",
        f"- time per sample: mean {_num(timing['mean_s_per_sample'])} s, median {_num(timing['median_s_per_sample'])} s "
        f"(total {_num(timing['total_s'], 1)} s over {timing['attempted']} samples; last attempt per sample)"
        + (f"; mean {timing['mean_completion_tokens']:.0f} completion tokens" if timing.get("mean_completion_tokens") else ""),
        "",
    ]
    for mode in MODES:
        lines += [f"## {mode.capitalize()} scores", "", f"{MODE_NOTES[mode]}.", ""]
        lines += [format_score_table(TaskBenchScore.model_validate(metrics[mode])), ""]
    lines += ["## Plots", ""]
    if isinstance(plots, str):
        lines += [plots, ""]
    else:
        lines += [f"![{name}]({name})" for name in plots] + [""]
    lines += ["## Errors", ""]
    if metrics["errors"]:
        kinds = Counter(e["error_type"] for e in metrics["errors"].values())
        lines += [", ".join(f"{k}: {n}" for k, n in kinds.most_common()), "", "| id | error type | error |", "|---|---|---|"]
        lines += [f"| {i} | {e['error_type']} | {_first_line(e['error'])} |" for i, e in metrics["errors"].items()]
    else:
        lines.append("none")
    return "\n".join(lines) + "\n"


def write_report(out: Path, metrics: dict[str, Any], samples: Sequence[Any]) -> Path:
    plots = plot(out, metrics)
    path = out / "report.md"
    path.write_text(render_report(metrics, samples, plots), encoding="utf-8")
    return path


# -- compare -------------------------------------------------------------------------------


def load_metrics(run_dir: str | Path) -> dict[str, Any]:
    path = Path(run_dir)
    if not path.is_dir():
        raise ConfigError(f"{path}: no such run folder")
    file = path / "metrics.json"
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no metrics.json (run `agentkit bench taskbench --out {path}` to finish the run)") from None
    except ValueError as exc:
        raise ConfigError(f"{file}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not all(k in data for k in ("run", "official", "strict")):
        raise ConfigError(f"{file}: not a TaskBench run's metrics (needs run, official and strict)")
    return data


def _delta(a: Any, b: Any, digits: int = 2) -> str:
    if a is None or b is None:
        return "n/a"
    return f"{b - a:+.{digits}f}"


def compare(a: dict[str, Any], b: dict[str, Any], names: tuple[str, str] = ("A", "B")) -> str:
    """Markdown: both runs' overall metrics (both modes), F1 per type, coverage and time, with B - A."""
    label_a, label_b = names
    run_a, run_b = a["run"], b["run"]
    lines = [
        f"A = {label_a}: `{run_a['system']}` with `{run_a['model']}`",
        f"B = {label_b}: `{run_b['system']}` with `{run_b['model']}`",
    ]
    if run_a.get("data") != run_b.get("data") or a.get("samples") != b.get("samples"):
        lines.append(
            f"**Warning:** the runs are not over the same samples ({run_a.get('data')}, {a.get('samples')} samples vs "
            f"{run_b.get('data')}, {b.get('samples')} samples): the deltas are not like for like."
        )
    lines += ["", "| metric | A | B | B - A |", "|---|---:|---:|---:|"]
    for mode in MODES:
        for key, label in ALL_METRICS:
            va, vb = a[mode]["overall"].get(key), b[mode]["overall"].get(key)
            lines.append(f"| {mode} {label} | {_num(va)} | {_num(vb)} | {_delta(va, vb)} |")
    for mode in MODES:
        splits = list(dict.fromkeys([*a[mode]["splits"], *b[mode]["splits"]]))
        for split in splits:
            ga, gb = a[mode]["splits"].get(split, {}), b[mode]["splits"].get(split, {})
            for key, label in F1_METRICS:
                va, vb = ga.get(key), gb.get(key)
                lines.append(f"| {mode} {label}, type={split} | {_num(va)} | {_num(vb)} | {_delta(va, vb)} |")
    ca, cb = a["strict"]["coverage"], b["strict"]["coverage"]
    lines.append(f"| predicted / samples | {ca['present']}/{ca['gold']} | {cb['present']}/{cb['gold']} | {cb['present'] - ca['present']:+d} |")
    lines.append(f"| readable / samples | {ca['valid']}/{ca['gold']} | {cb['valid']}/{cb['gold']} | {cb['valid'] - ca['valid']:+d} |")
    ta, tb = a.get("timing", {}).get("mean_s_per_sample"), b.get("timing", {}).get("mean_s_per_sample")
    lines.append(f"| time per sample (s) | {_num(ta)} | {_num(tb)} | {_delta(ta, tb)} |")
    return "\n".join(lines)


def _label(metrics: dict[str, Any]) -> str:
    run = metrics["run"]
    bank = (run.get("options") or {}).get("examples")
    return f"{run['system']}" + (f" + examples (k={run['options'].get('k')})" if bank and run["system"] == "agentkit" else "")


def compare_many(runs: list[dict[str, Any]], names: list[str]) -> str:
    """Markdown: three or more runs (e.g. agentkit with and without examples, and nearest) side by
    side on the overall metrics and time per sample, with each run's difference to the first."""
    lines = [f"{chr(65 + i)} = {name}: `{_label(m)}` with `{m['run']['model']}`" for i, (m, name) in enumerate(zip(runs, names))]
    if len({(m["run"].get("data"), m.get("samples")) for m in runs}) > 1:
        lines.append("**Warning:** the runs are not over the same samples: the differences are not like for like.")
    cols = [chr(65 + i) for i in range(len(runs))]
    lines += ["", "| metric | " + " | ".join(cols) + " | " + " | ".join(f"{c} - A" for c in cols[1:]) + " |",
              "|---|" + "---:|" * (2 * len(runs) - 1)]  # fmt: skip
    rows: list[tuple[str, list[Any]]] = [
        (f"{mode} {label}", [m[mode]["overall"].get(key) for m in runs]) for mode in MODES for key, label in ALL_METRICS
    ]
    rows.append(("time per sample (s)", [m.get("timing", {}).get("mean_s_per_sample") for m in runs]))
    for label, values in rows:
        lines.append(f"| {label} | " + " | ".join(_num(v) for v in values) + " | " + " | ".join(_delta(values[0], v) for v in values[1:]) + " |")
    covered = [f"{m['strict']['coverage']['present']}/{m['strict']['coverage']['gold']}" for m in runs]
    lines.append("| predicted / samples | " + " | ".join(covered) + " |" + " |" * (len(runs) - 1))
    return "\n".join(lines)


__all__ = ["compare", "compare_many", "load_metrics", "plot", "render_report", "write_report"]
