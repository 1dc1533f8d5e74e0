"""Open registries: the one mechanism behind model backends, planners, tool packs and retrievers.

Each layer owns one :class:`Registry` (``agentkit.models.register_backend``,
``agentkit.planners.register_planner``, ``agentkit.tools.register_pack``,
``agentkit.retrieval.register_retriever``); config validation, CLI choices and ``--help``
read them. An installed package adds to them without being imported by anyone, through
Python entry points (:data:`ENTRY_POINT_GROUPS`), e.g. in its ``pyproject.toml``::

    [project.entry-points."agentkit.planners"]
    my-planner = "my_package.planning:MyPlanner"

Names registered in code win over entry points of the same name; built-ins are
registered as ``"module:attribute"`` strings, so a heavy backend is imported only when used.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

from .errors import ConfigError

log = logging.getLogger("agentkit.plugins")

T = TypeVar("T")

#: The entry-point group each registry reads.
ENTRY_POINT_GROUPS = {
    "backend": "agentkit.backends",
    "planner": "agentkit.planners",
    "pack": "agentkit.packs",
    "retriever": "agentkit.retrievers",
}


class PluginError(ConfigError):
    """A registered name whose object cannot be imported (a broken plugin or entry point)."""


def _import(target: str) -> object:
    """The object named ``"module:attribute"`` (attribute may be dotted)."""
    module, _, attribute = target.partition(":")
    obj: object = importlib.import_module(module)
    for part in filter(None, attribute.split(".")):
        obj = getattr(obj, part)
    return obj


class Registry(Generic[T]):
    """Names to objects of one kind: registered in code, by ``"module:attribute"``, or by entry point.

    ``kind`` names the kind in errors ("unknown planner 'x' (known: ...)"); ``group`` is
    the entry-point group searched for names not registered in code. Thread-safe.
    """

    def __init__(self, kind: str, group: str, *, known: str = "known"):
        self.kind = kind
        self.group = group
        self.known = known  # the label of the list of names in errors ("known packs")
        self._objects: dict[str, T] = {}
        self._lazy: dict[str, str] = {}
        self._order: dict[str, None] = {}  # registration order, kept when a lazy entry is imported
        self._lock = threading.Lock()

    def register(self, name: str, obj: T | str, *, replace: bool = True) -> None:
        """Add ``name``; ``obj`` may be the object or a ``"module:attribute"`` string imported on first use.

        With ``replace=False`` an existing name is a ValueError (a programming error).
        """
        if not isinstance(name, str) or not name.strip() or ":" in name:
            raise ValueError(f"a {self.kind} name is a non-empty string without ':', got {name!r}")
        with self._lock:
            if not replace and (name in self._objects or name in self._lazy):
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._objects.pop(name, None)
            self._lazy.pop(name, None)
            self._order.pop(name, None)
            self._order[name] = None
            if isinstance(obj, str):
                self._lazy[name] = obj
            else:
                self._objects[name] = obj

    def unregister(self, name: str) -> None:
        """Remove ``name`` if it was registered in code (entry points stay discoverable)."""
        with self._lock:
            self._objects.pop(name, None)
            self._lazy.pop(name, None)
            self._order.pop(name, None)

    def _entry_points(self) -> dict[str, importlib.metadata.EntryPoint]:
        return {ep.name: ep for ep in importlib.metadata.entry_points(group=self.group)}

    def names(self) -> list[str]:
        """Every known name: registered ones in registration order, then installed plugins' (sorted)."""
        with self._lock:
            known = [n for n in self._order if n in self._objects or n in self._lazy]
        return known + sorted(set(self._entry_points()) - set(known))

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        with self._lock:
            if name in self._objects or name in self._lazy:
                return True
        return name in self._entry_points()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def unknown(self, name: str) -> ConfigError:
        """The error for a name that is not registered, listing the known ones."""
        return ConfigError(f"unknown {self.kind} {name!r} ({self.known}: {', '.join(self.names())})")

    def get(self, name: str) -> T:
        """The object registered as ``name``; ConfigError when unknown, PluginError when it cannot be imported."""
        with self._lock:
            if name in self._objects:
                return self._objects[name]
            target = self._lazy.get(name)
        if target is None:
            ep = self._entry_points().get(name)
            if ep is None:
                raise self.unknown(name)
            target = ep.value
        try:
            obj: T = _import(target)  # type: ignore[assignment]
        except Exception as exc:  # any failure inside a plugin's import is the plugin's problem
            raise PluginError(f"{self.kind} {name!r} ({target}) cannot be loaded: {type(exc).__name__}: {exc}") from None
        with self._lock:
            if name not in self._objects:
                self._lazy.pop(name, None)
                self._objects[name] = obj
            return self._objects[name]


__all__ = ["ENTRY_POINT_GROUPS", "PluginError", "Registry"]
