"""Terminal rendering of run events (retrieved tools, the plan as a DAG, the path, node progress, usage).

Everything that comes from outside (tool names and outputs, arguments, errors, model text)
goes through :func:`safe` or :func:`plain` before it reaches rich: ``[/i]`` in a tool's
output is text, not markup (no MarkupError), ``[black on black]HIDDEN[/]`` shows literally,
and terminal escape sequences are shown as ``\x1b[...`` instead of acting on the terminal.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from . import events as ev
from .plan import TaskPlan
from .sanitize import bound_text, printable, safe_output


def safe(value: Any, limit: int | None = None) -> str:
    """External text for a rich markup string: control characters as visible escapes, markup escaped."""
    text = value if isinstance(value, str) else str(value)
    return escape(printable(text if limit is None else bound_text(text, limit)))


def plain(value: Any, limit: int | None = None) -> Text:
    """External text as a rich Text (a table cell, a tree label): never parsed as markup."""
    text = value if isinstance(value, str) else str(value)
    return Text(printable(text if limit is None else bound_text(text, limit)))


def literal_json(value: Any) -> str:
    """Arguments as the exact JSON that will be used (ASCII, so nothing in them can act on the terminal)."""
    try:
        return json.dumps(value, ensure_ascii=True, sort_keys=True, default=str)
    except (TypeError, ValueError, RecursionError):
        return printable(bound_text(repr(value), 2000))


def plan_tree(plan: TaskPlan) -> Tree:
    """The task graph as a tree: roots at the top, each node under the nodes it depends on."""
    graph = plan.to_networkx()
    tree = Tree("[bold]plan[/]")

    def label(i: int) -> str:
        node = plan.task_nodes[i]
        args = ", ".join(f"{k}={v!r}" for k, v in node.arguments.items())
        return f"[cyan]#{i} {safe(node.task)}[/]({safe(args, 300)})"

    def add(parent: Tree, i: int, seen: set[int]) -> None:
        branch = parent.add(label(i))
        for child in sorted(graph.successors(i)):
            if child in seen:
                branch.add(f"[dim]-> #{child}[/]")
            else:
                seen.add(child)
                add(branch, child, seen)

    seen: set[int] = set()
    for root in sorted(n for n in graph.nodes if graph.in_degree(n) == 0):
        seen.add(root)
        add(tree, root, seen)
    return tree


_ANSWER_START = re.compile(r'"answer"\s*:\s*"')
_OPEN_ESCAPE = re.compile(r"(?<!\\)(\\\\)*\\(u[0-9a-fA-F]{0,3})?$")


def partial_answer(raw: str) -> str:
    """The ``answer`` string decoded so far from the summarizer's streamed JSON (``{"answer": "..."``)."""
    start = _ANSWER_START.search(raw)
    if start is None:
        return ""
    body = raw[start.end() :]
    end = re.search(r'(?<!\\)(\\\\)*"', body)
    if end is not None:
        body = body[: end.end() - 1]
    else:
        body = _OPEN_ESCAPE.sub(lambda m: m.group(1) or "", body)  # an escape cut in half waits for its rest
    try:
        return json.loads(f'"{body}"')
    except json.JSONDecodeError:
        return ""


class EventPrinter:
    """Prints each event as it arrives; ``quiet`` prints only one-line progress.

    With ``stream_answer`` the summarizer's answer is printed as it is generated
    (after ``answer_prefix``); ``streamed_answer`` then holds what was shown, so the
    caller prints the final answer only when it differs (e.g. a fallback answer).
    """

    def __init__(self, console: Console, *, quiet: bool = False, stream_answer: bool = False, answer_prefix: str = ""):
        self.console = console
        self.quiet = quiet
        self.stream_answer = stream_answer
        self.answer_prefix = answer_prefix
        self.streamed_answer = ""
        self._raw = ""

    def _answer_piece(self, text: str) -> None:
        if self._raw and self.streamed_answer and self._raw.rstrip().endswith("}"):
            self.console.print()  # a repair round starts a new answer
            self._raw, self.streamed_answer = "", ""
        self._raw += text
        decoded = partial_answer(self._raw)
        if not decoded.startswith(self.streamed_answer):
            return
        new = decoded[len(self.streamed_answer) :]
        if not self.streamed_answer.strip():  # nothing shown yet: start at the first visible character
            new = new.lstrip()
            if new:
                self.console.print(self.answer_prefix, end="", highlight=False)
        if new:
            self.console.print(printable(new), end="", markup=False, highlight=False, soft_wrap=True)
        self.streamed_answer = decoded

    def show(self, event: Any) -> None:
        c = self.console
        if isinstance(event, ev.Retrieved):
            if not self.quiet:
                names = ", ".join(f"{t.name} ({t.score:.3f})" for t in event.tools[:8])
                c.print(f"[bold]retrieved[/] {safe(names)}", highlight=False)
                from .retrieval.hybrid import announced

                if event.note and not announced(event.note):  # a warning already logged once is not repeated
                    c.print(f"[dim]({safe(event.note)})[/]", highlight=False)
        elif isinstance(event, ev.Planned):
            if self.quiet:
                c.print(f"planned {len(event.plan.task_nodes)} node(s)")
            else:
                c.print(plan_tree(event.plan))
        elif isinstance(event, ev.PathChosen):
            if not self.quiet:
                table = Table("node", "tool", "cost", "quality", title=f"tool path (alpha={event.path.alpha:g})")
                for s in event.path.steps:
                    table.add_row(f"#{s.node}", plain(s.tool), f"{s.cost:.3g}", f"{s.quality:.2f}")
                c.print(table)
        elif isinstance(event, ev.NodeStarted):
            c.print(f"  [yellow]>[/] #{event.index} {safe(event.tool)} started", highlight=False)
        elif isinstance(event, ev.NodeFinished):
            r = event.result
            mark = "[green]ok[/]" if r.status.value == "ok" else f"[red]{r.status.value}[/]"
            detail = safe(_short(r.output), 80) if r.status.value == "ok" else safe(r.error or "", 500)
            c.print(f"  {mark} #{r.index} {safe(r.tool)} ({r.latency_s * 1000:.0f} ms): {detail}", highlight=False)
        elif isinstance(event, ev.NodeFailed):
            nxt = f", trying {safe(event.next_tool)}" if event.next_tool else ""
            c.print(f"  [red]x[/] #{event.index} {safe(event.tool)} failed: {safe(event.error, 500)}{nxt}", highlight=False)
        elif isinstance(event, ev.TokenGenerated):
            if self.stream_answer and event.role == "summarizer":
                self._answer_piece(event.text)
        elif isinstance(event, ev.ModelCalled):
            if event.role == "summarizer" and self.streamed_answer:
                c.print()
        elif isinstance(event, ev.ApprovalRequested):
            c.print(f"[bold yellow]approval needed[/]: #{event.index} {safe(event.tool)} {safe(literal_json(event.arguments))}", highlight=False)
        elif isinstance(event, ev.Finished):
            run = event.result
            if run.unsolvable:
                c.print(f"[bold red]unsolvable[/]: no available tool can {safe(run.unsolvable, 500)}", highlight=False)
            usage = "; ".join(
                f"{role} {'~' if u.estimated else ''}{u.prompt_tokens}+{u.completion_tokens} tok {u.latency_s:.1f}s" for role, u in run.usage.items()
            )
            c.print(f"[dim]{run.status.value} | {usage}[/]", highlight=False)


def _short(output: Any) -> str:
    """A node's output on one progress line (bounded before it is turned into text)."""
    return output if isinstance(output, str) else json.dumps(safe_output(output, max_chars=2000), ensure_ascii=False)


__all__ = ["EventPrinter", "literal_json", "partial_answer", "plain", "plan_tree", "safe"]
