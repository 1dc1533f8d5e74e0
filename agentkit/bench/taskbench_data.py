"""Loaders for TaskBench files: gold samples, predictions, user requests, tool lists.

The models validate only the *envelope* of each record (ids, types, step lists). Tool graphs
(``task_nodes``, ``task_links``, a prediction's ``result``) stay raw JSON on purpose: the
upstream scorer's behaviour on malformed graphs (an object instead of a list, string or
integer arguments, ...) is part of what the official scoring mode must reproduce, so the
scorer, not the loader, decides what a malformed graph means.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from agentkit.errors import ConfigError, ToolLoadError

Dependency = Literal["resource", "temporal"]

GOLD_FILE_NAMES = ("data.jsonl", "data.json")


class ToolInfo(BaseModel):
    """One entry of ``tool_desc.json``; only what scoring needs."""

    id: str
    output_types: list[str] = []
    parameters: list[str] | None = None  # None: a resource-style tool (no parameter list)


class ToolCatalog(BaseModel):
    """The tool list of a domain: the valid node classes and their output types."""

    source: str
    tools: list[ToolInfo]

    @property
    def ids(self) -> list[str]:
        return [tool.id for tool in self.tools]

    @property
    def dependency(self) -> Dependency:
        """dailylifeapis-style lists (tools with ``parameters``) use temporal links."""
        return "temporal" if any(tool.parameters is not None for tool in self.tools) else "resource"


class GoldSample(BaseModel):
    """One line of ``data.json(l)``."""

    model_config = ConfigDict(extra="ignore")

    id: str
    type: str
    task_steps: list[str]
    task_nodes: list[JsonValue] | dict[str, JsonValue]  # an object in one upstream line
    task_links: JsonValue = None  # None: absent (the temporal scorer drops such a sample)
    n_tools: int | None = None
    instruction: str | None = None

    @property
    def n_nodes(self) -> int:
        """The bucket upstream uses: ``len(task_nodes)``, not the ``n_tools`` field."""
        return len(self.task_nodes)


class PredictionRecord(BaseModel):
    """One readable prediction line; ``result`` stays raw (None when absent)."""

    id: str
    result: JsonValue = None
    line: int | None = None


class PredictionSet(BaseModel):
    """A prediction file: records by id (a later line wins, as upstream) and unreadable lines."""

    source: str
    records: dict[str, PredictionRecord]
    unreadable_lines: list[int] = []  # not JSON, not an object, or no string ``id``


class UserRequest(BaseModel):
    id: str
    user_request: str


def _json_lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "record"
    return f"{where}: {error['msg']}"


def gold_file(data: str | Path) -> Path:
    """The gold file of a domain folder (``data.jsonl`` before ``data.json``), or ``data`` itself."""
    path = Path(data)
    if path.is_file():
        return path
    for name in GOLD_FILE_NAMES:
        if (path / name).is_file():
            return path / name
    raise ConfigError(f"{path}: no {' or '.join(GOLD_FILE_NAMES)} found")


def load_gold(data: str | Path) -> list[GoldSample]:
    """Gold samples in file order; a repeated id keeps its first position and last content."""
    path = gold_file(data)
    samples: dict[str, GoldSample] = {}
    for number, line in _json_lines(path):
        try:
            sample = GoldSample.model_validate_json(line)
        except ValidationError as exc:
            if exc.errors()[0]["type"] == "json_invalid":
                raise ConfigError(f"{path}:{number}: not valid JSON") from None
            raise ConfigError(f"{path}:{number}: {_first_problem(exc)}") from None
        samples[sample.id] = sample
    return list(samples.values())


def _parse_prediction(value: Any, line: int | None) -> PredictionRecord | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("id"), str):
        return None
    try:
        return PredictionRecord(id=value["id"], result=value.get("result"), line=line)
    except ValidationError:  # a non-JSON value handed in from memory
        return None


def predictions_from_records(records: Iterable[Mapping[str, Any]], source: str = "<memory>") -> PredictionSet:
    """A prediction set from already-parsed objects (position = 1-based line number)."""
    kept: dict[str, PredictionRecord] = {}
    unreadable: list[int] = []
    for number, value in enumerate(records, start=1):
        record = _parse_prediction(value, number)
        if record is None:
            unreadable.append(number)
        else:
            kept[record.id] = record
    return PredictionSet(source=source, records=kept, unreadable_lines=unreadable)


def load_predictions(path: str | Path) -> PredictionSet:
    """A JSON Lines prediction file; unreadable lines are recorded, not fatal."""
    path = Path(path)
    kept: dict[str, PredictionRecord] = {}
    unreadable: list[int] = []
    for number, line in _json_lines(path):
        try:
            record = _parse_prediction(json.loads(line), number)
        except ValueError:
            record = None
        if record is None:
            unreadable.append(number)
        else:
            kept[record.id] = record
    return PredictionSet(source=str(path), records=kept, unreadable_lines=unreadable)


def load_user_requests(path: str | Path) -> dict[str, str]:
    """``user_requests.jsonl``: the request text upstream ``inference.py`` sends, by id."""
    path = Path(path)
    requests: dict[str, str] = {}
    for number, line in _json_lines(path):
        try:
            request = UserRequest.model_validate_json(line)
        except ValidationError as exc:
            raise ConfigError(f"{path}:{number}: {_first_problem(exc)}") from None
        requests[request.id] = request.user_request
    return requests


def _tool_info(entry: Any, source: str, index: int) -> ToolInfo:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        raise ToolLoadError("a tool needs a string 'id'", source=source, entry=index)
    outputs = entry.get("output-type", [])
    parameters = entry.get("parameters")
    if not isinstance(outputs, list) or not all(isinstance(item, str) for item in outputs):
        raise ToolLoadError("'output-type' must be a list of strings", source=source, entry=entry["id"])
    if parameters is not None and not (
        isinstance(parameters, list) and all(isinstance(p, dict) and isinstance(p.get("name"), str) for p in parameters)
    ):
        raise ToolLoadError("'parameters' must be a list of objects with a 'name'", source=source, entry=entry["id"])
    return ToolInfo(
        id=entry["id"],
        output_types=outputs,
        parameters=None if parameters is None else [p["name"] for p in parameters],
    )


def load_tool_catalog(path: str | Path) -> ToolCatalog:
    """``tool_desc.json`` (``{"nodes": [...]}``) of either domain style."""
    path = Path(path)
    source = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ToolLoadError(f"cannot read ({exc.strerror or exc})", source=source) from exc
    except ValueError as exc:
        raise ToolLoadError(f"not valid JSON ({exc})", source=source) from None
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list):
        raise ToolLoadError("expected an object with a 'nodes' list", source=source)
    tools = [_tool_info(entry, source, index) for index, entry in enumerate(document["nodes"])]
    return ToolCatalog(source=source, tools=tools)
