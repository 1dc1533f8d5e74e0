"""Bad tool files, pack options and config files: one ``error:`` line and exit code 2, never a traceback.

Each case builds its input in a temporary folder and runs ``agentkit tools list`` in-process
through the console entry point (:func:`helpers.cli_main`), so usage errors, typed errors and
stray exceptions are all judged the way a user sees them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import assert_one_error_line, cli_main

from agentkit.errors import ToolLoadError
from agentkit.loaders import load_python_tools, load_taskbench_tools, load_tools

DEEP = "[" * 100_000 + "]" * 100_000
HUGE_INT = "1" + "0" * 5000


def _openai(**function: Any) -> str:
    return json.dumps([{"type": "function", "function": {"name": "t", "description": "d", **function}}])


def _file(name: str, content: str | bytes) -> Callable[[Path], list[str]]:
    """A case: write ``content`` to ``name`` and list the tools of that file."""

    def build(tmp: Path) -> list[str]:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return ["tools", "list", "--tools", str(path)]

    return build


def _taskbench(nodes: Any, links: Any = None, raw_graph: bytes | None = None) -> Callable[[Path], list[str]]:
    """A case: a TaskBench domain folder with these nodes (and graph_desc.json links)."""

    def build(tmp: Path) -> list[str]:
        domain = tmp / "domain"
        domain.mkdir()
        (domain / "tool_desc.json").write_text(json.dumps({"nodes": nodes}))
        if raw_graph is not None:
            (domain / "graph_desc.json").write_bytes(raw_graph)
        elif links is not None:
            (domain / "graph_desc.json").write_text(json.dumps({"links": links}))
        return ["tools", "list", "--tools", str(domain)]

    return build


def _config(content: str | bytes, name: str = "agentkit.toml") -> Callable[[Path], list[str]]:
    """A case: a config file given with --config."""

    def build(tmp: Path) -> list[str]:
        path = tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return ["tools", "list", "--config", str(path)]

    return build


def _args(*argv: str) -> Callable[[Path], list[str]]:
    return lambda tmp: [a.replace("{tmp}", str(tmp)) for a in argv]


def _fifo(tmp: Path) -> list[str]:
    path = tmp / "pipe.json"
    os.mkfifo(path)
    return ["tools", "list", "--tools", str(path)]


def _dir_named_json(tmp: Path) -> list[str]:
    (tmp / "tools.json").mkdir()
    return ["tools", "list", "--tools", str(tmp / "tools.json")]


def _config_dir(tmp: Path) -> list[str]:
    return ["tools", "list", "--config", str(tmp)]


def _config_fifo(tmp: Path) -> list[str]:
    path = tmp / "agentkit.toml"
    os.mkfifo(path)
    return ["tools", "list", "--config", str(path)]


NODE = {"id": "Ok", "desc": "d", "input-type": ["text"], "output-type": ["text"]}

CASES: dict[str, tuple[Callable[[Path], list[str]], str]] = {
    # JSON tool files (OpenAI format)
    "json-invalid-utf8": (_file("t.json", b'[{"name": "\xff\xfe"}]'), "not UTF-8"),
    "json-100000-nested-brackets": (_file("t.json", DEEP), "nested too deeply"),
    "json-syntax-error": (_file("t.json", '[{"name": }]'), "invalid JSON"),
    "json-empty-file": (_file("t.json", ""), "invalid JSON"),
    "json-huge-integer": (_file("t.json", f'[{{"name": "t", "x": {HUGE_INT}}}]'), "invalid JSON"),
    "json-top-level-number": (_file("t.json", "42"), "expected a list of tools"),
    "json-entry-not-an-object": (_file("t.json", '["calculator"]'), "expected an object"),
    "json-function-without-name": (_file("t.json", '[{"type": "function", "function": {"description": "d"}}]'), "name"),
    "json-name-is-a-list": (_file("t.json", '[{"name": ["a", "b"]}]'), "name"),
    "json-name-is-empty": (_file("t.json", _openai(name="")), "empty"),
    "json-name-with-escape": (_file("t.json", _openai(name="evil\x1b[31m")), "control"),
    "json-description-is-a-dict": (_file("t.json", _openai(description={"x": 1})), "description"),
    "json-parameters-is-a-list": (_file("t.json", _openai(parameters=[1, 2])), "parameters"),
    "json-parameters-type-array": (_file("t.json", _openai(parameters={"type": "array"})), "type 'object'"),
    "json-parameters-bad-type": (_file("t.json", _openai(parameters={"type": "object", "properties": {"a": {"type": 7}}})), "schema"),
    "json-parameters-bad-pattern": (_file("t.json", _openai(parameters={"type": "object", "properties": {"a": {"pattern": "(("}}})), "regular expression"),
    "json-remote-ref": (_file("t.json", _openai(parameters={"type": "object", "properties": {"a": {"$ref": "http://127.0.0.1:9/x"}}})), "not local"),
    "json-file-ref": (_file("t.json", _openai(parameters={"type": "object", "properties": {"a": {"$ref": "file:///etc/passwd"}}})), "not local"),
    "json-duplicate-names": (_file("t.json", '[{"name": "a"}, {"name": "a"}]'), "duplicate tool name"),
    "json-missing-file": (_args("tools", "list", "--tools", "{tmp}/missing.json"), "file not found"),
    "json-directory-named-json": (_dir_named_json, ""),
    "json-fifo-not-a-regular-file": (_fifo, "not a regular file"),
    # tools.jsonl
    "jsonl-invalid-utf8": (_file("t.jsonl", b'{"name": "a\xff"}\n'), "not UTF-8"),
    "jsonl-100000-nested-brackets": (_file("t.jsonl", DEEP + "\n"), "nested too deeply"),
    "jsonl-bad-line": (_file("t.jsonl", '{"name": "a"}\n{oops\n'), "line 2"),
    "jsonl-row-without-name": (_file("t.jsonl", '{"description": "d"}\n'), "string 'name'"),
    "jsonl-parameters-a-string": (_file("t.jsonl", '{"name": "a", "parameters": "x"}\n'), "parameters"),
    "jsonl-tool-field-a-dict": (_file("t.jsonl", '{"name": "a", "tool": {"x": 1}, "parameters": 5}\n'), "parameters"),
    "jsonl-category-a-list": (_file("t.jsonl", '{"name": "a", "category": [1]}\n'), "category"),
    # TaskBench domains
    "taskbench-without-nodes": (_file("d/tool_desc.json", '{"links": []}'), "'nodes' list"),
    "taskbench-node-without-id": (_taskbench([{"desc": "d"}]), "string 'id'"),
    "taskbench-node-id-a-number": (_taskbench([{"id": 3}]), "string 'id'"),
    "taskbench-parameters-not-a-list": (_taskbench([{"id": "a", "parameters": {"x": 1}}]), "must be a list"),
    "taskbench-parameter-without-name": (_taskbench([{"id": "a", "parameters": [{"type": "string"}]}]), "'name'"),
    "taskbench-parameter-name-a-list": (_taskbench([{"id": "a", "parameters": [{"name": ["x"]}]}]), "'name'"),
    "taskbench-input-type-not-a-list": (_taskbench([{"id": "a", "input-type": "text"}]), "lists of strings"),
    "taskbench-input-type-of-dicts": (_taskbench([{"id": "a", "input-type": [{"t": 1}]}]), "lists of strings"),
    "taskbench-links-not-a-list": (_taskbench([NODE], links={"a": "b"}), "'links' list"),
    "taskbench-link-source-a-list": (_taskbench([NODE], links=[{"source": ["Ok"], "target": "Ok"}]), "string 'source'"),
    "taskbench-link-to-unknown-tool": (_taskbench([NODE], links=[{"source": "Ok", "target": "Nope"}]), "unknown tool 'Nope'"),
    "taskbench-graph-invalid-utf8": (_taskbench([NODE], raw_graph=b'{"links": "\xff"}'), "not UTF-8"),
    "taskbench-graph-deeply-nested": (_taskbench([NODE], raw_graph=DEEP.encode()), "nested too deeply"),
    "taskbench-folder-without-tool-desc": (_args("tools", "list", "--tools", "{tmp}"), "no tool_desc.json"),
    # Python tool files
    "py-calls-sys-exit-0": (_file("t.py", "import sys\nsys.exit(0)\n"), "sys.exit(0)"),
    "py-raises-system-exit-3": (_file("t.py", "raise SystemExit(3)\n"), "sys.exit(3)"),
    "py-raises-keyboard-interrupt": (_file("t.py", "raise KeyboardInterrupt\n"), "KeyboardInterrupt"),
    "py-raises-value-error": (_file("t.py", "raise ValueError('boom')\n"), "ValueError: boom"),
    "py-syntax-error": (_file("t.py", "def (:\n"), "SyntaxError"),
    "py-no-tools": (_file("t.py", "x = 1\n"), "no @tool functions"),
    "py-tool-name-with-escape": (
        _file("t.py", "from agentkit import tool\n@tool(name='a\\x1b[2Jb')\ndef f(x: int) -> int:\n    return x\n"),
        "control",
    ),
    "py-missing-file": (_args("tools", "list", "--tools", "{tmp}/missing.py"), "file not found"),
    # packs and their options
    "pack-unknown": (_args("tools", "list", "--tools", "nosuchpack"), "unknown tool pack"),
    "pack-unknown-option": (_args("tools", "list", "--tools", "files:bogus=1"), "unknown option 'bogus'"),
    "pack-option-not-an-integer": (_args("tools", "list", "--tools", "files:max_entries=many"), "expected an integer"),
    "pack-option-not-a-boolean": (_args("tools", "list", "--tools", "data:writable=maybe"), "expected true or false"),
    "pack-root-missing": (_args("tools", "list", "--tools", "files:root=/no/such/dir"), "not a directory"),
    "pack-taskbench-without-folder": (_args("tools", "list", "--tools", "taskbench"), "domain folder"),
    "pack-math-takes-no-options": (_args("tools", "list", "--tools", "math:x=1"), "takes no options"),
    "pack-negative-max-rows": (_args("tools", "list", "--tools", "data:max_rows=-5"), "max_rows"),
    # config files
    "config-invalid-toml": (_config("model = \n"), "invalid TOML"),
    "config-invalid-utf8": (_config(b'model = "\xff"\n'), "not UTF-8"),
    "config-deeply-nested-array": (_config("tools = " + "[" * 100_000 + "]" * 100_000 + "\n"), "config file"),
    "config-unknown-key": (_config('colour = "red"\n'), "unknown key 'colour'"),
    "config-alpha-a-string": (_config('alpha = "high"\n'), "alpha"),
    "config-alpha-out-of-range": (_config("alpha = 7\n"), "alpha"),
    "config-bad-model-spec": (_config('model = "nonsense"\n'), "model"),
    "config-tools-not-a-list": (_config('tools = "math"\n'), "tools"),
    "config-tools-unknown-pack": (_config('tools = ["nosuchpack"]\n'), "unknown tool pack"),
    "config-strategy-unknown": (_config('strategy = "psychic"\n'), "strategy"),
    "config-missing-file": (_args("tools", "list", "--config", "{tmp}/missing.toml"), "not found"),
    "config-is-a-directory": (_config_dir, "directory"),
    "config-fifo-not-a-regular-file": (_config_fifo, "not a regular file"),
    "config-huge-value": (_config('model = "' + "m" * 1_000_000 + '"\n'), "model"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_error_line_and_exit_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no ./agentkit.toml of the repository's
    monkeypatch.delenv("AGENTKIT_CONFIG", raising=False)
    build, fragment = CASES[case]
    code, _, err = cli_main(capsys, *build(tmp_path))
    assert_one_error_line(code, err, *([fragment] if fragment else []))
    assert "internal error" not in err and "\x1b" not in err
    assert len(err) < 2_000  # a 1 MB bad value is not echoed whole


def test_there_are_at_least_40_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("AGENTKIT_TOOLS", "[" * 100_000, "AGENTKIT_TOOLS"),
        ("AGENTKIT_TOOLS", "[1, 2", "AGENTKIT_TOOLS"),
        ("AGENTKIT_ALPHA", "lots", "AGENTKIT_ALPHA"),
        ("AGENTKIT_MODEL", "nonsense", "AGENTKIT_MODEL"),
    ],
)
def test_bad_environment_options_are_one_error_line(variable, value, fragment, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    code, _, err = cli_main(capsys, "tools", "list")
    assert_one_error_line(code, err, fragment)


# -- the loaders' own errors (no CLI) --------------------------------------------------------


def test_a_tool_file_calling_sys_exit_is_a_load_error_and_the_process_goes_on(tmp_path):
    path = tmp_path / "exits.py"
    path.write_text("import sys\nsys.exit(0)\n")
    with pytest.raises(ToolLoadError, match=r"sys\.exit\(0\)"):
        load_python_tools(path)
    assert not [name for name in __import__("sys").modules if name.startswith("agentkit_user_tools_") and "exits" in name]


def test_a_link_with_a_list_valued_source_is_a_load_error(tmp_path):
    (tmp_path / "tool_desc.json").write_text(json.dumps({"nodes": [NODE]}))
    (tmp_path / "graph_desc.json").write_text(json.dumps({"links": [{"source": ["Ok"], "target": "Ok"}]}))
    with pytest.raises(ToolLoadError, match="string 'source'"):
        load_taskbench_tools(tmp_path)


def test_a_tool_name_with_escape_characters_is_refused_and_the_error_shows_it_escaped(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(_openai(name="x\x1b]0;pwned\x07"))
    with pytest.raises(ToolLoadError) as raised:
        load_tools(path)
    assert "\x1b" not in str(raised.value) and "\\x1b" in str(raised.value)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "t.json"
    path.write_bytes(b"\xef\xbb\xbf" + _openai().encode())
    assert load_tools(path).names == ["t"]
