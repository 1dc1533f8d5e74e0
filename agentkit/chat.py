"""``agentkit chat``: a multi-turn terminal session over one Agent.

Line editing and history come from readline. Ctrl-C cancels the running turn (the
session stays); Ctrl-D or /quit ends it. Earlier turns are context for later ones:
the session keeps its own conversation and passes it with every request (the Agent
keeps none). Calls that need approval are shown with their exact arguments and asked
about: run, edit the arguments, or reject with a reason.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import events as ev
from .ask import ask_decisions
from .errors import AgentkitError, RunCancelledError
from .render import EventPrinter, plain, plan_tree, safe
from .result import RunResult, RunStatus
from .sanitize import printable
from .workflow import Turn, turn_of

HELP = """\
/tools            list the available tools
/plan             show the last plan
/models           show the model of each role
/alpha [A]        show or set the A* weight of cost against quality (0..1)
/save FILE        save the session (requests, results) as JSON
/load FILE        load a saved session's turns as context
/history          list this session's turns
/help             this help
/quit             leave (Ctrl-D too); Ctrl-C cancels a running turn"""


class ChatSession:
    def __init__(self, agent: Any, console: Console | None = None, history_file: Path | None = None):
        self.agent = agent
        self.console = console or Console()
        self.results: list[RunResult] = []
        self.turns: list[Turn] = []  # this session's conversation, passed with every request
        self.history_file = history_file
        self._printer = EventPrinter(self.console)
        self._setup_readline()

    def _setup_readline(self) -> None:
        try:
            import readline
        except ImportError:  # pragma: no cover - not on every platform
            return
        if self.history_file and self.history_file.exists():
            readline.read_history_file(self.history_file)

    def _save_readline(self) -> None:
        try:
            import readline
        except ImportError:  # pragma: no cover
            return
        if self.history_file:
            self.history_file.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(self.history_file)

    def loop(self) -> None:
        c = self.console
        c.print("[bold]agentkit chat[/] — type a request, /help for commands, Ctrl-D to quit.")
        while True:
            try:
                line = input("you> ").strip()
            except EOFError:
                c.print()
                break
            except KeyboardInterrupt:
                c.print()
                continue
            if not line:
                continue
            if line.startswith("/"):
                if not self.command(line):
                    break
                continue
            self.turn(line)
        self._save_readline()

    def turn(self, request: str) -> None:
        try:
            result = asyncio.run(self._run(self.agent.stream(request, history=self.turns)))
            while result is not None and result.status == RunStatus.INTERRUPTED and result.pending_approvals:
                decisions = ask_decisions(result.pending_approvals, input, self._say)
                result = asyncio.run(self._run(self.agent.stream_resume(result.thread_id, decisions=decisions)))
        except (KeyboardInterrupt, RunCancelledError, asyncio.CancelledError):
            self.console.print("[yellow]turn cancelled[/]")
            return
        except AgentkitError as exc:
            self.console.print(f"[bold red]error:[/] {safe(exc)}", highlight=False)
            return
        if result is not None:
            self.results.append(result)
            self.turns.append(turn_of(result))
            if (result.answer or "").strip() != self._printer.streamed_answer.strip():  # not already streamed
                self.console.print(f"[bold green]agent>[/] {safe(result.answer or '(no answer)')}", highlight=False)

    async def _run(self, stream: Any) -> RunResult | None:
        printer = self._printer = EventPrinter(self.console, stream_answer=True, answer_prefix="[bold green]agent>[/] ")
        result = None
        async for event in stream:
            if isinstance(event, ev.ApprovalRequested):
                continue  # asked below, after the stream ends
            printer.show(event)
            if isinstance(event, ev.Finished):
                result = event.result
        return result

    def _say(self, text: str) -> None:
        self.console.print(printable(text), markup=False, highlight=False, soft_wrap=True)

    def command(self, line: str) -> bool:
        """Run a slash command; False means leave the session."""
        c = self.console
        name, _, arg = line.partition(" ")
        arg = arg.strip()
        if name in ("/quit", "/exit"):
            return False
        if name == "/help":
            c.print(HELP, highlight=False)
        elif name == "/tools":
            table = Table("tool", "description")
            for t in self.agent.registry:
                table.add_row(plain(t.name), plain(t.description.split("\n")[0][:80]))
            c.print(table)
        elif name == "/plan":
            last = next((r for r in reversed(self.results) if r.plan), None)
            c.print(plan_tree(last.plan) if last and last.plan else "no plan yet")
        elif name == "/models":
            for role, model in self.agent.models.items():
                c.print(f"{role}: {safe(model.name)}", highlight=False)
        elif name == "/alpha":
            if arg:
                try:
                    value = float(arg)
                    if not 0 <= value <= 1:
                        raise ValueError
                except ValueError:
                    c.print("alpha must be a number between 0 and 1")
                    return True
                self.agent.alpha = value
            c.print(f"alpha = {self.agent.alpha:g}")
        elif name == "/history":
            for i, r in enumerate(self.results, 1):
                c.print(f"{i}. {safe(r.request)} -> {safe(r.answer)}", highlight=False)
            if not self.results:
                c.print("no turns yet")
        elif name == "/save":
            self._save(arg)
        elif name == "/load":
            self._load(arg)
        else:
            c.print(f"unknown command {safe(name)}; /help lists them", highlight=False)
        return True

    def _save(self, arg: str) -> None:
        c = self.console
        if not arg:
            c.print("usage: /save FILE")
            return
        text = json.dumps([r.model_dump(mode="json") for r in self.results], indent=2)
        try:
            Path(arg).write_text(text, encoding="utf-8")
        except OSError as exc:  # missing folder, no permission, a directory, a full disk: the session goes on
            c.print(f"[bold red]error:[/] cannot save to {escape(arg)}: {escape(exc.strerror or str(exc))}", highlight=False, soft_wrap=True)
            return
        c.print(f"saved {len(self.results)} turn(s) to {safe(arg)}", highlight=False)

    def _load(self, arg: str) -> None:
        c = self.console
        if not arg:
            c.print("usage: /load FILE")
            return
        try:
            data = json.loads(Path(arg).read_text())
            loaded = [RunResult.model_validate(r) for r in data]
        except (OSError, ValueError, TypeError, RecursionError) as exc:  # not a list of results, nested too deeply
            c.print(f"[bold red]error:[/] cannot load {safe(arg)}: {safe(exc, 300)}", highlight=False, soft_wrap=True)
            return
        self.results.extend(loaded)
        self.turns.extend(turn_of(r) for r in loaded)
        c.print(f"loaded {len(loaded)} turn(s) from {safe(arg)}", highlight=False)


def default_history_file() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "agentkit" / "chat_history"


__all__ = ["ChatSession"]
