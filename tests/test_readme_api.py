"""The public API rule: what the README imports exists, where the README says, and is listed as public there."""

import importlib
import re
import typing
from pathlib import Path

import pytest

import agentkit
import agentkit.events

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")

#: Modules whose ``__all__`` is public API (besides ``agentkit`` itself); the rest are internal.
PUBLIC_MODULES = (
    "agentkit.events", "agentkit.testing", "agentkit.examples", "agentkit.models", "agentkit.tools",
    "agentkit.planners", "agentkit.retrieval", "agentkit.sources", "agentkit.config", "agentkit.mcp_client",
    "agentkit.langchain_tools", "agentkit.bench.kit", "agentkit.bench.runner", "agentkit.sanitize",
)  # fmt: skip

IMPORTS = re.findall(r"^\s*from (agentkit[\w.]*) import ([\w, ]+)$", README, re.M)
# Span attribute and event names (agentkit.run.status, ...) look dotted too: they are what telemetry emits, not Python.
SPAN_NAMES = set(re.findall(r'"(agentkit\.[\w.]+)"', (Path(__file__).parent.parent / "agentkit" / "telemetry.py").read_text()))
DOTTED = sorted(set(re.findall(r"`(agentkit(?:\.\w+)+)(?:\([^`]*\))?`", README)) - {"agentkit.toml"} - SPAN_NAMES)


def test_the_readme_shows_every_public_module():
    shown = {module for module, _ in IMPORTS} | {".".join(d.split(".")[:2]) for d in DOTTED}
    assert set(PUBLIC_MODULES) <= shown


@pytest.mark.parametrize("module", ["agentkit", *PUBLIC_MODULES])
def test_every_public_module_lists_what_it_exports(module):
    imported = importlib.import_module(module)
    assert imported.__all__ and all(hasattr(imported, name) for name in imported.__all__)


@pytest.mark.parametrize(("module", "names"), IMPORTS, ids=[m for m, _ in IMPORTS])
def test_every_name_the_readme_imports_is_public_where_the_readme_says(module, names):
    assert module == "agentkit" or module in PUBLIC_MODULES, f"{module} is not a public module"
    exported = importlib.import_module(module).__all__
    missing = [name.strip() for name in names.split(",") if name.strip() not in exported]
    assert not missing, f"{module} does not export {missing}"


@pytest.mark.parametrize("dotted", DOTTED)
def test_every_dotted_name_in_the_readme_resolves(dotted):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return
    pytest.fail(f"{dotted} does not import")


def test_every_event_stream_yields_is_exported():
    union = typing.get_args(agentkit.events.Event)[0]
    assert {cls.__name__ for cls in typing.get_args(union)} <= set(agentkit.events.__all__)
