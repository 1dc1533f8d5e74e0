"""Berkeley Function Calling Leaderboard (BFCL) single-turn data: categories, files, samples.

The data ships in the PyPI package ``bfcl-eval`` (installed with ``--no-deps``: its declared
dependencies are every provider SDK). We read ``bfcl_eval/data/BFCL_v4_<category>.json`` and
``possible_answer/`` through importlib.resources, or the same layout from a user's folder
(``--data DIR``; older ``BFCL_v3_*`` names are found too). The ``.json`` files are JSON Lines.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import re
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from agentkit.errors import ConfigError

Kind = Literal["ast", "irrelevance", "relevance"]
Language = Literal["python", "java", "javascript"]


class Category(BaseModel):
    """How one BFCL category is asked and scored."""

    name: str
    kind: Kind = "ast"  # ast: BFCL's AST checker; irrelevance: correct iff no call; relevance: iff a call
    language: Language = "python"
    parallel: bool = False  # several calls expected in one answer
    legacy: tuple[str, ...] = ()  # older file names (BFCL v3)


CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category(name="simple_python", legacy=("simple",)),
        Category(name="multiple"),
        Category(name="parallel", parallel=True),
        Category(name="parallel_multiple", parallel=True),
        Category(name="irrelevance", kind="irrelevance"),
        Category(name="simple_java", language="java", legacy=("java",)),
        Category(name="simple_javascript", language="javascript", legacy=("javascript",)),
        Category(name="live_simple"),
        Category(name="live_multiple"),
        Category(name="live_parallel", parallel=True),
        Category(name="live_parallel_multiple", parallel=True),
        Category(name="live_irrelevance", kind="irrelevance"),
        Category(name="live_relevance", kind="relevance"),
    )
}
ALIASES = {"simple": "simple_python", "java": "simple_java", "javascript": "simple_javascript"}
DEFAULT_CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance")
GROUPS = {"all": tuple(CATEGORIES), "live": tuple(c for c in CATEGORIES if c.startswith("live_"))}
PACKAGE = "bfcl-eval"


class ChatTurn(BaseModel):
    role: str
    content: str


class BfclSample(BaseModel):
    """One single-turn BFCL entry with its possible answers (None for (ir)relevance)."""

    id: str
    category: str
    messages: list[ChatTurn]
    functions: list[dict[str, Any]]
    ground_truth: list[dict[str, Any]] | None = None


class _Entry(BaseModel):
    id: str
    question: list[list[ChatTurn]] = Field(min_length=1)
    function: list[dict[str, Any]]


def select_categories(values: list[str] | None) -> list[Category]:
    """Categories from ``--category`` values (repeatable, comma-separated, aliases, 'all', 'live')."""
    names: list[str] = []
    for value in values or list(DEFAULT_CATEGORIES):
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            part = ALIASES.get(part, part)
            if part in GROUPS:
                names.extend(GROUPS[part])
            elif part in CATEGORIES:
                names.append(part)
            else:
                known = ", ".join([*CATEGORIES, *ALIASES, *GROUPS])
                raise ConfigError(f"--category: unknown BFCL category {part!r} (known: {known})")
    if not names:
        raise ConfigError("--category: no category given")
    return [CATEGORIES[n] for n in dict.fromkeys(names)]


def package_data() -> Traversable:
    """``bfcl_eval/data`` of the installed package, or a ConfigError saying how to install it."""
    try:
        root = importlib.resources.files("bfcl_eval").joinpath("data")
    except ModuleNotFoundError:
        raise ConfigError(f"the BFCL data package is not installed: pip install --no-deps {PACKAGE} (or pass --data DIR)") from None
    if not root.is_dir():
        raise ConfigError(f"the installed {PACKAGE} has no data folder; reinstall it or pass --data DIR")
    return root


def data_source(data_dir: Path | None) -> tuple[Traversable, str]:
    """The data folder and how to name it in run.json (package version or absolute path)."""
    if data_dir is None:
        return package_data(), f"{PACKAGE}=={importlib.metadata.version(PACKAGE)}"
    if not data_dir.is_dir():
        raise ConfigError(f"{data_dir}: no such folder (--data)")
    return data_dir, str(data_dir.resolve())


def find_file(folder: Traversable, category: Category) -> Traversable | None:
    """``BFCL_v<N>_<name>.json`` (newest N) or ``<name>.json`` for the category or a legacy name."""
    names = (category.name, *category.legacy)
    files = {f.name: f for f in folder.iterdir() if f.is_file()} if folder.is_dir() else {}
    for name in names:
        versioned = [(int(m.group(1)), f) for n, f in files.items() if (m := re.fullmatch(rf"BFCL_v(\d+)_{re.escape(name)}\.json", n))]
        if versioned:
            return max(versioned, key=lambda vf: vf[0])[1]
        if f"{name}.json" in files:
            return files[f"{name}.json"]
    return None


def _json_lines(file: Traversable, where: str) -> list[tuple[int, Any]]:
    rows = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append((number, json.loads(line)))
            except ValueError:
                raise ConfigError(f"{where}:{number}: not valid JSON") from None
    return rows


def load_category(folder: Traversable, category: Category, *, limit: int | None = None, where: str = "") -> list[BfclSample]:
    """The first ``limit`` samples of a category, each with its possible answer when scored by AST."""
    file = find_file(folder, category)
    where = where or str(folder)
    if file is None:
        raise ConfigError(f"{where}: no data file for BFCL category {category.name!r} (expected BFCL_v4_{category.name}.json)")
    samples: list[BfclSample] = []
    for number, row in _json_lines(file, f"{where}/{file.name}"):
        try:
            entry = _Entry.model_validate(row)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ConfigError(f"{where}/{file.name}:{number}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
        if len(entry.question) != 1:
            raise ConfigError(f"{where}/{file.name}:{number}: {entry.id} is multi-turn; only single-turn categories are supported")
        samples.append(BfclSample(id=entry.id, category=category.name, messages=entry.question[0], functions=entry.function))
        if limit is not None and len(samples) >= limit:
            break
    if category.kind == "ast":
        answers = _answers(folder, file.name, where)
        for sample in samples:
            if sample.id not in answers:
                raise ConfigError(f"{where}/possible_answer/{file.name}: no possible answer for {sample.id}")
            sample.ground_truth = answers[sample.id]
    return samples


def _answers(folder: Traversable, name: str, where: str) -> dict[str, list[dict[str, Any]]]:
    file = folder.joinpath("possible_answer").joinpath(name)
    if not file.is_file():
        raise ConfigError(f"{where}/possible_answer/{name}: no such file (the AST categories need possible answers)")
    answers: dict[str, list[dict[str, Any]]] = {}
    for number, row in _json_lines(file, f"{where}/possible_answer/{name}"):
        if not isinstance(row, dict) or not isinstance(row.get("ground_truth"), list):
            raise ConfigError(f"{where}/possible_answer/{name}:{number}: expected an object with a 'ground_truth' list")
        answers[str(row.get("id"))] = row["ground_truth"]
    return answers


__all__ = [
    "CATEGORIES",
    "DEFAULT_CATEGORIES",
    "BfclSample",
    "Category",
    "ChatTurn",
    "data_source",
    "find_file",
    "load_category",
    "package_data",
    "select_categories",
]
