"""Terminal rendering: the summarizer's answer appears as it streams, decoded from its JSON."""

import io

import pytest
from rich.console import Console

from agentkit import events as ev
from agentkit.models import Usage
from agentkit.render import EventPrinter, partial_answer


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("{", ""),
        ('{"answer": "Hel', "Hel"),
        ('{"answer": "He said \\', "He said "),  # half an escape waits for the rest
        ('{"answer": "He said \\"hi', 'He said "hi'),
        ('{"answer": "caf\\u00', "caf"),
        ('{"answer": "caf\\u00e9"}', "café"),
        ('{ "answer" : "a\\\\" }', "a\\"),
    ],
)
def test_partial_answer_decodes_what_has_arrived(raw, shown):
    assert partial_answer(raw) == shown


def stream(printer, *pieces):
    for piece in pieces:
        printer.show(ev.TokenGenerated(role="summarizer", text=piece))
    printer.show(ev.ModelCalled(role="summarizer", model="m", usage=Usage()))


def test_the_answer_is_printed_piece_by_piece_once():
    out = io.StringIO()
    printer = EventPrinter(Console(file=out, width=200), stream_answer=True, answer_prefix="agent> ")
    stream(printer, '{"ans', 'wer": "', " 42", " apples", '"}')
    assert out.getvalue() == "agent> 42 apples\n"
    assert printer.streamed_answer.strip() == "42 apples"


def test_other_roles_tokens_are_not_printed():
    out = io.StringIO()
    printer = EventPrinter(Console(file=out, width=200), stream_answer=True)
    printer.show(ev.TokenGenerated(role="planner", text='{"answer": "not me"}'))
    assert out.getvalue() == ""


def test_a_repair_round_starts_a_new_line():
    out = io.StringIO()
    printer = EventPrinter(Console(file=out, width=200), stream_answer=True, answer_prefix="> ")
    stream(printer, '{"answer": "one"}', '{"answer": "two"}')
    assert out.getvalue() == "> one\n> two\n"
    assert printer.streamed_answer == "two"


def test_a_retriever_note_is_shown_under_the_retrieved_tools():
    from agentkit.result import RetrievedTool

    buf = io.StringIO()
    EventPrinter(Console(file=buf, width=120)).show(
        ev.Retrieved(tools=[RetrievedTool(name="calc", score=0.5)], note="dense index of 10000 tools building in the background")
    )
    lines = buf.getvalue().splitlines()
    assert lines[0].startswith("retrieved calc (0.500)") and "building in the background" in lines[1]
