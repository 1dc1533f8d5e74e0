"""ToolRegistry: the pool of tools an agent may use, looked up by name."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .errors import ToolDefinitionError, UnknownToolError
from .tool import Tool


class ToolRegistry:
    """An ordered set of uniquely named tools.

    Duplicate names are rejected (two tools with one name make plans ambiguous).
    """

    def __init__(self, tools: Iterable[Tool] = ()):
        self._tools: dict[str, Tool] = {}
        for t in tools:
            self.add(t)

    def add(self, t: Tool) -> Tool:
        if not isinstance(t, Tool):
            from .langchain_tools import as_tool

            t = as_tool(t)  # a LangChain BaseTool is converted; anything else is a ToolDefinitionError
        if t.name in self._tools:
            raise ToolDefinitionError(f"duplicate tool name {t.name!r}")
        self._tools[t.name] = t
        return t

    def extend(self, tools: Iterable[Tool]) -> None:
        for t in tools:
            self.add(t)

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except (KeyError, TypeError):  # TypeError: an unhashable "name" (a list from a bad plan or file)
            shown = name if isinstance(name, str) else repr(name)[:80]
            raise UnknownToolError(shown, list(self._tools) if isinstance(name, str) else None) from None

    __getitem__ = get

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"ToolRegistry({len(self)} tools)"

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def filter(
        self,
        predicate: Callable[[Tool], bool] | None = None,
        *,
        input_type: str | None = None,
        output_type: str | None = None,
        executable: bool | None = None,
        category: str | None = None,
    ) -> ToolRegistry:
        """A new registry with the tools that match every given condition."""

        def keep(t: Tool) -> bool:
            return (
                (predicate is None or predicate(t))
                and (input_type is None or input_type in t.input_types)
                and (output_type is None or output_type in t.output_types)
                and (executable is None or t.executable == executable)
                and (category is None or t.category == category)
            )

        return ToolRegistry(t for t in self if keep(t))

    def subset(self, names: Iterable[str]) -> ToolRegistry:
        """A new registry holding ``names`` (each must exist), in the given order."""
        return ToolRegistry(self.get(n) for n in names)

    def merge(self, other: ToolRegistry) -> ToolRegistry:
        """A new registry with this registry's tools followed by ``other``'s."""
        merged = ToolRegistry(self)
        merged.extend(other)
        return merged


__all__ = ["ToolRegistry"]
