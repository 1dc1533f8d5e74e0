"""Helpers shared by the test modules: CLI error checks, JSONL files, real llama.cpp grammars, bench fakes.

Test modules import this as ``helpers`` (pytest puts ``tests/`` on ``sys.path``); Ray workers do too, which
is why the fake TaskBench planner lives here and not in a test module.
"""

from __future__ import annotations

import ctypes
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
TEMPORAL = FIXTURES / "taskbench_mini" / "temporal"
RESOURCE = FIXTURES / "taskbench_mini" / "resource"


# -- the CLI ---------------------------------------------------------------------------------


def cli_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``agentkit ARGS`` run in-process through the console entry point."""
    from agentkit.cli import main

    with pytest.raises(SystemExit) as exited:
        main(list(args))
        raise SystemExit(0)
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


def assert_one_error_line(code: int | Any, err: str | None = None, *fragments: str, exit_code: int = 2, single: bool = True) -> None:
    """The CLI failed with ``exit_code`` and said why in one ``error: ...`` line, never a traceback.

    ``code`` is an exit code (with ``err``, the captured stderr) or a typer ``Result``; ``single=False``
    allows continuation lines (an error that lists the accepted forms).
    """
    if not isinstance(code, int):  # a CliRunner result: its stderr is the error
        result, fragments = code, ((err,) if err is not None else ()) + fragments
        code, err = result.exit_code, result.stderr
        assert "Traceback" not in result.output, result.output
    assert code == exit_code, (code, err)
    text = (err or "").strip()
    lines = text.splitlines()
    assert lines and lines[0].startswith("error: ") and (not single or len(lines) == 1), err
    assert "Traceback" not in text and "╭" not in text, err
    for fragment in fragments:
        assert fragment in (lines[0] if single else text), text


# -- OpenAI-compatible servers -------------------------------------------------------------


def recording_openai_server(refuse_strict: bool = False):
    """An httpx transport that answers chat completions with {"ok": true} and records each request body."""
    import httpx

    seen: list[dict] = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if refuse_strict and body.get("response_format", {}).get("json_schema", {}).get("strict"):
            return httpx.Response(400, json={"error": {"message": "strict mode is not supported", "type": "invalid_request_error"}})
        return httpx.Response(200, json={
            "id": "x", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": '{"ok": true}'}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
        })  # fmt: skip

    return httpx.AsyncClient(transport=httpx.MockTransport(handle)), seen


# -- files -----------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file, one per non-blank line."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


# -- real llama.cpp grammars -----------------------------------------------------------------


class GrammarChecker:
    """GBNF grammars initialised by llama.cpp itself against the default model's real vocabulary.

    ``LlamaGrammar.from_string`` only stores the text, so it accepts anything; here llama.cpp parses
    the grammar (a NULL sampler means it rejected it) and runs it over the tokens of real strings.
    The GGUF is opened with ``vocab_only`` (no weights, about 2 s).
    """

    def __init__(self, gguf: Path):
        import llama_cpp

        self._ll = llama_cpp
        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        self._model = llama_cpp.llama_model_load_from_file(str(gguf).encode(), params)
        assert self._model, f"llama.cpp could not open {gguf}"
        self.vocab = llama_cpp.llama_model_get_vocab(self._model)
        self.eos = llama_cpp.llama_vocab_eos(self.vocab)

    def close(self) -> None:
        if self._model:
            self._ll.llama_model_free(self._model)
            self._model = None

    def sampler(self, gbnf: str) -> Any:
        """A llama.cpp grammar sampler for ``gbnf``; fails the test when llama.cpp rejects the grammar."""
        sampler = self._ll.llama_sampler_init_grammar(self.vocab, gbnf.encode(), b"root")
        assert sampler, "llama.cpp rejected the grammar (NULL sampler)"
        return sampler

    def initialises(self, gbnf: str) -> bool:
        sampler = self._ll.llama_sampler_init_grammar(self.vocab, gbnf.encode(), b"root")
        if sampler:
            self._ll.llama_sampler_free(sampler)
        return bool(sampler)

    def tokens(self, text: str) -> list[int]:
        data = text.encode()
        buf = (self._ll.llama_token * (len(data) + 8))()
        n = self._ll.llama_tokenize(self.vocab, data, len(data), buf, len(buf), False, False)
        assert n >= 0, f"tokenizing {text!r} failed"
        return list(buf[:n])

    def _allowed(self, sampler: Any, token: int) -> bool:
        data = (self._ll.llama_token_data * 1)()
        data[0].id, data[0].logit, data[0].p = token, 0.0, 0.0
        arr = self._ll.llama_token_data_array(data=data, size=1, selected=-1, sorted=False)
        self._ll.llama_sampler_apply(sampler, ctypes.byref(arr))
        return data[0].logit != float("-inf")

    def accepts(self, gbnf: str, text: str) -> bool:
        """Whether the grammar allows ``text`` token by token and then allows it to end (EOS)."""
        sampler = self.sampler(gbnf)
        try:
            for token in self.tokens(text):
                if not self._allowed(sampler, token):
                    return False
                self._ll.llama_sampler_accept(sampler, token)
            return self._allowed(sampler, self.eos)
        finally:
            self._ll.llama_sampler_free(sampler)


# -- a fake TaskBench planner (bench tests; Ray workers unpickle it from here) ----------------

# Gold-like plans per request of the fixtures (agentkit form: arguments by parameter name).
PLANS: dict[str, dict[str, Any]] = {
    "Wake me at 9.": {
        "task_steps": ["Set an alarm for 9:00 am"],
        "task_nodes": [{"task": "set_alarm", "arguments": {"time": "9:00 am"}}],
        "task_links": [],
    },
    "Alarm at 7, then Inception.": {
        "task_steps": ["Set an alarm for 7:00 am", "Play Inception"],
        "task_nodes": [
            {"task": "set_alarm", "arguments": {"time": "7:00 am"}},
            {"task": "play_movie_by_title", "arguments": {"title": "Inception"}},
        ],
        "task_links": [{"source": "set_alarm", "target": "play_movie_by_title"}],
    },
    "Mail Bob the Paris weather.": {
        "task_steps": ["Get the weather in Paris", "Email it to Bob"],
        "task_nodes": [
            {"task": "get_weather", "arguments": {"location": "Paris", "date": "2024-05-01"}},
            {"task": "send_email", "arguments": {"to": "bob@example.com", "subject": "Weather"}},
        ],
        "task_links": [{"source": "get_weather", "target": "send_email"}],
    },
    "Ride to the airport, tell Amy.": {
        "task_steps": ["Email Amy about the ride"],
        "task_nodes": [{"task": "send_email", "arguments": {"to": "amy@example.com", "subject": "Ride"}}],
        "task_links": [],
    },
}
RESOURCE_PLANS: dict[str, dict[str, Any]] = {
    "What is in photo.jpg?": {
        "task_steps": ["Classify photo.jpg"],
        "task_nodes": [{"task": "Image Classification", "arguments": {"image": "photo.jpg"}}],
        "task_links": [],
    },
    "Translate and read aloud.": {
        "task_steps": ["Translate", "Speak"],
        "task_nodes": [
            {"task": "Translation", "arguments": {"text": "Bonjour le monde"}},
            {"task": "Text-to-Speech", "arguments": {"text": "<node-0>"}},
        ],
        "task_links": [],
    },
}
FAILING = {"Mail Bob the Paris weather."}


def request_of(messages: list[Any]) -> str:
    text = messages[0].content
    if "# USER REQUEST #: " in text:  # reference protocol
        return text.rsplit("# USER REQUEST #: ", 1)[1].split("\n", 1)[0]
    return text.rsplit("# REQUEST #\n", 1)[1].split("\n", 1)[0]


class Planner:
    """A fake planner model: gold-like plans keyed by request, optional failures, call counts."""

    def __init__(self, fail: set[str] = frozenset()):
        self.fail = set(fail)
        self.calls: Counter[str] = Counter()

    def __call__(self, messages: list[Any], schema: dict[str, Any] | None) -> Any:
        request = request_of(messages)
        self.calls[request] += 1
        if request in self.fail:
            raise RuntimeError(f"model crashed on {request!r}")
        plan = PLANS.get(request) or RESOURCE_PLANS[request]
        if schema is None:  # reference: free text around TaskBench's result object
            nodes = [
                {"task": n["task"], "arguments": [{"name": k, "value": v} for k, v in n["arguments"].items()]}
                if request in PLANS
                else {"task": n["task"], "arguments": list(n["arguments"].values())}
                for n in plan["task_nodes"]
            ]
            result = {"task_steps": plan["task_steps"], "task_nodes": nodes, "task_links": plan["task_links"]}
            return "Sure, here it is.\n# RESULT #: " + json.dumps(result, indent=1) + "\nHope this helps."
        if "task_nodes" not in schema.get("properties", {}):
            return {"task_steps": plan["task_steps"]}
        return {"task_nodes": plan["task_nodes"], "task_links": plan["task_links"]}


# -- minimal valid instances of bounded JSON Schemas ------------------------------------------

_STRING_CANDIDATES = ("x", "1", "<node-0>", "2024-01-01", "a.jpg", "a.wav", "a.mp4", "a.txt", "")


def example_of(schema: dict[str, Any]) -> Any:
    """A small instance of ``schema``: required keys only (in schema order, as llama.cpp's grammars
    expect them), the first option of each choice, the fewest items allowed."""
    import regex

    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return example_of(schema[key][0])
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", ()))
        return {k: example_of(v) for k, v in schema.get("properties", {}).items() if k in required}
    if kind == "array":
        items = [example_of(s) for s in schema.get("prefixItems", ())]
        while len(items) < schema.get("minItems", 0):
            items.append(example_of(schema["items"]))
        return items
    if kind == "string":
        pattern = schema.get("pattern")
        fits = [c for c in _STRING_CANDIDATES if pattern is None or regex.search(pattern, c)]
        assert fits, f"no candidate string matches {pattern!r}"
        return fits[0]
    return {"integer": 1, "number": 1.5, "boolean": True, "null": None}[kind]


class Refuser:
    """A fake BFCL caller that refuses every question ({"function": "none"}): right on irrelevance only.
    Lives here so Ray workers can unpickle it."""

    def __call__(self, messages: list[Any], schema: dict[str, Any] | None) -> Any:
        return {"function": "none"}
