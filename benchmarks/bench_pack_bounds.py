"""The freezing inputs of issue 13 against the tool packs: seconds and extra peak memory for each.

Each attack runs in a fresh interpreter (so one cannot inflate the next one's peak) with
a wall-clock limit; the figure is the time from the call to its answer or error, and
the growth of the process's peak resident memory over its peak just before the call.

    PYTHONPATH=. python benchmarks/bench_pack_bounds.py [--limit 60]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap

_HARNESS = textwrap.dedent("""
    import json, os, resource, sys, tempfile, time
    from agentkit.tools import data, math as mathp, text
    root = tempfile.mkdtemp()
    with open(os.path.join(root, "a.csv"), "w") as fh:
        fh.write("name,city,age,score,note\\n")
        for i in range(190_000):
            fh.write(f"person{i},city{i % 300},{i % 90},{i * 7 % 1000},note number {i}\\n")
    import sqlite3; sqlite3.connect(os.path.join(root, "a.db")).close()
    csv_query, sqlite_query = (data.pack(root)[n] for n in ("csv_query", "sqlite_query"))
    attack = {ATTACK}
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        attack()
        outcome = "answered"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {str(exc)[:70]}"
    print(json.dumps({"seconds": time.perf_counter() - started, "outcome": outcome,
                      "extra_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}))
""")

ATTACKS = {
    "csv_query where 'name'+4000 spaces+'x' (was 79 s)": 'lambda: csv_query(path="a.csv", where=["name" + " " * 4000 + "x"])',
    "csv_query where 'name'+990 spaces+'== x' (parsed, then a full scan)": 'lambda: csv_query(path="a.csv", where=["name" + " " * 990 + "== x"])',
    "csv_query on a 10 MB CSV, sorted (was 1.08 GB)": 'lambda: csv_query(path="a.csv", where=["age > 10"], order_by="score", limit=50)',
    "csv_query on a 10 MB CSV, grouped": 'lambda: csv_query(path="a.csv", aggregate="mean", aggregate_column="age", group_by="city")',
    "calculate round(1, -10**7) (was 6 s)": 'lambda: mathp.calculate(expression="round(1, -10**7)")',
    "calculate round(7, -10**8) (was > 40 s)": 'lambda: mathp.calculate(expression="round(7, -10**8)")',
    "regex_find (?:(?:a{1000}){100}){100} (was 5.2 s, 2.8 GB)": 'lambda: text.regex_find(pattern="(?:(?:a{1000}){100}){100}", text="a")',
    "sqlite zeroblob(900000000) (was 1.8 GB)": 'lambda: sqlite_query(database="a.db", sql="SELECT zeroblob(900000000)")',
    "sqlite randomblob(1e9) (ignored query_seconds)": 'lambda: sqlite_query(database="a.db", sql="SELECT randomblob(1e9)")',
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=60.0, help="seconds before an attack counts as a freeze")
    args = parser.parse_args()
    print("| input | seconds | extra peak MB | outcome |\n|---|---:|---:|---|")
    for name, attack in ATTACKS.items():
        code = _HARNESS.replace("{ATTACK}", attack)
        try:
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=args.limit, check=False)
            row = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"| {name} | {row['seconds']:.3f} | {row['extra_mb']:.0f} | {row['outcome']} |")
        except subprocess.TimeoutExpired:
            print(f"| {name} | > {args.limit:g} | ? | froze |")
        except (json.JSONDecodeError, IndexError):
            print(f"| {name} | ? | ? | crashed: {done.stderr.strip().splitlines()[-1:]} |")


if __name__ == "__main__":
    main()
