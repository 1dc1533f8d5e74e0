"""TaskBench's own prompting protocol (upstream ``taskbench/inference.py``), as a baseline system.

What it does, following the protocol described in the TaskBench README of this project's
data folder (the wording of the prompt is ours; its structure and content are upstream's):

* one user message, no system prompt: ``# TASK LIST #`` with one JSON object per tool of
  ``tool_desc.json`` (dailylifeapis: parameter objects reduced to their names), a
  ``# GOAL #`` paragraph with the result schema, ``# REQUIREMENTS #``, optional fixed
  in-context examples (``# EXAMPLE #``), then ``# USER REQUEST #`` and ``# RESULT #:``;
* free-form generation (no grammar, no schema), max 2000 new tokens;
* parsing: newlines and backslashes removed, the text after ``RESULT #:`` kept, the span
  from the first ``{`` to the last ``}`` parsed as JSON; anything else is a failed sample.

Sampling is upstream's: temperature 0.2, top_p 0.1, presence penalty 1.05 (a local
llama.cpp model samples with a fixed seed, so a run is repeatable in one process order).
The optional reformat round (``reformat=True``) asks the same model to rewrite an
unparseable answer, as upstream ``--reformat true --reformat_by self``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentkit.bench.taskbench_data import Dependency, gold_file, load_gold, load_user_requests
from agentkit.errors import ConfigError, ModelError
from agentkit.models import ChatModel, GenerationSettings, Message, Usage

# Upstream's fixed demo ids per domain style (``--use_demos N`` takes the first N).
DEMO_IDS: dict[str, tuple[str, ...]] = {
    "temporal": ("38563456", "27267145", "91005535"),
    "huggingface": ("10523150", "14611002", "22067492"),
    "multimedia": ("30934207", "20566230", "19003517"),
}

_RESOURCE_SCHEMA = (
    '{"task_steps": [ step description of one or more steps ], "task_nodes": [{"task": "tool name, '
    'must be from # TASK LIST #", "arguments": [ a concise list of arguments for the tool: original text '
    "from the request, a file name the user mentioned, or the tag '<node-j>' (counting from 0) for the "
    "output of the j-th node ]}]}"
)
_TEMPORAL_SCHEMA = (
    '{"task_steps": [ "concrete steps, written as Step x: Call xxx tool with xxx: \'xxx\' and xxx: \'xxx\'" ], '
    '"task_nodes": [{"task": "task name, must be from # TASK LIST #", "arguments": [ {"name": "parameter '
    'name", "value": "parameter value: text the user gave, or the name of the tool whose result this node '
    'needs"} ]}], "task_links": [{"source": "task name i", "target": "task name j"}]}'
)
_RESOURCE_REQUIREMENTS = (
    "1. the task steps and task nodes must fully solve the # USER REQUEST #; every task name must come from "
    "the # TASK LIST #;\n"
    "2. the task steps must correspond one to one with the task nodes: as many steps as nodes;\n"
    "3. the dependencies between task steps must match the argument dependencies of the task nodes;\n"
    "4. the arguments of a tool must match its input-type in the # TASK LIST #;"
)
_TEMPORAL_REQUIREMENTS = (
    "1. the task steps and task nodes must fully solve the # USER REQUEST #; every task name must come from "
    "the # TASK LIST #;\n"
    "2. the task steps must correspond one to one with the task nodes: as many steps as nodes;\n"
    "3. the task links (task_links) must express the temporal dependencies among the task nodes, i.e. the "
    "order in which the APIs are called;"
)


class UnparseableOutput(ModelError):
    """The model's answer holds no JSON object (upstream writes nothing for such a request)."""

    def __init__(self, message: str, *, raw: str = ""):
        super().__init__(message)
        self.raw = raw


def tool_list(tool_desc: Path) -> tuple[list[dict[str, Any]], Dependency]:
    """The tool objects shown in ``# TASK LIST #`` and the domain's dependency style."""
    try:
        nodes = json.loads(tool_desc.read_text(encoding="utf-8"))["nodes"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{tool_desc}: cannot read the tool list ({exc})") from None
    temporal = any(isinstance(node, dict) and "parameters" in node for node in nodes)
    if not temporal:
        return [dict(node) for node in nodes], "resource"
    shown = []
    for node in nodes:
        node = dict(node)
        node["parameters"] = [p["name"] if isinstance(p, dict) else p for p in node.get("parameters", [])]
        shown.append(node)
    return shown, "temporal"


def build_prompt(tools: Sequence[dict[str, Any]], request: str, dependency: Dependency, demos: Sequence[dict[str, Any]] = ()) -> str:
    """The single user message of the protocol."""
    task_list = "# TASK LIST #:\n" + "".join(json.dumps(tool) + "\n" for tool in tools)
    schema = _TEMPORAL_SCHEMA if dependency == "temporal" else _RESOURCE_SCHEMA
    requirements = _TEMPORAL_REQUIREMENTS if dependency == "temporal" else _RESOURCE_REQUIREMENTS
    prompt = (
        "\n# GOAL #: Using the tools above, generate the task steps and task nodes that solve the # USER REQUEST #. "
        f"The answer must be strict JSON, like: {schema}"
        f"\n\n# REQUIREMENTS #:\n{requirements}"
    )
    if demos:
        prompt += "\n"
        for demo in demos:
            prompt += f"\n# EXAMPLE #:\n# USER REQUEST #: {demo['user_request']}\n# RESULT #: {json.dumps(demo['result'])}"
    prompt += f"\n\n# USER REQUEST #: {request}\nnow please generate your result in a strict JSON format:\n# RESULT #:"
    return task_list + prompt


def parse_output(text: str, marker: str = "RESULT #:") -> dict[str, Any]:
    """Upstream's parsing: drop newlines and backslashes, keep what follows ``marker``, first '{' to last '}'."""
    content = text.replace("\n", "").replace("\\_", "_").replace("\\", "")
    at = content.find(marker)
    if at != -1:
        content = content[at + len(marker) :]
    start, end = content.find("{"), content.rfind("}")
    if start == -1 or end <= start:
        raise UnparseableOutput(f"no JSON object in the answer: {text[:200]!r}", raw=text)
    try:
        value = json.loads(content[start : end + 1])
    except json.JSONDecodeError as exc:
        raise UnparseableOutput(f"the answer is not valid JSON ({exc.msg} at {exc.pos}): {text[:200]!r}", raw=text) from None
    if not isinstance(value, dict):
        raise UnparseableOutput(f"the answer is JSON but not an object: {text[:200]!r}", raw=text)
    return value


def reformat_prompt(answer: str, dependency: Dependency) -> str:
    schema = _TEMPORAL_SCHEMA if dependency == "temporal" else _RESOURCE_SCHEMA
    return (
        "Rewrite the result # RESULT # below in strict JSON, # STRICT JSON FORMAT #.\nRequirements:\n"
        "1. keep the meaning of the task steps, task nodes and task links unchanged;\n"
        "2. the output must load with json.loads(): no irregular formatting, matched brackets, compact;\n"
        f"3. use exactly this schema: {schema}\n# RESULT #:{answer.replace(chr(10), '')}\n# STRICT JSON FORMAT #:"
    )


def load_demos(data_dir: Path, dependency: Dependency, count: int) -> list[dict[str, Any]]:
    """Upstream's first ``count`` fixed demos for the domain, from its gold file and user requests."""
    if count <= 0:
        return []
    if count > 3:
        raise ConfigError(f"--demos takes 0 to 3 (upstream has three fixed demos per domain), got {count}")
    key = "temporal" if dependency == "temporal" else next((d for d in ("huggingface", "multimedia") if d in str(data_dir.resolve())), None)
    if key is None:
        raise ConfigError(f"{data_dir}: demos need a huggingface, multimedia or dailylifeapis folder (named so)")
    wanted = DEMO_IDS[key][:count]
    golds = {g.id: g for g in load_gold(data_dir)}
    requests_path = gold_file(data_dir).parent / "user_requests.jsonl"
    requests = load_user_requests(requests_path) if requests_path.is_file() else {}
    demos = []
    for demo_id in wanted:
        gold = golds.get(demo_id)
        if gold is None:
            raise ConfigError(f"{data_dir}: upstream demo id {demo_id} is not in the gold file")
        result: dict[str, Any] = {"task_steps": gold.task_steps, "task_nodes": gold.task_nodes}
        if dependency == "temporal":
            result["task_links"] = gold.task_links
        demos.append({"id": demo_id, "user_request": requests.get(demo_id) or gold.instruction or "", "result": result})
    return demos


class ReferenceSystem:
    """TaskBench's inference protocol over one domain, with any agentkit chat model."""

    name = "reference"

    def __init__(
        self,
        data_dir: str | Path,
        model: ChatModel,
        *,
        demos: int = 0,
        reformat: bool = False,
        max_tokens: int = 2000,
        temperature: float = 0.2,
        top_p: float = 0.1,
        presence_penalty: float = 1.05,
    ):
        self.data_dir = Path(data_dir)
        self.model = model
        self.tools, self.dependency = tool_list(gold_file(self.data_dir).parent / "tool_desc.json")
        self.demos = load_demos(self.data_dir, self.dependency, demos)
        self.reformat = reformat
        self.max_tokens = max_tokens
        self.settings = GenerationSettings(
            max_tokens=max_tokens, temperature=temperature, top_p=top_p, presence_penalty=presence_penalty
        )

    @property
    def excluded_ids(self) -> set[str]:
        """Demo samples: shown to the model, so not scored."""
        return {demo["id"] for demo in self.demos}

    def prompt(self, request: str) -> str:
        return build_prompt(self.tools, request, self.dependency, self.demos)

    async def predict(self, request: str, *, sample_id: str | None = None) -> tuple[dict[str, Any], Usage]:
        """The parsed ``result`` object (as the model wrote it) and the usage of the call(s)."""
        messages = [Message(role="user", content=self.prompt(request))]
        completion = await self.model.complete(messages, settings=self.settings)
        usage = completion.usage
        try:
            return parse_output(completion.text), usage
        except UnparseableOutput:
            if not self.reformat:
                raise
        again = [Message(role="user", content=reformat_prompt(completion.text, self.dependency))]
        second = await self.model.complete(again, settings=self.settings)
        return parse_output(second.text, marker="STRICT JSON FORMAT #:"), usage + second.usage


__all__ = ["DEMO_IDS", "ReferenceSystem", "UnparseableOutput", "build_prompt", "load_demos", "parse_output", "tool_list"]
