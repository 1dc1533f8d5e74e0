"""``agentkit bench``: score, taskbench (run, resume, failures), compare, retrieval, clean errors.

Fast: fake models only (``fake:bench-*``), the taskbench_mini and toolret_mini fixtures.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agentkit.bench.reference import build_prompt, parse_output, tool_list, UnparseableOutput
from agentkit.cli import app
from agentkit.models import FunctionModel, register_fake
from helpers import FAILING, FIXTURES, RESOURCE, TEMPORAL, Planner, assert_one_error_line, read_jsonl

TOOLRET = FIXTURES / "toolret_mini"

runner = CliRunner()

@pytest.fixture
def planner() -> Planner:
    fake = Planner()
    register_fake("bench-plans", lambda: FunctionModel(fake, name="fake:bench-plans"))
    return fake


@pytest.fixture
def failing_planner() -> Planner:
    fake = Planner(fail=FAILING)
    register_fake("bench-failing", lambda: FunctionModel(fake, name="fake:bench-failing"))
    return fake


def bench(*args: str):
    return runner.invoke(app, ["bench", *map(str, args)])


lines = read_jsonl


# -- score ---------------------------------------------------------------------------------


def gold_predictions(folder: Path, tmp_path: Path) -> Path:
    path = tmp_path / "gold-as-predictions.jsonl"
    rows = read_jsonl(folder / "data.jsonl")
    path.write_text("".join(json.dumps({"id": r["id"], "result": r}) + "\n" for r in rows))
    return path


def test_score_prints_the_table_and_writes_nothing_without_out(tmp_path):
    preds = gold_predictions(TEMPORAL, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = bench("score", "--data", TEMPORAL, "--predictions", preds)
    assert result.exit_code == 0, result.output
    assert "| overall | 4 | 4 | 100.00 | 100.00 | 100.00 | 100.00 |" in result.stdout
    assert "| type=chain |" in result.stdout and "| nodes=2 |" in result.stdout
    assert "official mode, temporal dependencies" in result.stdout and "Coverage: 4/4 predicted" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_score_json_strict_and_out(tmp_path):
    preds = tmp_path / "half.jsonl"
    preds.write_text(gold_predictions(TEMPORAL, tmp_path).read_text().splitlines()[0] + "\n")
    out = tmp_path / "score.json"
    result = bench("score", "--data", TEMPORAL, "--predictions", preds, "--mode", "strict", "--json", "--out", out)
    assert result.exit_code == 0, result.output
    score = json.loads(result.stdout)
    assert score["mode"] == "strict" and score["coverage"]["missing_ids"] == ["t2", "t3", "t4"]
    assert score["overall"]["n_f1"] < 100
    assert json.loads(out.read_text()) == score


def test_score_bad_inputs_are_one_error_line(tmp_path):
    assert_one_error_line(bench("score", "--data", tmp_path / "nope", "--predictions", tmp_path / "p.jsonl"), "no such folder")
    assert_one_error_line(bench("score", "--data", TEMPORAL, "--predictions", tmp_path / "p.jsonl"), "no such file")
    preds = gold_predictions(TEMPORAL, tmp_path)
    assert_one_error_line(bench("score", "--data", TEMPORAL, "--predictions", preds, "--mode", "lenient"), "--mode")
    assert_one_error_line(bench("score", "--data", tmp_path, "--predictions", preds), "no data.jsonl or data.json")


# -- taskbench -----------------------------------------------------------------------------


def run_agentkit(out: Path, *extra: str, model: str = "fake:bench-plans", data: Path = TEMPORAL):
    return bench("taskbench", "--data", data, "--model", model, "--retriever", "bm25", "--out", out, "--quiet", *extra)


@pytest.fixture(scope="module")
def taskbench_run(tmp_path_factory):
    """One `bench taskbench` run over the temporal mini domain on the fake planner: (result, out folder)."""
    fake = Planner()
    register_fake("bench-plans-run", lambda: FunctionModel(fake, name="fake:bench-plans-run"))
    out = tmp_path_factory.mktemp("taskbench") / "run"
    result = run_agentkit(out, model="fake:bench-plans-run")
    assert result.exit_code == 0, result.output
    return result, out


def test_taskbench_writes_one_prediction_per_sample_in_taskbench_form(taskbench_run):
    preds = lines(taskbench_run[1] / "predictions.jsonl")
    assert [p["id"] for p in preds] == ["t1", "t2", "t3", "t4"]
    for p in preds:
        assert set(p) == {"id", "result"} and set(p["result"]) == {"task_steps", "task_nodes", "task_links"}
        for node in p["result"]["task_nodes"]:
            assert all(set(arg) == {"name", "value"} for arg in node["arguments"])  # temporal format
    assert preds[1]["result"]["task_links"] == [{"source": "set_alarm", "target": "play_movie_by_title"}]
    assert preds[0]["result"]["task_nodes"] == [{"task": "set_alarm", "arguments": [{"name": "time", "value": "9:00 am"}]}]


def test_taskbench_writes_metrics_in_both_modes(taskbench_run):
    result, out = taskbench_run
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["samples"] == 4 and metrics["errors"] == {}
    assert metrics["official"]["coverage"]["present"] == 4 and metrics["strict"]["mode"] == "strict"
    assert metrics["official"]["overall"]["n_f1"] == pytest.approx(100.0)  # book_ride is not a tool: ignored by n-F1
    assert metrics["timing"]["ok"] == 4 and metrics["timing"]["mean_s_per_sample"] >= 0
    assert "official: n-F1 100.00" in result.stdout


def test_taskbench_report_has_both_tables(taskbench_run):
    report = (taskbench_run[1] / "report.md").read_text()
    assert "## Official scores" in report and "## Strict scores" in report and "| overall |" in report
    # matplotlib comes with the dev extra (via the bench extra): the real plot path always runs here.
    assert "matplotlib is not installed" not in report


@pytest.mark.parametrize("name", ["f1_by_type.png", "f1_by_nodes.png"])
def test_taskbench_report_links_real_charts(taskbench_run, name):
    assert f"![{name}]({name})" in (taskbench_run[1] / "report.md").read_text()
    assert_real_png(taskbench_run[1] / name)


def test_a_run_folder_rescores_with_bench_score(taskbench_run):
    out = taskbench_run[1]
    metrics = json.loads((out / "metrics.json").read_text())
    rescored = bench("score", "--data", out, "--predictions", out / "predictions.jsonl", "--json")
    assert json.loads(rescored.stdout)["overall"] == metrics["official"]["overall"]  # over the run's samples only


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_real_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG: {data[:8]!r}"
    assert data[12:16] == b"IHDR" and data.rstrip(b"\0").endswith(b"IEND\xaeB`\x82"), f"{path.name}: truncated PNG"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 400 and height >= 200, (path.name, width, height)
    assert len(data) > 10_000, f"{path.name}: only {len(data)} bytes, not a real chart"


def test_report_without_matplotlib_says_so_instead_of_plotting(tmp_path, monkeypatch):
    """Users without the bench extra: the report explains, no PNG is written."""
    import sys

    from agentkit.bench.report import plot

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    assert "matplotlib is not installed" in plot(tmp_path, {})
    assert list(tmp_path.iterdir()) == []


def test_resource_domain_predictions_are_lists_of_values(tmp_path, planner):
    out = tmp_path / "run"
    result = run_agentkit(out, "--limit", "2", data=RESOURCE)
    assert result.exit_code == 0, result.output
    preds = {p["id"]: p["result"] for p in lines(out / "predictions.jsonl")}
    assert preds["r2"]["task_nodes"] == [
        {"task": "Translation", "arguments": ["Bonjour le monde"]},
        {"task": "Text-to-Speech", "arguments": ["<node-0>"]},
    ]


def test_taskbench_resumes_without_redoing_finished_ids(tmp_path, planner):
    out = tmp_path / "run"
    first = run_agentkit(out, "--limit", "2")
    assert first.exit_code == 0, first.output
    assert [p["id"] for p in lines(out / "predictions.jsonl")] == ["t1", "t2"]
    assert json.loads((out / "metrics.json").read_text())["samples"] == 2
    calls_after_first = dict(planner.calls)
    # A crash in the middle of writing a line: the cut line is isolated, its id is redone.
    with (out / "predictions.jsonl").open("a") as fh:
        fh.write('{"id": "t3", "result": {"task_st')
    second = run_agentkit(out)
    assert second.exit_code == 0, second.output
    assert "4 samples: 2 already done, 2 predicted now, 0 failed now" in second.stdout
    assert planner.calls["Wake me at 9."] == calls_after_first["Wake me at 9."]  # not planned again
    assert planner.calls["Alarm at 7, then Inception."] == calls_after_first["Alarm at 7, then Inception."]
    ids = [p["id"] for p in lines_readable(out / "predictions.jsonl")]
    assert sorted(ids) == ["t1", "t2", "t3", "t4"] and len(ids) == 4
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["samples"] == 4 and metrics["strict"]["coverage"]["valid"] == 4
    assert metrics["official"]["coverage"]["unreadable_prediction_lines"] == [3]
    third = run_agentkit(out)
    assert "4 samples: 4 already done, 0 predicted now" in third.stdout


def lines_readable(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            pass
    return rows


def test_resume_with_another_system_is_refused(tmp_path, planner):
    out = tmp_path / "run"
    assert run_agentkit(out, "--limit", "1").exit_code == 0
    result = bench("taskbench", "--data", TEMPORAL, "--model", "fake:bench-plans", "--system", "reference", "--out", out, "--quiet")
    assert_one_error_line(result, "system='agentkit'", "another --out")


def test_a_failing_sample_is_recorded_not_fatal(tmp_path, failing_planner):
    out = tmp_path / "run"
    result = run_agentkit(out, model="fake:bench-failing")
    assert result.exit_code == 0, result.output
    assert [p["id"] for p in lines(out / "predictions.jsonl")] == ["t1", "t2", "t4"]
    errors = lines(out / "errors.jsonl")
    assert [e["id"] for e in errors] == ["t3"] and "model crashed" in errors[0]["error"]
    assert errors[0]["error_type"] == "RuntimeError"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["official"]["coverage"]["missing_ids"] == ["t3"]  # official: not counted
    assert metrics["strict"]["overall"]["samples"] == 4 and metrics["strict"]["overall"]["scored"] == 4  # strict: empty plan
    assert metrics["strict"]["overall"]["n_f1"] < metrics["official"]["overall"]["n_f1"]
    assert "t3" in metrics["errors"] and "RuntimeError: 1" in (out / "report.md").read_text()
    assert "1 failed now" in result.stdout
    # A resume retries the failed id only.
    failing_planner.fail.clear()
    again = run_agentkit(out, model="fake:bench-failing")
    assert "3 already done, 1 predicted now, 0 failed now" in again.stdout
    assert json.loads((out / "metrics.json").read_text())["errors"] == {}


def test_reference_system_parses_free_text_answers(tmp_path, planner):
    out = tmp_path / "ref"
    result = bench("taskbench", "--data", TEMPORAL, "--model", "fake:bench-plans", "--system", "reference", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    preds = {p["id"]: p["result"] for p in lines(out / "predictions.jsonl")}
    assert preds["t2"]["task_links"] == [{"source": "set_alarm", "target": "play_movie_by_title"}]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["official"]["overall"]["v_f1"] > 50 and metrics["run"]["options"]["max_tokens"] == 2000
    # compare: both runs side by side with deltas
    agentkit_out = tmp_path / "agentkit"
    assert run_agentkit(agentkit_out).exit_code == 0
    compared = bench("compare", agentkit_out, out)
    assert compared.exit_code == 0, compared.output
    assert "| metric | A | B | B - A |" in compared.stdout and "| official n-F1 |" in compared.stdout
    assert "| strict v-F1, type=chain |" in compared.stdout and "time per sample" in compared.stdout
    assert "Warning" not in compared.stdout


@pytest.mark.parametrize(("args", "fragment"), [
    (("--data", "{tmp}/missing"), "no such folder"),
    (("--system", "gpt"), "--system"),
    (("--type", "tree"), "--type"),
    (("--limit", "0"), "--limit"),
    (("--model", "nonsense"), "bad model spec"),
    (("--retriever", "magic"), "--retriever"),
], ids=["missing-data", "system", "type", "limit", "model", "retriever"])  # fmt: skip
def test_taskbench_bad_inputs_are_one_error_line_and_write_nothing(tmp_path, planner, args, fragment):
    out = tmp_path / "run"
    flags = {"--data": str(TEMPORAL), "--model": "fake:bench-plans", "--retriever": "bm25"}
    extra = []
    for name, value in zip(args[::2], args[1::2]):
        if name in flags:
            flags[name] = value.format(tmp=tmp_path)
        else:
            extra += [name, value]
    result = bench("taskbench", *[x for kv in flags.items() for x in kv], "--out", out, "--quiet", *extra)
    assert_one_error_line(result, fragment, single=fragment != "bad model spec")  # that one lists the accepted forms
    assert not out.exists()  # nothing written before the inputs are known to be good


def test_compare_names_what_is_missing(tmp_path):
    assert_one_error_line(bench("compare", tmp_path / "a", tmp_path / "b"), "no such run folder")
    (tmp_path / "a").mkdir()
    assert_one_error_line(bench("compare", tmp_path / "a", tmp_path / "a"), "no metrics.json")


# -- reference protocol pieces -------------------------------------------------------------


def test_reference_prompt_and_parsing():
    tools, dependency = tool_list(TEMPORAL / "tool_desc.json")
    assert dependency == "temporal" and tools[0]["parameters"] == ["time"]  # parameter objects -> names
    prompt = build_prompt(tools, "Wake me at 9.", dependency)
    for header in ("# TASK LIST #", "# GOAL #", "# REQUIREMENTS #", "# USER REQUEST #: Wake me at 9.", "# RESULT #:"):
        assert header in prompt
    assert "# EXAMPLE #" not in prompt and "task_links" in prompt
    resource_tools, resource_dep = tool_list(RESOURCE / "tool_desc.json")
    assert resource_dep == "resource" and "<node-j>" in build_prompt(resource_tools, "x", resource_dep)
    assert parse_output('blah # RESULT #: {"task_steps": ["a"],\n "task_nodes": []} trailing text') == {"task_steps": ["a"], "task_nodes": []}
    assert parse_output('{"task_nodes": [{"task": "get\\_weather"}]}') == {"task_nodes": [{"task": "get_weather"}]}
    for bad in ("no json here", "# RESULT #: [1, 2]", "{not json}", '{"a": 1} and }'):
        with pytest.raises(UnparseableOutput):
            parse_output(bad)


async def test_reference_samples_as_upstream_does():
    from agentkit.bench.reference import ReferenceSystem
    from agentkit.models import ScriptedModel

    model = ScriptedModel(['{"task_steps": [], "task_nodes": []}'])
    await ReferenceSystem(TEMPORAL, model).predict("Wake me at 9.")
    settings = model.calls[0]["settings"]
    assert (settings.temperature, settings.top_p, settings.presence_penalty, settings.max_tokens) == (0.2, 0.1, 1.05, 2000)


# -- retrieval -----------------------------------------------------------------------------


def test_retrieval_metrics_on_the_mini_set():
    result = bench("retrieval", "--data", TOOLRET, "--retriever", "bm25", "--k", "1,5", "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["queries"] == 10 and metrics["tools"] == 20 and metrics["unknown_gold"] == []
    assert set(metrics["overall"]) == {"ndcg@1", "ndcg@5", "recall@1", "recall@5", "pass@1", "pass@5"}
    assert metrics["groups"]["math"]["pass@1"] == 1.0 and metrics["counts"]["multi"] == 2
    assert 0.0 < metrics["overall"]["recall@5"] <= 1.0
    assert metrics["overall"]["pass@5"] <= metrics["overall"]["recall@5"]
    table = bench("retrieval", "--data", TOOLRET, "--retriever", "bm25")
    assert table.exit_code == 0 and "| overall | 10 |" in table.stdout and "group=multi" in table.stdout and "pass@10" in table.stdout


def test_retrieval_never_reads_candidates(tmp_path):
    data = tmp_path / "toolret"
    data.mkdir()
    shutil.copy(TOOLRET / "tools.jsonl", data / "tools.jsonl")
    rows = read_jsonl(TOOLRET / "queries.jsonl")
    # Candidates that name only gold tools would be a perfect ranking if anything used them.
    assert all("candidates" in r for r in rows)
    (data / "queries.jsonl").write_text("".join(json.dumps({k: v for k, v in r.items() if k != "candidates"}) + "\n" for r in rows))
    with_candidates = json.loads(bench("retrieval", "--data", TOOLRET, "--retriever", "bm25", "--json").stdout)
    without = json.loads(bench("retrieval", "--data", data, "--retriever", "bm25", "--json").stdout)
    assert with_candidates["overall"] == without["overall"] and with_candidates["overall"]["pass@10"] < 1.0


def test_retrieval_bad_inputs_are_one_error_line(tmp_path):
    assert_one_error_line(bench("retrieval", "--data", tmp_path / "missing"), "no such folder")
    assert_one_error_line(bench("retrieval", "--data", tmp_path), "no tools.jsonl")
    assert_one_error_line(bench("retrieval", "--data", TOOLRET, "--k", "0,5"), "--k")
    assert_one_error_line(bench("retrieval", "--data", TOOLRET, "--retriever", "tfidf"), "--retriever")


def test_reference_unparseable_answer_is_recorded_with_the_raw_text(tmp_path):
    register_fake("bench-chatty", lambda: FunctionModel(lambda m, s: "I would set an alarm, then play it.", name="fake:bench-chatty"))
    out = tmp_path / "ref"
    result = bench("taskbench", "--data", TEMPORAL, "--model", "fake:bench-chatty", "--system", "reference", "--limit", "2", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert (out / "predictions.jsonl").read_text() == ""
    errors = lines(out / "errors.jsonl")
    assert [e["error_type"] for e in errors] == ["UnparseableOutput"] * 2
    assert errors[0]["raw"] == "I would set an alarm, then play it."
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["official"]["overall"]["scored"] == 0 and metrics["strict"]["overall"]["scored"] == 2
    assert "0/2 predicted" in result.stdout
