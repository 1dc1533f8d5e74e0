"""agentkit: retrieve tools, plan a tool graph, pick a path with A*, execute on LangGraph, summarise.

The public API is what ``__all__`` lists here, and the ``__all__`` of the public modules:
``agentkit.events``, ``agentkit.testing``, ``agentkit.examples``, ``agentkit.models``,
``agentkit.tools``, ``agentkit.planners``, ``agentkit.retrieval``, ``agentkit.sources``,
``agentkit.config``, ``agentkit.mcp_client``, ``agentkit.langchain_tools``, ``agentkit.sanitize``,
``agentkit.bench.kit`` and ``agentkit.bench.runner`` (extension points, test helpers, the benchmark
kit). Every other module is an implementation detail, even without a leading underscore.
"""

from .errors import (
    AgentkitError,
    ConfigError,
    GrammarConversionError,
    ModelError,
    ModelSpecError,
    PlanError,
    RunCancelledError,
    RunError,
    StructuredOutputError,
    ToolArgumentError,
    ToolDefinitionError,
    ToolExecutionError,
    ToolLoadError,
    ToolTimeoutError,
    UnknownToolError,
    UnsolvableError,
)
from .agent import Agent
from .executor import ExecutionPolicy
from .sources import LoadedTools, load_tools
from .models import ChatModel, Completion, Message, Usage, load_model, parse_model_spec
from .plan import TaskLink, TaskNode, TaskPlan
from .registry import ToolRegistry
from .result import NodeResult, NodeStatus, RunResult, RunStatus
from .tool import Tool, ToolPrior, tool
from .toolgraph import ToolGraph

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "AgentkitError",
    "ChatModel",
    "Completion",
    "ConfigError",
    "ExecutionPolicy",
    "Message",
    "ModelError",
    "ModelSpecError",
    "NodeResult",
    "NodeStatus",
    "PlanError",
    "RunCancelledError",
    "RunError",
    "RunResult",
    "RunStatus",
    "StructuredOutputError",
    "TaskLink",
    "TaskNode",
    "TaskPlan",
    "Tool",
    "ToolArgumentError",
    "ToolDefinitionError",
    "ToolExecutionError",
    "ToolGraph",
    "ToolLoadError",
    "ToolPrior",
    "ToolRegistry",
    "ToolTimeoutError",
    "UnknownToolError",
    "GrammarConversionError",
    "LoadedTools",
    "UnsolvableError",
    "Usage",
    "load_model",
    "load_tools",
    "parse_model_spec",
    "tool",
    "__version__",
]
