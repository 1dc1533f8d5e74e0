"""Small modules with one job: no function over 80 lines, no module over 500, in agentkit/, tools/ and planners/.

``KNOWN`` lists what is still over a limit, so the check guards everything else now; an
entry that is no longer over its limit fails too, so the list only shrinks.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent
FOLDERS = ("agentkit", "tools", "planners")
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 500

#: Still too long (path, or path:function), to be split by their owners.
KNOWN: set[str] = set()


def too_long() -> dict[str, int]:
    """Every module over MAX_MODULE_LINES and every function over MAX_FUNCTION_LINES (``def`` to its last line)."""
    found: dict[str, int] = {}
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            source = path.read_text(encoding="utf-8")
            if len(source.splitlines()) > MAX_MODULE_LINES:
                found[name] = len(source.splitlines())
            for node in ast.walk(ast.parse(source)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = node.end_lineno - node.lineno + 1
                    if length > MAX_FUNCTION_LINES:
                        found[f"{name}:{node.name}"] = length
    return found


def test_no_new_module_or_function_is_too_long():
    new = {k: v for k, v in too_long().items() if k not in KNOWN}
    assert not new, f"over the limit ({MAX_MODULE_LINES} lines a module, {MAX_FUNCTION_LINES} a function): {new}"


def test_the_list_of_known_offenders_only_shrinks():
    fixed = KNOWN - set(too_long())
    assert not fixed, f"no longer too long, remove from KNOWN: {sorted(fixed)}"


def test_the_checker_sees_a_long_function_and_a_long_module(tmp_path, monkeypatch):
    (tmp_path / "agentkit").mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))  # 81 lines with the def
    padding = "\n" * (MAX_MODULE_LINES - MAX_FUNCTION_LINES)
    (tmp_path / "agentkit" / "long.py").write_text(f"def long():\n{body}\n{padding}")
    (tmp_path / "agentkit" / "short.py").write_text("def short():\n    return 1\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    monkeypatch.setattr(f"{__name__}.FOLDERS", ("agentkit",))
    assert too_long() == {"agentkit/long.py:long": MAX_FUNCTION_LINES + 1, "agentkit/long.py": MAX_MODULE_LINES + 1}
