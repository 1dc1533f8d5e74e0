"""`agentkit chat` driven in a pseudo-terminal, as a person uses it."""

import sys
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).parent.parent
TOOLS = ROOT / "tests" / "fixtures" / "chat_tools.py"


@pytest.fixture
def chat(tmp_path):
    agentkit = Path(sys.executable).parent / "agentkit"
    child = pexpect.spawn(
        str(agentkit), ["chat", "--tools", str(TOOLS), "--model", "fake:chat", "--retriever", "bm25"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TERM": "dumb", "COLUMNS": "120"},
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
    chat.expect("keep it")  # the reason reaches the answer
    chat.expect("you> ")


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
