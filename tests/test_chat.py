"""`agentkit chat` driven in a pseudo-terminal, as a person uses it."""

import os
import sys
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).parent.parent
TOOLS = ROOT / "tests" / "fixtures" / "chat_tools.py"
# A bare environment for the terminal, but coverage's own variables pass (it measures the chat process too).
COVERAGE_ENV = {k: v for k, v in os.environ.items() if k.startswith("COVERAGE")}


@pytest.fixture
def chat(tmp_path):
    agentkit = Path(sys.executable).parent / "agentkit"
    child = pexpect.spawn(
        str(agentkit), ["chat", "--tools", str(TOOLS), "--model", "fake:chat", "--retriever", "bm25"],
        env={**COVERAGE_ENV, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TERM": "dumb", "COLUMNS": "120"},
        encoding="utf-8", timeout=60, dimensions=(40, 120),
    )  # fmt: skip
    child.expect("you> ")
    yield child
    child.close(force=True)


def test_a_turn_shows_progress_and_the_answer(chat):
    chat.sendline("shout hello please")
    chat.expect("plan")
    chat.expect("shout")
    chat.expect("HELLO")
    chat.expect("agent> the answer is HELLO")
    chat.expect("you> ")
    assert "agent>" not in chat.before  # streamed once, not printed again at the end


def test_slash_commands_and_history(chat, tmp_path):
    chat.sendline("shout hello")
    chat.expect("you> ")
    chat.sendline("/history")
    chat.expect("1. shout hello -> the answer is HELLO")
    chat.sendline("/alpha 0.9")
    chat.expect("alpha = 0.9")
    chat.sendline(f"/save {tmp_path / 'session.json'}")
    chat.expect("saved 1 turn")
    chat.sendline("/nope")
    chat.expect("unknown command /nope")
    chat.sendline("/quit")
    chat.expect(pexpect.EOF)
    assert (tmp_path / "session.json").exists()


def test_ctrl_c_cancels_the_turn_not_the_session(chat):
    chat.sendline("please wait")
    chat.expect("wait started")
    chat.sendintr()
    chat.expect("turn cancelled")
    chat.expect("you> ")
    chat.sendline("shout hello")
    chat.expect("agent> the answer is HELLO")
    chat.expect("you> ")
    chat.sendeof()
    chat.expect(pexpect.EOF)


def test_a_tool_that_needs_approval_shows_its_exact_arguments_and_asks(chat):
    chat.sendline("delete notes.txt")
    chat.expect(r'approval needed .*calls delete_file with \{"path": "notes.txt"\}')
    chat.expect(r"run it\? \[y\]es / \[n\]o / \[e\]dit arguments: ")
    chat.sendline("y")
    chat.expect("deleted notes.txt")
    chat.expect("you> ")
    chat.sendline("delete notes.txt again")
    chat.expect("calls delete_file with")
    chat.expect(r"\[e\]dit arguments: ")
    chat.sendline("n")
    chat.expect("why not")
    chat.sendline("keep it")
    chat.expect("you> ")
    assert "rejected #0 delete_file" in chat.before and "deleted notes.txt" not in chat.before
    assert "not approved: keep it" in chat.before.split("agent>", 1)[1]  # the reason reaches the answer


# -- slash commands at the level of the session (no terminal, no model) --------------------


def _session():
    import io

    from rich.console import Console

    from agentkit.chat import ChatSession
    from agentkit.result import RunResult, RunStatus

    buf = io.StringIO()
    session = ChatSession(object(), Console(file=buf, width=60))
    session.results.append(RunResult(request="shout hello", status=RunStatus.OK, thread_id="t1"))
    return session, buf


# (Permission errors take the same OSError path; CI runs as root, where no directory is read-only.)
@pytest.mark.parametrize("where", ["missing-dir/session.json", "a-directory"])
def test_save_to_an_unwritable_path_is_one_error_line_and_the_session_goes_on(tmp_path, where):
    (tmp_path / "a-directory").mkdir()
    session, buf = _session()
    target = tmp_path / where
    assert session.command(f"/save {target}") is True  # the session stays
    lines = buf.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot save to "), lines
    assert not (target.is_file())
    assert session.command(f"/save {tmp_path / 'ok.json'}") is True
    assert "saved 1 turn(s)" in buf.getvalue() and (tmp_path / "ok.json").is_file()


# -- slash commands on a real agent (fake model, no terminal) --------------------------------


@pytest.fixture
def live_session():
    import io

    from rich.console import Console

    from agentkit.chat import ChatSession
    from agentkit.cli import build_agent

    buf = io.StringIO()
    agent = build_agent([str(TOOLS)], model="fake:chat", retriever="bm25")  # the file registers fake:chat
    return ChatSession(agent, Console(file=buf, width=120)), buf


def said(buf, since=0):
    return buf.getvalue()[since:]


def test_help_lists_every_command(live_session):
    session, buf = live_session
    assert session.command("/help") is True
    for command in ("/tools", "/plan", "/models", "/alpha", "/save", "/load", "/history", "/help", "/quit"):
        assert command in said(buf)


def test_tools_lists_the_agents_tools(live_session):
    session, buf = live_session
    session.command("/tools")
    assert all(name in said(buf) for name in ("shout", "wait", "delete_file"))


def test_models_names_each_roles_model(live_session):
    session, buf = live_session
    session.command("/models")
    assert [line for line in said(buf).splitlines() if line] == [f"{role}: fake:chat" for role in session.agent.models]


def test_plan_shows_the_last_turns_plan(live_session):
    session, buf = live_session
    session.command("/plan")
    assert "no plan yet" in said(buf)
    session.turn("shout hello")
    before = len(said(buf))
    session.command("/plan")
    assert "shout" in said(buf, before)


def test_load_brings_back_saved_turns_as_context(live_session, tmp_path):
    session, buf = live_session
    session.turn("shout hello")
    session.command(f"/save {tmp_path / 's.json'}")
    fresh, fresh_buf = type(session)(session.agent, session.console), buf
    before = len(said(fresh_buf))
    assert fresh.command(f"/load {tmp_path / 's.json'}") is True
    assert "loaded 1 turn(s)" in said(fresh_buf, before)
    assert [r.request for r in fresh.results] == ["shout hello"] and len(fresh.turns) == 1
    fresh.command("/history")
    assert "1. shout hello -> the answer is HELLO" in said(fresh_buf, before)


def test_load_of_a_bad_file_is_one_error_line_and_the_session_goes_on(live_session, tmp_path):
    session, buf = live_session
    (tmp_path / "bad.json").write_text("{not json")
    assert session.command(f"/load {tmp_path / 'bad.json'}") is True
    lines = said(buf).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot load "), lines
    assert session.results == []


@pytest.mark.parametrize(("line", "reply"), [
    ("/alpha", "alpha = 0.5"),
    ("/alpha 2", "alpha must be a number between 0 and 1"),
    ("/alpha high", "alpha must be a number between 0 and 1"),
    ("/save", "usage: /save FILE"),
    ("/load", "usage: /load FILE"),
    ("/history", "no turns yet"),
])  # fmt: skip
def test_commands_without_what_they_need_say_so_and_the_session_goes_on(live_session, line, reply):
    session, buf = live_session
    assert session.command(line) is True
    assert said(buf).strip() == reply
    assert session.agent.alpha == 0.5  # a bad value changes nothing


@pytest.mark.parametrize("line", ["/quit", "/exit"])
def test_quit_ends_the_session(live_session, line):
    assert live_session[0].command(line) is False
