"""MCP tool sources as data: the ``mcp.json`` format, ``mcp:URL``, and the errors of MCP sources.

Kept apart from :mod:`agentkit.mcp_client` (the live sessions) so that telling whether a source is
MCP, and validating it, needs neither the SDK nor a running server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import AgentkitError, ConfigError, ToolLoadError

MCP_PREFIX = "mcp:"
INSTALL_HINT = "MCP tools need the mcp extra: pip install 'agentkit[mcp]'"


class MCPConnectionError(ConfigError):
    """An MCP server that cannot be started or reached, or whose tools cannot be listed."""


class MCPToolError(AgentkitError):
    """An MCP tool answered with ``isError``: the tool failed (the executor then tries the next tool)."""


class MCPServerGone(MCPToolError):
    """The server's connection closed or it stopped answering in the middle of a run."""


class MCPServerConfig(BaseModel):
    """One entry of ``mcpServers``: a command to run over stdio, or the URL of a streamable-HTTP server.

    Keys other clients use (``type``, ``alwaysAllow``, ...) are ignored; ``disabled: true`` skips the server.
    ``cwd`` defaults to the folder of the config file, so relative script paths work. ``timeout``
    bounds every call (seconds); ``start_timeout`` the start-up and the tool listing.
    """

    model_config = ConfigDict(extra="ignore")

    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout: float = Field(default=60.0, gt=0)
    start_timeout: float = Field(default=30.0, gt=0)
    disabled: bool = False

    @model_validator(mode="after")
    def _one_transport(self) -> MCPServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("give either 'command' (a stdio server) or 'url' (a streamable-HTTP server)")
        if self.url is not None and not self.url.startswith(("http://", "https://")):
            raise ValueError(f"'url' must start with http:// or https://, got {self.url!r}")
        return self


class MCPConfig(BaseModel):
    """The usual ``mcp.json``: ``{"mcpServers": {name: MCPServerConfig}}``."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    servers: dict[str, MCPServerConfig] = Field(alias="mcpServers")


def is_mcp_source(source: Any) -> bool:
    """``mcp:URL``, an MCP config dict/model, or a ``.json`` file with a top-level ``mcpServers`` key."""
    if isinstance(source, MCPConfig) or (isinstance(source, dict) and "mcpServers" in source):
        return True
    if not isinstance(source, str | Path):
        return False
    text = str(source)
    if text.startswith(MCP_PREFIX):
        return True
    path = Path(text)
    if path.suffix != ".json" or not path.is_file():
        return False
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # not JSON this reader can follow: another loader says why
        return False
    return isinstance(data, dict) and "mcpServers" in data


def parse_mcp_source(source: str | Path | dict[str, Any] | MCPConfig) -> tuple[str, MCPConfig]:
    """A source's description (for messages) and its validated config; ConfigError when malformed."""
    if isinstance(source, MCPConfig):
        return "<mcp config>", source
    if isinstance(source, str) and source.startswith(MCP_PREFIX):
        url = source[len(MCP_PREFIX) :]
        return source, _validated({"mcpServers": {_name_from_url(url): {"url": url}}}, source)
    if isinstance(source, dict):
        return "<mcp config>", _validated(source, "<mcp config>")
    path = Path(source)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ToolLoadError("file not found", source=str(path)) from None
    except (OSError, ValueError, RecursionError) as exc:
        problem = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise ToolLoadError(f"not a readable JSON file: {problem}", source=str(path)) from None
    config = _validated(data, str(path))
    folder = str(path.resolve().parent)
    for server in config.servers.values():
        if server.command is not None and server.cwd is None:
            server.cwd = folder
    return str(path), config


def _validated(data: Any, where: str) -> MCPConfig:
    try:
        return MCPConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<root>'}: {e['msg']}" for e in exc.errors())
        raise ToolLoadError(f"invalid MCP config: {problems}", source=where) from None


def _name_from_url(url: str) -> str:
    from urllib.parse import urlparse

    return urlparse(url).netloc or url



__all__ = [
    "INSTALL_HINT",
    "MCP_PREFIX",
    "MCPConfig",
    "MCPConnectionError",
    "MCPServerConfig",
    "MCPServerGone",
    "MCPToolError",
    "is_mcp_source",
    "parse_mcp_source",
]
