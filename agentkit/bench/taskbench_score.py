"""TaskBench scoring: upstream ``taskbench/evaluate.py`` (microsoft/JARVIS) plus a strict mode.

Every number is a **percentage** (0-100), edit distance included (upstream stores it as a
fraction and its leaderboard does not show it).

``official`` reproduces upstream, quirks included:

* only ids present in both gold and predictions are scored; a sample whose graph cannot be
  read (missing ``result``/``task_nodes``/``task`` key, a dailylifeapis argument that is not a
  ``{"name", "value"}`` object, a missing ``task_links`` in the temporal domain, ...) is dropped,
  but its steps still count for ROUGE when they were read before the failure;
* node F1 ignores names outside ``tool_desc.json`` on both sides, resource-domain names get
  ``_`` -> space, links and parameter keys use no tool-list filter;
* resource-domain links and parameter names are rebuilt from ``<node-k>`` arguments (first
  reference per argument, self references skipped, forward and negative indices as Python
  indexing does), literal arguments are named image/audio/video/text by file extension;
* an argument that cannot be converted is replaced by the last converted argument of the run,
  possibly from an earlier sample; with none yet, the sample is dropped;
* a micro F1 with nothing on either side is 0.0 (scikit-learn 1.0.2, upstream's pin).

Deviations (upstream results there are random or the run aborts):

* samples are processed in gold-file order (upstream iterates a hash-ordered ``set``, so the
  stale-argument reuse above is run-dependent);
* ROUGE-1/2 is the mean per-sample F-measure; upstream reports the median of a 1,000-round
  unseeded bootstrap of that mean, which differs by sampling noise only;
* a prediction line that is not JSON (upstream exits) is skipped and counted as unreadable;
  a malformed predicted ``task_links`` entry (upstream crashes after the loop) drops the sample.

``strict`` scores every gold sample: a missing or invalid prediction (one ``official`` would
drop) is scored as an empty graph with no steps, an argument that cannot be converted is
skipped instead of reusing a stale one, and an F1 with nothing on either side is undefined
(None). Gold samples that cannot be read at all (one upstream huggingface line) are
excluded in both modes and listed in the coverage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, JsonValue
from rouge_score import rouge_scorer

from agentkit.bench.taskbench_data import (
    Dependency,
    GoldSample,
    PredictionSet,
    ToolCatalog,
    gold_file,
    load_gold,
    load_predictions,
    load_tool_catalog,
    predictions_from_records,
)

Mode = Literal["official", "strict"]

_EXTENSIONS = (
    ("image", ("jpg", "png", "jpeg", "gif", "bmp", "tiff", "svg", "ico")),
    ("audio", ("mp3", "wav", "wma", "ogg", "aac", "flac", "aiff", "au")),
    ("video", ("mp4", "avi", "mov", "flv", "wmv", "mkv", "webm", "m4v", "mpg", "mpeg")),
)
_STEP_KEYS = ("task", "step", "id", "step_name")
_SPLIT_ORDER = ("single", "chain", "dag")
_EMPTY_RESULT: dict[str, JsonValue] = {"task_steps": [], "task_nodes": [], "task_links": []}
# What Python raises when upstream's plain indexing meets malformed JSON; upstream catches all.
_READ_ERRORS = (KeyError, IndexError, TypeError, AttributeError, ValueError)


class GroupScore(BaseModel):
    """Metrics of one group of gold samples (percentages; None: nothing scored / undefined)."""

    samples: int  # gold samples in the group
    predicted: int  # of those, with a readable prediction line
    scored: int  # node / link / parameter supports
    step_supports: int  # samples in ROUGE (official: can exceed ``scored``)
    n_f1: float | None = None
    e_f1: float | None = None
    t_f1: float | None = None
    v_f1: float | None = None
    rouge1: float | None = None
    rouge2: float | None = None
    edit_distance: float | None = None


class Coverage(BaseModel):
    gold: int
    present: int  # gold ids with a readable prediction
    valid: int  # present and scored as predicted (official: not dropped; strict: not emptied)
    missing_ids: list[str]
    invalid_ids: list[str]  # present, gold readable, prediction dropped / emptied
    unscorable_gold_ids: list[str]
    unreadable_prediction_lines: list[int]


class TaskBenchScore(BaseModel):
    mode: Mode
    dependency: Dependency
    units: Literal["percent"] = "percent"
    overall: GroupScore
    splits: dict[str, GroupScore]  # by the gold ``type`` field
    by_n_nodes: dict[int, GroupScore]  # by len(gold task_nodes)
    coverage: Coverage


class _Dropped(ValueError):
    """A sample upstream would drop."""


@dataclass
class _Carry:
    """Upstream's ``new_argument`` variable: it outlives the sample that set it.

    An argument that fails to convert re-appends it; disabled (strict) the argument is skipped.
    """

    enabled: bool
    last: dict[str, Any] | None = None

    def reuse(self) -> dict[str, Any] | None:
        if not self.enabled:
            return None
        if self.last is None:  # upstream: UnboundLocalError, caught -> sample dropped
            raise _Dropped("no earlier argument to reuse")
        return self.last


@dataclass
class _Graph:
    """The per-sample sets that the pooled metrics count."""

    nodes: tuple[set[Any], set[Any]]  # (gold, predicted), after the name rewrite
    links: tuple[set[Any], set[Any]]
    names: tuple[set[str], set[str]]  # "<tool>-<param>"
    values: tuple[set[str], set[str]]  # "<tool>-<param>-<value>"
    sequences: tuple[list[Any], list[Any]]  # node names in order, for edit distance


@dataclass
class _Context:
    """What reading a sample needs; the carry lives as long as one upstream group."""

    dependency: Dependency
    output_type: dict[str, str]
    carry: _Carry

    @classmethod
    def create(cls, catalog: ToolCatalog, dependency: Dependency, *, carry: bool) -> _Context:
        outputs = {tool.id: tool.output_types[0] if tool.output_types else "none" for tool in catalog.tools}
        return cls(dependency=dependency, output_type=outputs, carry=_Carry(enabled=carry))


def _content_type(content: Any) -> str:
    content = content.strip("'")  # AttributeError for non-strings, as upstream
    for kind, extensions in _EXTENSIONS:
        if any("." + ext in content for ext in extensions):
            return kind
    return "text"


def _resource_argument(
    argument: Any, position: int, names: list[str], task: Any, ctx: _Context, links: list[tuple[Any, Any]]
) -> dict[str, Any] | None:
    """Upstream's conversion of one resource-domain argument; None: a skipped self reference."""
    if isinstance(argument, dict):
        argument = list(argument.values())[0]
    if isinstance(argument, list):
        argument = " ".join(argument)
    if isinstance(argument, str) and "<node-" in argument:
        start = argument.index("<node-") + 6
        end = argument.index(">")  # the first '>' of the string, as upstream
        if int(argument[start:end]) == position:
            return None
        source = names[int(argument[start:end])]
        links.append((source, task))  # target: the raw task name, source: the rewritten one
        return {"name": ctx.output_type.get(source, "other"), "value": source}
    return {"name": _content_type(argument), "value": argument}


def _resource_nodes(
    nodes: Any, names: list[str], ctx: _Context, *, gold: bool
) -> tuple[list[tuple[Any, Any]], list[list[dict[str, Any]]]]:
    """Links rebuilt from ``<node-k>`` references and the ``{"name", "value"}`` arguments."""
    links: list[tuple[Any, Any]] = []
    converted: list[list[dict[str, Any]]] = []
    for position, node in enumerate(nodes):
        arguments: list[dict[str, Any]] = []
        for argument in node["arguments"] if gold else node.get("arguments", []):
            try:
                item = _resource_argument(argument, position, names, node["task"], ctx, links)
            except _READ_ERRORS:
                item = ctx.carry.reuse()
                if item is not None:
                    arguments.append(item)
                continue
            if item is not None:
                ctx.carry.last = item
                arguments.append(item)
        converted.append(arguments)
    return links, converted


def _argument_keys(names: list[Any], arguments: list[Any]) -> tuple[set[str], set[str]]:
    """Upstream's "<tool>-<param>" and "<tool>-<param>-<value>" keys (f-string formatting)."""
    keys = [
        (f"{task}-{arg['name']}", f"{task}-{arg['name']}-{arg['value']}")
        for task, args in zip(names, arguments)
        for arg in args
    ]
    return {name for name, _ in keys}, {value for _, value in keys}


def _read_graph(gold: GoldSample, result: Any, ctx: _Context) -> _Graph:
    """Upstream's per-sample graph reading, in its order (the carry makes order matter)."""
    gold_nodes: Any = gold.task_nodes  # JSON as upstream wrote it (checked by upstream's own reading)
    pred_nodes = result["task_nodes"]
    gold_names = [node["task"] for node in gold_nodes]
    pred_names = [node["task"] for node in pred_nodes]
    if ctx.dependency == "resource":
        pred_names = [name.replace("_", " ") for name in pred_names]
        gold_names = [name.replace("_", " ") for name in gold_names]
        gold_links, gold_args = _resource_nodes(gold_nodes, gold_names, ctx, gold=True)
        pred_links, pred_args = _resource_nodes(pred_nodes, pred_names, ctx, gold=False)
    else:
        pred_links = [(link["source"], link["target"]) for link in result["task_links"]]
        if gold.task_links is None:
            raise _Dropped("gold sample has no task_links")
        gold_task_links: Any = gold.task_links
        gold_links = [(link["source"], link["target"]) for link in gold_task_links]
        pred_args = [node.get("arguments", []) for node in pred_nodes]
        gold_args = [node["arguments"] for node in gold_nodes]
    pred_keys = _argument_keys(pred_names, pred_args)
    gold_keys = _argument_keys(gold_names, gold_args)
    if not all(isinstance(name, str) for name in pred_names):
        raise _Dropped("a predicted task name is not a string")
    return _Graph(
        nodes=(set(gold_names), set(pred_names)),
        links=(set(gold_links), set(pred_links)),
        names=(gold_keys[0], pred_keys[0]),
        values=(gold_keys[1], pred_keys[1]),
        sequences=(gold_names, pred_names),
    )


def _step_text(steps: Any) -> str:
    """Upstream's text of predicted steps: strings, or one key of step objects, else ``str()``."""
    try:
        if isinstance(steps[0], str):
            return "\n".join(steps)
        key = next((key for key in _STEP_KEYS if key in steps[0]), "description")
        return "\n".join(step[key] for step in steps)
    except (KeyError, IndexError, TypeError, AttributeError):
        return str(steps)


@lru_cache(maxsize=1)
def _rouge() -> rouge_scorer.RougeScorer:
    return rouge_scorer.RougeScorer(["rouge1", "rouge2"], use_stemmer=False)


@lru_cache(maxsize=1 << 16)  # every group re-reads its samples, as upstream does
def _rouge_f(reference: str, prediction: str) -> tuple[float, float]:
    scores = _rouge().score(reference, prediction)
    return scores["rouge1"].fmeasure, scores["rouge2"].fmeasure


def _read_sample(gold: GoldSample, result: Any, ctx: _Context) -> tuple[tuple[float, float] | None, _Graph | None]:
    """(ROUGE-1/2 F, graph) of one sample; None where upstream drops it from that metric."""
    try:
        steps = result["task_steps"]
    except _READ_ERRORS:
        return None, None
    rouge = _rouge_f("\n".join(gold.task_steps), _step_text(steps))
    try:
        return rouge, _read_graph(gold, result, ctx)
    except _READ_ERRORS:
        return rouge, None


def _f1(
    pairs: Iterable[tuple[set[Any], set[Any]]], empty: float | None, within: set[str] | None = None
) -> float | None:
    """Pooled binary (or, with ``within``, tool-class micro) F1 as scikit-learn computes it."""
    tp = fp = fn = 0
    for gold, pred in pairs:
        if within is not None:
            gold, pred = gold & within, pred & within
        tp += len(gold & pred)
        fp += len(pred - gold)
        fn += len(gold - pred)
    if tp + fp + fn == 0:
        return empty
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return 100 * (2 * precision * recall / (precision + recall)) if precision + recall else 0.0


def _indel_ratio(first: list[int], second: list[int]) -> float:
    """``Levenshtein.ratio``: 1 - (inserts + deletes) / (len1 + len2); 1.0 for two empties."""
    total = len(first) + len(second)
    if total == 0:
        return 1.0
    row = [0] * (len(second) + 1)
    for item in first:
        diagonal = 0
        for j, other in enumerate(second, start=1):
            diagonal, row[j] = row[j], diagonal + 1 if item == other else max(row[j], row[j - 1])
    return 1 - (total - 2 * row[-1]) / total


@dataclass
class _Run:
    """One scoring configuration: what upstream recomputes for every group."""

    mode: Mode
    dependency: Dependency
    catalog: ToolCatalog
    results: dict[str, Any]  # gold id -> result to score (official: present ones only)
    present: set[str]  # gold ids with a readable prediction line

    def group(self, selected: list[GoldSample]) -> tuple[GroupScore, list[str]]:
        """Score one group in gold order; also return the ids dropped from the graph metrics."""
        ctx = _Context.create(self.catalog, self.dependency, carry=self.mode == "official")
        rouge: list[tuple[float, float]] = []
        graphs: list[_Graph] = []
        dropped: list[str] = []
        for gold in selected:
            if gold.id not in self.results:
                continue
            steps, graph = _read_sample(gold, self.results[gold.id], ctx)
            if steps is not None:
                rouge.append(steps)
            if graph is None:
                dropped.append(gold.id)
            else:
                graphs.append(graph)
        score = GroupScore(
            samples=len(selected),
            predicted=sum(gold.id in self.present for gold in selected),
            scored=len(graphs),
            step_supports=len(rouge),
        )
        if graphs:  # upstream: no supports -> no metrics at all
            self._fill(score, graphs, rouge)
        return score, dropped

    def _fill(self, score: GroupScore, graphs: list[_Graph], rouge: list[tuple[float, float]]) -> None:
        empty = 0.0 if self.mode == "official" else None
        tools = set(self.catalog.ids)
        index = {tool_id: position for position, tool_id in enumerate(self.catalog.ids, start=1)}
        ratios = [
            _indel_ratio([index.get(n, 0) for n in g.sequences[1]], [index.get(n, 0) for n in g.sequences[0]])
            for g in graphs
        ]
        score.n_f1 = _f1((g.nodes for g in graphs), empty, within=tools)
        score.e_f1 = _f1((g.links for g in graphs), empty)
        score.t_f1 = _f1((g.names for g in graphs), empty)
        score.v_f1 = _f1((g.values for g in graphs), empty)
        score.rouge1 = 100 * sum(r1 for r1, _ in rouge) / len(rouge)
        score.rouge2 = 100 * sum(r2 for _, r2 in rouge) / len(rouge)
        score.edit_distance = 100 * (1 - sum(ratios) / len(ratios))


def _as_prediction_set(predictions: str | Path | PredictionSet | Iterable[Mapping[str, Any]]) -> PredictionSet:
    if isinstance(predictions, PredictionSet):
        return predictions
    if isinstance(predictions, (str, Path)):
        return load_predictions(predictions)
    return predictions_from_records(predictions)


def score_predictions(
    data_dir: str | Path,
    predictions: str | Path | PredictionSet | Iterable[Mapping[str, Any]],
    *,
    mode: Mode = "official",
    dependency: Dependency | None = None,
    tool_desc: str | Path | ToolCatalog | None = None,
) -> TaskBenchScore:
    """Score predictions against a domain folder (``data.jsonl``/``data.json`` + ``tool_desc.json``).

    ``predictions`` is a JSON Lines path, a loaded set, or parsed ``{"id", "result"}`` objects.
    ``dependency`` None: temporal when the tool list has ``parameters`` (dailylifeapis style).
    """
    golds = load_gold(data_dir)
    golds_by_id = {gold.id: gold for gold in golds}
    if not isinstance(tool_desc, ToolCatalog):
        tool_desc = load_tool_catalog(tool_desc or gold_file(data_dir).parent / "tool_desc.json")
    preds = _as_prediction_set(predictions)
    dependency = dependency or tool_desc.dependency
    records = {gold.id: preds.records[gold.id].result for gold in golds if gold.id in preds.records}

    def readable(gold: GoldSample, result: Any) -> bool:
        return _read_sample(gold, result, _Context.create(tool_desc, dependency, carry=False))[1] is not None

    unscorable = [gold.id for gold in golds if not readable(gold, _EMPTY_RESULT)]
    if mode == "official":
        run = _Run(mode, dependency, tool_desc, records, set(records))
        overall, dropped = run.group(golds)
    else:
        dropped = [i for i in records if i not in unscorable and not readable(golds_by_id[i], records[i])]
        scored = {
            gold.id: _EMPTY_RESULT if gold.id in dropped or gold.id not in records else records[gold.id]
            for gold in golds
            if gold.id not in unscorable
        }
        run = _Run(mode, dependency, tool_desc, scored, set(records))
        overall, _ = run.group(golds)
    invalid = [gold_id for gold_id in dropped if gold_id not in unscorable]
    splits = sorted({gold.type for gold in golds}, key=lambda s: (_SPLIT_ORDER.index(s) if s in _SPLIT_ORDER else 3, s))
    return TaskBenchScore(
        mode=mode,
        dependency=dependency,
        overall=overall,
        splits={split: run.group([g for g in golds if g.type == split])[0] for split in splits},
        by_n_nodes={n: run.group([g for g in golds if g.n_nodes == n])[0] for n in sorted({g.n_nodes for g in golds})},
        coverage=Coverage(
            gold=len(golds),
            present=len(records),
            valid=sum(1 for gold_id in records if gold_id not in invalid and gold_id not in unscorable),
            missing_ids=[gold.id for gold in golds if gold.id not in records],
            invalid_ids=invalid,
            unscorable_gold_ids=unscorable,
            unreadable_prediction_lines=preds.unreadable_lines,
        ),
    )


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def format_score_table(score: TaskBenchScore) -> str:
    """A Markdown table of every group, with the coverage line that published numbers lack."""
    header = "| group | samples | scored | n-F1 | e-F1 | t-F1 | v-F1 | R1 | R2 | edit dist. |"
    rows = [header, "|" + "---|" * 2 + "---:|" * 8]
    groups = [("overall", score.overall)]
    groups += [(f"type={split}", group) for split, group in score.splits.items()]
    groups += [(f"nodes={n}", group) for n, group in score.by_n_nodes.items()]
    for label, g in groups:
        metrics = (g.n_f1, g.e_f1, g.t_f1, g.v_f1, g.rouge1, g.rouge2, g.edit_distance)
        rows.append(f"| {label} | {g.samples} | {g.scored} | " + " | ".join(_cell(m) for m in metrics) + " |")
    c = score.coverage
    rows.append("")
    rows.append(
        f"{score.mode} mode, {score.dependency} dependencies, percentages. Coverage: {c.present}/{c.gold} "
        f"predicted, {c.valid}/{c.gold} valid ({len(c.missing_ids)} missing, {len(c.invalid_ids)} invalid, "
        f"{len(c.unscorable_gold_ids)} unreadable gold, {len(c.unreadable_prediction_lines)} unreadable lines)."
    )
    return "\n".join(rows)
