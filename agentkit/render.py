"""Terminal rendering of run events (retrieved tools, the plan as a DAG, the path, node progress, usage)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from . import events as ev
from .plan import TaskPlan


def plan_tree(plan: TaskPlan) -> Tree:
    """The task graph as a tree: roots at the top, each node under the nodes it depends on."""
    graph = plan.to_networkx()
    tree = Tree("[bold]plan[/]")

    def label(i: int) -> str:
        node = plan.task_nodes[i]
        args = ", ".join(f"{k}={v!r}" for k, v in node.arguments.items())
        return f"[cyan]#{i} {node.task}[/]({args})"

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


class EventPrinter:
    """Prints each event as it arrives; ``quiet`` prints only one-line progress."""

    def __init__(self, console: Console, *, quiet: bool = False):
        self.console = console
        self.quiet = quiet

    def show(self, event: Any) -> None:
        c = self.console
        if isinstance(event, ev.Retrieved):
            if not self.quiet:
                names = ", ".join(f"{t.name} ({t.score:.3f})" for t in event.tools[:8])
                c.print(f"[bold]retrieved[/] {names}", highlight=False)
        elif isinstance(event, ev.Planned):
            if self.quiet:
                c.print(f"planned {len(event.plan.task_nodes)} node(s)")
            else:
                c.print(plan_tree(event.plan))
        elif isinstance(event, ev.PathChosen):
            if not self.quiet:
                table = Table("node", "tool", "cost", "quality", title=f"tool path (alpha={event.path.alpha:g})")
                for s in event.path.steps:
                    table.add_row(f"#{s.node}", s.tool, f"{s.cost:.3g}", f"{s.quality:.2f}")
                c.print(table)
        elif isinstance(event, ev.NodeStarted):
            c.print(f"  [yellow]>[/] #{event.index} {event.tool} started", highlight=False)
        elif isinstance(event, ev.NodeFinished):
            r = event.result
            mark = "[green]ok[/]" if r.status.value == "ok" else f"[red]{r.status.value}[/]"
            detail = str(r.output)[:80] if r.status.value == "ok" else (r.error or "")
            c.print(f"  {mark} #{r.index} {r.tool} ({r.latency_s * 1000:.0f} ms): {detail}", highlight=False)
        elif isinstance(event, ev.NodeFailed):
            nxt = f", trying {event.next_tool}" if event.next_tool else ""
            c.print(f"  [red]x[/] #{event.index} {event.tool} failed: {event.error}{nxt}", highlight=False)
        elif isinstance(event, ev.ApprovalRequested):
            c.print(f"[bold yellow]approval needed[/]: #{event.index} {event.tool}({event.arguments})", highlight=False)
        elif isinstance(event, ev.Finished):
            r = event.result
            if r.unsolvable:
                c.print(f"[bold red]unsolvable[/]: no available tool can {r.unsolvable}", highlight=False)
            usage = "; ".join(
                f"{role} {u.prompt_tokens}+{u.completion_tokens} tok {u.latency_s:.1f}s" for role, u in r.usage.items()
            )
            c.print(f"[dim]{r.status.value} | {usage}[/]", highlight=False)


__all__ = ["EventPrinter", "plan_tree"]
