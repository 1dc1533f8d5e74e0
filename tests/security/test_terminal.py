"""Tool output cannot break or fool the terminal: markup is shown as text and escape sequences are made visible.

Through the real render functions, ``agentkit run`` (typer's CliRunner) and ``agentkit chat``'s
session, with a tool whose output holds rich markup and ANSI escape sequences.
"""

from __future__ import annotations

import io
import json
import textwrap

import pytest
from rich.console import Console

from agentkit import events as ev
from agentkit.models import Usage
from agentkit.plan import TaskPlan
from agentkit.render import EventPrinter, literal_json, plain, plan_tree, safe
from agentkit.result import NodeResult, NodeStatus

CLOSING = "[/i] closes nothing"
HIDDEN = "[black on black]HIDDEN[/]"
ANSI = "\x1b[2J\x1b]0;pwned\x07\rover"
EVIL = f"{CLOSING} {HIDDEN} {ANSI}"


def console(*, color: bool = False) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=300, force_terminal=color, color_system="truecolor" if color else None), out


def show(*events: object, **printer_options: object) -> str:
    c, out = console()
    printer = EventPrinter(c, **printer_options)  # type: ignore[arg-type]
    for event in events:
        printer.show(event)
    return out.getvalue()


def finished(output: object = EVIL, status: NodeStatus = NodeStatus.OK, error: str | None = None) -> ev.NodeFinished:
    return ev.NodeFinished(result=NodeResult(index=0, tool="echo", status=status, output=output, error=error, latency_s=0.01))


def assert_inert(text: str) -> None:
    """No raw control character reached the terminal (newlines aside)."""
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text, repr(text)


# -- the helpers -------------------------------------------------------------------------------


def test_safe_escapes_markup_and_shows_control_characters():
    c, out = console()
    c.print(f"[bold]x[/] {safe(EVIL)}")
    text = out.getvalue()
    assert CLOSING in text and HIDDEN in text and "\\x1b[2J" in text
    assert_inert(text)


def test_plain_is_never_parsed_as_markup():
    c, out = console(color=True)
    c.print(plain(HIDDEN))
    assert "[black on black]" in out.getvalue() and "\x1b[30;40m" not in out.getvalue()


def test_literal_json_is_the_exact_ascii_json_of_the_arguments():
    args = {"path": "/tmp/x", "note": HIDDEN + "\x1b[8m"}
    assert json.loads(literal_json(args)) == args
    assert literal_json(args).isascii() and "\x1b" not in literal_json(args)


# -- each event ----------------------------------------------------------------------------


def test_a_node_output_with_a_closing_tag_is_text_not_a_markup_error():
    text = show(finished(CLOSING))
    assert CLOSING in text


def test_hidden_styles_in_a_node_output_show_literally_even_on_a_colour_terminal():
    c, out = console(color=True)
    EventPrinter(c).show(finished(HIDDEN))
    assert HIDDEN in out.getvalue() and "\x1b[30;40m" not in out.getvalue()


def test_escape_sequences_in_a_node_output_are_shown_not_obeyed():
    text = show(finished(ANSI))
    assert "\\x1b[2J" in text
    assert_inert(text)


def test_odd_outputs_are_shown_without_raising():
    loop: list[object] = []
    loop.append(loop)
    text = show(finished(b"\x00\xff"), finished(10**5000), finished(loop), finished({"k": EVIL}))
    assert "digits" in text and "cycle" in text
    assert_inert(text)


def test_a_failed_node_and_a_failed_attempt_show_their_error_literally():
    text = show(
        finished(None, NodeStatus.FAILED, error=f"ValueError: {EVIL}"),
        ev.NodeFailed(index=0, tool="echo", error=EVIL, next_tool="other[/]"),
    )
    assert text.count(HIDDEN) == 2 and "other[/]" in text
    assert_inert(text)


def test_the_approval_line_shows_the_arguments_as_literal_json():
    arguments = {"path": "notes.txt", "text": HIDDEN}
    text = show(ev.ApprovalRequested(index=0, tool="write_file", arguments=arguments))
    assert literal_json(arguments) in text and "HIDDEN" in text


def test_the_plan_tree_shows_tool_names_and_arguments_literally():
    plan = TaskPlan.model_validate({"task_nodes": [{"task": "echo[/b]", "arguments": {"text": EVIL}}], "task_links": []})
    c, out = console()
    c.print(plan_tree(plan))
    assert "echo[/b]" in out.getvalue() and HIDDEN in out.getvalue()
    assert_inert(out.getvalue())


def test_a_streamed_answer_with_escape_sequences_is_shown_inert():
    raw = json.dumps({"answer": f"done {ANSI} {HIDDEN}"})
    text = show(
        ev.TokenGenerated(role="summarizer", text=raw),
        ev.ModelCalled(role="summarizer", model="m", usage=Usage()),
        stream_answer=True,
    )
    assert HIDDEN in text and "\\x1b[2J" in text
    assert_inert(text)


def test_a_retriever_note_and_an_unsolvable_step_are_escaped():
    text = show(ev.Retrieved(tools=[], note=f"note {CLOSING}"), ev.NodeStarted(index=0, tool="t[/]"))
    assert CLOSING in text and "t[/]" in text


# -- through the CLI and the chat session, with a real tool file ----------------------------

TOOL_FILE = textwrap.dedent(
    '''
    from agentkit import tool

    @tool
    def echo(text: str) -> str:
        """Echo a text back, as an untrusted service might.

        Args:
            text: what to echo
        """
        return "[/i] closes nothing [black on black]HIDDEN[/] \\x1b[2J\\x1b]0;pwned\\x07"
    '''
)
PLAN = {"task_steps": ["echo hi"], "task_nodes": [{"task": "echo", "arguments": {"text": "hi"}}], "task_links": []}


@pytest.fixture
def echo_tools(tmp_path):
    from agentkit.models import register_fake
    from agentkit.testing import plan_model

    path = tmp_path / "echo_tools.py"
    path.write_text(TOOL_FILE)
    register_fake("terminal-echo", lambda: plan_model(PLAN, answer=f"It said {HIDDEN} {CLOSING} {ANSI}", name="fake:terminal-echo"))
    return str(path)


def test_agentkit_run_prints_a_markup_and_escape_laden_tool_output_literally(echo_tools):
    from typer.testing import CliRunner

    from agentkit.cli import app

    result = CliRunner().invoke(app, ["run", "echo hi", "--tools", echo_tools, "--model", "fake:terminal-echo", "--retriever", "bm25"])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "MarkupError" not in result.output and "Traceback" not in result.output
    assert CLOSING in result.stderr  # the node's output on the progress line
    assert HIDDEN in result.stdout or HIDDEN in result.stderr
    assert_inert(result.stdout + result.stderr)


def test_agentkit_tools_list_shows_markup_in_descriptions_literally(tmp_path):
    from typer.testing import CliRunner

    from agentkit.cli import app

    path = tmp_path / "tools.json"
    path.write_text(json.dumps([{"name": "styled", "description": f"{HIDDEN} {CLOSING}", "parameters": {"type": "object"}}]))
    result = CliRunner().invoke(app, ["tools", "list", "--tools", str(path)])
    assert result.exit_code == 0, result.output
    squeezed = "".join(ch for ch in result.stdout if ch not in " \n│┃")  # the table may wrap the cell
    assert "[blackonblack]HIDDEN[/]" in squeezed and "[/i]" in squeezed


def test_chat_shows_the_tool_output_and_odd_commands_literally(echo_tools):
    from agentkit.chat import ChatSession
    from agentkit.cli import build_agent

    agent = build_agent([echo_tools], model="fake:terminal-echo", retriever="bm25")
    c, out = console()
    session = ChatSession(agent, c)
    session.turn("echo hi")
    session.command("/[/i]")
    session.command("/history")
    text = out.getvalue()
    assert CLOSING in text and "unknown command /[/i]" in text
    assert_inert(text)


@pytest.mark.parametrize("content", ["[" * 100_000, "42", '{"a": 1}', '[{"request": "[/i]"}]', "\xff"])
def test_chat_load_of_a_bad_session_file_is_one_error_line_and_the_session_goes_on(content, tmp_path):
    from agentkit.chat import ChatSession

    class NoAgent:
        registry: list[object] = []

    path = tmp_path / "session[b].json"
    path.write_text(content, encoding="latin-1")
    c, out = console()
    session = ChatSession(NoAgent(), c)
    session.command(f"/load {path}")
    assert "error: cannot load" in out.getvalue() and "session[b].json" in out.getvalue() and not session.results


def test_tools_show_prints_json_that_is_inert_on_a_terminal(tmp_path):
    from typer.testing import CliRunner

    from agentkit.cli import app

    description = "8-bit CSI \x9b2J and \x1b[8m hidden, \u202e reversed"
    path = tmp_path / "tools.json"
    path.write_text(json.dumps([{"name": "styled", "description": description}]))
    result = CliRunner().invoke(app, ["tools", "show", "styled", "--from", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["description"] == description
    assert_inert(result.stdout)
    assert "\x9b" not in result.stdout and "\u202e" not in result.stdout
