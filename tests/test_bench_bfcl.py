"""``agentkit bench bfcl``: BFCL types -> JSON Schema, answers -> BFCL format, BFCL's real AST checker,
an end-to-end CLI run on a fake model over tiny hand-made BFCL files, bad flags, and one real run (slow).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from agentkit.bench.bfcl_data import CATEGORIES, data_source, load_category, select_categories
from agentkit.bench.bfcl_schema import bound, call_schema, function_tool, to_bfcl, to_json_schema
from agentkit.cli import app
from agentkit.errors import ConfigError
from agentkit.models import FunctionModel, register_fake
from helpers import assert_one_error_line, read_jsonl

runner = CliRunner()

# -- tiny BFCL files, in BFCL's own format ------------------------------------------------

TRIANGLE = {
    "name": "calculate_triangle_area",
    "description": "Calculate the area of a triangle given its base and height.",
    "parameters": {
        "type": "dict",
        "properties": {
            "base": {"type": "integer", "description": "The base of the triangle."},
            "height": {"type": "integer", "description": "The height of the triangle."},
            "unit": {"type": "string", "description": "The unit of measure (defaults to 'units')."},
        },
        "required": ["base", "height"],
    },
}
FACTORIAL = {
    "name": "math.factorial",
    "description": "Calculate the factorial of a given number.",
    "parameters": {"type": "dict", "properties": {"number": {"type": "integer", "description": "The number."}}, "required": ["number"]},
}
CIRCLE = {
    "name": "circle.area",
    "description": "Area of a circle.",
    "parameters": {"type": "dict", "properties": {"radius": {"type": "float", "description": "The radius."}}, "required": ["radius"]},
}
BMI = {
    "name": "determine_body_mass_index",
    "description": "Calculate body mass index given weight and height.",
    "parameters": {
        "type": "dict",
        "properties": {"weight": {"type": "float", "description": "kg"}, "height": {"type": "float", "description": "m"}},
        "required": ["weight", "height"],
    },
}


def entry(id_: str, question: str, *functions: dict[str, Any]) -> dict[str, Any]:
    return {"id": id_, "question": [[{"role": "user", "content": question}]], "function": list(functions)}


FILES: dict[str, list[dict[str, Any]]] = {
    "simple_python": [
        entry("simple_python_0", "Area of a triangle with base 10 and height 5?", TRIANGLE),
        entry("simple_python_1", "Factorial of 5, please.", FACTORIAL),
        entry("simple_python_2", "Factorial of 7, please.", FACTORIAL),
    ],
    "multiple": [entry("multiple_0", "Area of a circle of radius 3.", FACTORIAL, CIRCLE)],
    "parallel": [entry("parallel_0", "Factorials of 3 and of 4.", FACTORIAL)],
    "irrelevance": [
        entry("irrelevance_0", "Who wrote Hamlet?", BMI),
        entry("irrelevance_1", "Capital of France?", BMI),
    ],
}
ANSWERS: dict[str, list[dict[str, Any]]] = {
    "simple_python": [
        {"id": "simple_python_0", "ground_truth": [{"calculate_triangle_area": {"base": [10], "height": [5], "unit": ["units", ""]}}]},
        {"id": "simple_python_1", "ground_truth": [{"math.factorial": {"number": [5]}}]},
        {"id": "simple_python_2", "ground_truth": [{"math.factorial": {"number": [7]}}]},
    ],
    "multiple": [{"id": "multiple_0", "ground_truth": [{"circle.area": {"radius": [3.0]}}]}],
    "parallel": [{"id": "parallel_0", "ground_truth": [{"math.factorial": {"number": [3]}}, {"math.factorial": {"number": [4]}}]}],
}

# What the fake caller answers per question (a wrong value for factorial 7; a call on irrelevance_1).
REPLIES: dict[str, Any] = {
    "Area of a triangle with base 10 and height 5?": {"function": "calculate_triangle_area", "arguments": {"base": 10, "height": 5}},
    "Factorial of 5, please.": {"function": "math.factorial", "arguments": {"number": 5}},
    "Factorial of 7, please.": {"function": "math.factorial", "arguments": {"number": 8}},
    "Area of a circle of radius 3.": {"function": "circle.area", "arguments": {"radius": 3}},
    "Factorials of 3 and of 4.": {"calls": [{"function": "math.factorial", "arguments": {"number": 4}}, {"function": "math.factorial", "arguments": {"number": 3}}]},
    "Who wrote Hamlet?": {"function": "none"},
    "Capital of France?": {"function": "determine_body_mass_index", "arguments": {"weight": 1, "height": 2}},
}


def write_bfcl(folder: Path, files: dict[str, list[dict[str, Any]]] = FILES, answers: dict[str, list[dict[str, Any]]] = ANSWERS, version: int = 4) -> Path:
    (folder / "possible_answer").mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        (folder / f"BFCL_v{version}_{name}.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for name, rows in answers.items():
        (folder / "possible_answer" / f"BFCL_v{version}_{name}.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def question_of(messages: list[Any]) -> str:
    return messages[0].content.rsplit("\nUser: ", 1)[1].split("\n", 1)[0]


class FakeCaller:
    """Answers from REPLIES by question; checks every answer against the schema it was given."""

    def __init__(self, fail: set[str] = frozenset(), garble: set[str] = frozenset()):
        self.fail, self.garble = set(fail), set(garble)
        self.calls: list[str] = []

    def __call__(self, messages: list[Any], schema: dict[str, Any] | None) -> Any:
        question = question_of(messages)
        self.calls.append(question)
        if question in self.fail:
            raise RuntimeError(f"backend down for {question!r}")
        if question in self.garble:
            return "I think the answer is 42"
        reply = REPLIES[question]
        jsonschema.validate(reply, schema)
        return reply


@pytest.fixture
def fake_caller() -> FakeCaller:
    fake = FakeCaller()
    register_fake("bfcl-caller", lambda: FunctionModel(fake, name="fake:bfcl-caller"))
    return fake


def bfcl(*args: Any):
    return runner.invoke(app, ["bench", "bfcl", *map(str, args)])


rows = read_jsonl


# -- BFCL types -> JSON Schema ----------------------------------------------------------------


def test_bfcl_types_become_json_schema():
    schema = to_json_schema(
        {
            "type": "dict",
            "properties": {
                "n": {"type": "integer", "description": "count", "default": 3},
                "x": {"type": "float"},
                "pair": {"type": "tuple", "items": {"type": "float"}},
                "anything": {"type": "any"},
                "flag": {"type": "boolean", "required": True, "optional": False},
                "opts": {"type": "dict", "properties": {"min": {"type": "float"}, "max": {"type": "float"}}, "required": ["min", "nope"]},
                "free": {"type": "dict"},
                "mode": {"type": "integer", "enum": ["fast", "slow"]},
                "odd": {"type": ""},
            },
            "required": ["n"],
        }
    )
    p = schema["properties"]
    assert schema["type"] == "object" and schema["required"] == ["n"]
    assert p["n"] == {"type": "integer", "description": "count", "default": 3}
    assert p["x"] == {"type": "number"}
    assert p["pair"] == {"type": "array", "items": {"type": "number"}}
    assert p["anything"] == {"type": "string"} and p["odd"] == {"type": "string"}
    assert p["flag"] == {"type": "boolean"}  # BFCL's property-level "required": true is not JSON Schema
    assert p["opts"]["properties"] == {"min": {"type": "number"}, "max": {"type": "number"}} and p["opts"]["required"] == ["min"]
    assert p["free"] == {"type": "object"}
    assert p["mode"] == {"enum": ["fast", "slow"]}  # a type the enum contradicts would be unsatisfiable
    jsonschema.Draft7Validator.check_schema(schema)


def test_type_map_agrees_with_bfcls_own():
    from bfcl_eval.constants.type_mappings import GORILLA_TO_OPENAPI

    from agentkit.bench.bfcl_schema import TYPES

    assert {k: v for k, v in TYPES.items() if k in GORILLA_TO_OPENAPI} == GORILLA_TO_OPENAPI


def test_function_docs_become_tools_and_a_bounded_schema():
    tool = function_tool(TRIANGLE)
    assert tool.name == "calculate_triangle_area" and tool.required == ["base", "height"]
    assert tool.parameters["properties"]["unit"]["type"] == "string"
    java = function_tool({"name": "Map.put", "parameters": {"type": "dict", "properties": {"m": {"type": "HashMap"}, "on": {"type": "boolean"}}, "required": ["m"]}}, "java")
    assert {p["type"] for p in java.parameters["properties"].values()} == {"string"}  # Java source literals
    assert "Java HashMap" in java.parameters["properties"]["m"]["description"]

    bounded = bound(to_json_schema({"type": "dict", "properties": {"s": {"type": "string"}, "xs": {"type": "array", "items": {"type": "string"}}, "d": {"type": "dict"}}}), max_chars=50, max_items=4)
    assert bounded["properties"]["s"] == {"type": "string", "maxLength": 50}
    assert bounded["properties"]["xs"] == {"type": "array", "maxItems": 4, "items": {"type": "string", "maxLength": 50}}
    assert bounded["additionalProperties"] is False and bounded["properties"]["d"]["additionalProperties"]["anyOf"]


def test_answer_schema_offers_each_function_and_a_refusal():
    tools = [function_tool(FACTORIAL), function_tool(CIRCLE)]
    single = call_schema(tools, parallel=False)
    ok = jsonschema.Draft202012Validator(single)
    assert ok.is_valid({"function": "math.factorial", "arguments": {"number": 5}})
    assert ok.is_valid({"function": "none"})
    assert not ok.is_valid({"function": "math.factorial", "arguments": {"radius": 1.5}})  # another function's arguments
    assert not ok.is_valid({"function": "unknown", "arguments": {}})
    assert not ok.is_valid({"function": "math.factorial", "arguments": {"number": 5, "extra": 1}})

    parallel = jsonschema.Draft202012Validator(call_schema(tools, parallel=True, max_calls=2))
    two = {"function": "math.factorial", "arguments": {"number": 3}}
    assert parallel.is_valid({"calls": [two, two]}) and parallel.is_valid({"function": "none"})
    assert not parallel.is_valid({"calls": [two, two, two]}) and not parallel.is_valid({"calls": []})


@pytest.mark.parametrize("parallel", [False, True])
def test_answer_schemas_are_working_llamacpp_grammars(parallel, grammars):
    from agentkit.models.grammar import schema_to_gbnf

    schema = call_schema([function_tool(f) for f in (TRIANGLE, FACTORIAL, CIRCLE, BMI)], parallel=parallel)
    gbnf = schema_to_gbnf(schema)
    assert grammars.initialises(gbnf)
    call = {"function": "math.factorial", "arguments": {"number": 5}}
    answer = {"calls": [call]} if parallel else call
    jsonschema.Draft202012Validator(schema).validate(answer)
    assert grammars.accepts(gbnf, json.dumps(answer)) and grammars.accepts(gbnf, json.dumps({"function": "none"}))
    wrong = {"function": "math.factorial", "arguments": {"radius": 1.5}}  # another function's arguments
    assert not grammars.accepts(gbnf, json.dumps({"calls": [wrong]} if parallel else wrong))
    assert not grammars.accepts(gbnf, json.dumps({"function": "unknown", "arguments": {}}))


def test_answers_become_bfcl_calls():
    functions = [FACTORIAL, CIRCLE, {"name": "f", "parameters": {"type": "dict", "properties": {"xs": {"type": "array", "items": {"type": "float"}}}}}]
    assert to_bfcl({"function": "none"}, functions) == []
    assert to_bfcl({"function": "math.factorial", "arguments": {"number": 5}}, functions) == [{"math.factorial": {"number": 5}}]
    calls = to_bfcl({"calls": [{"function": "circle.area", "arguments": {"radius": 3}}, {"function": "f", "arguments": {"xs": [1, 2.5]}}]}, functions)
    assert calls == [{"circle.area": {"radius": 3.0}}, {"f": {"xs": [1.0, 2.5]}}]
    assert type(calls[0]["circle.area"]["radius"]) is float and type(calls[1]["f"]["xs"][0]) is float  # declared float


# -- scoring with BFCL's own checker --------------------------------------------------------


def test_real_checker_scores_calls_and_refusals():
    from agentkit.bench.bfcl_checker import score

    simple, parallel, irrelevance = CATEGORIES["simple_python"], CATEGORIES["parallel"], CATEGORIES["irrelevance"]
    gold = ANSWERS["simple_python"][0]["ground_truth"]
    assert score(simple, [TRIANGLE], [{"calculate_triangle_area": {"base": 10, "height": 5}}], gold).valid
    assert score(simple, [TRIANGLE], [{"calculate_triangle_area": {"base": 10, "height": 5, "unit": "Units"}}], gold).valid  # BFCL normalises strings
    wrong = score(simple, [TRIANGLE], [{"calculate_triangle_area": {"base": 10, "height": 6}}], gold)
    assert not wrong.valid and wrong.error_type == "value_error:others" and "height" in wrong.error
    assert score(simple, [TRIANGLE], [], gold).error_type == "simple_function_checker:wrong_count"  # a refusal where a call is needed
    assert not score(simple, [TRIANGLE], None, gold).valid

    pgold = ANSWERS["parallel"][0]["ground_truth"]
    assert score(parallel, [FACTORIAL], [{"math.factorial": {"number": 4}}, {"math.factorial": {"number": 3}}], pgold).valid  # any order
    assert not score(parallel, [FACTORIAL], [{"math.factorial": {"number": 4}}], pgold).valid

    assert score(irrelevance, [BMI], [], None).valid
    assert score(irrelevance, [BMI], None, None).valid  # BFCL: an undecodable answer is no call
    called = score(irrelevance, [BMI], [{"determine_body_mass_index": {"weight": 1.0, "height": 2.0}}], None)
    assert not called.valid and called.error_type == "irrelevance_error:called"
    assert not score(CATEGORIES["live_relevance"], [BMI], [], None).valid


def test_checker_stand_in_is_scoped():
    from agentkit.bench.bfcl_checker import CHECKER_MODULE, CONFIG_MODULE, load_checker

    checker, language = load_checker()
    assert checker.__module__ == CHECKER_MODULE and language("java").name == "JAVA"
    # Neither the stand-in nor the checker built on it stays importable by others.
    assert CONFIG_MODULE not in sys.modules and CHECKER_MODULE not in sys.modules
    # The checker works on Java literals too (BFCL's type converters run).
    java_fn = {"name": "Flag.set", "parameters": {"type": "dict", "properties": {"on": {"type": "boolean"}}, "required": ["on"]}}
    result = checker([java_fn], [{"Flag.set": {"on": "true"}}], [{"Flag.set": {"on": [True]}}], language("java"), "simple_java", "agentkit")
    assert result["valid"], result


# -- data files ---------------------------------------------------------------------------------


def test_categories_aliases_groups_and_unknown():
    assert [c.name for c in select_categories(None)] == ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"]
    assert [c.name for c in select_categories(["simple,irrelevance", "simple"])] == ["simple_python", "irrelevance"]
    assert all(c.name.startswith("live_") for c in select_categories(["live"]))
    with pytest.raises(ConfigError, match="unknown BFCL category 'simpel'"):
        select_categories(["simpel"])


def test_loads_a_users_folder_with_limit_and_legacy_names(tmp_path):
    folder, source = data_source(write_bfcl(tmp_path / "v4"))
    assert source == str((tmp_path / "v4").resolve())
    samples = load_category(folder, CATEGORIES["simple_python"], limit=2)
    assert [s.id for s in samples] == ["simple_python_0", "simple_python_1"]
    assert samples[1].ground_truth == [{"math.factorial": {"number": [5]}}] and samples[0].messages[0].role == "user"
    assert load_category(folder, CATEGORIES["irrelevance"])[0].ground_truth is None

    legacy = write_bfcl(tmp_path / "v3", {"simple": FILES["simple_python"]}, {"simple": ANSWERS["simple_python"]}, version=3)
    assert len(load_category(legacy, CATEGORIES["simple_python"])) == 3

    with pytest.raises(ConfigError, match="no data file for BFCL category 'parallel_multiple'"):
        load_category(folder, CATEGORIES["parallel_multiple"])
    broken = write_bfcl(tmp_path / "broken", {"multiple": FILES["multiple"]}, {"multiple": []})
    with pytest.raises(ConfigError, match="no possible answer for multiple_0"):
        load_category(broken, CATEGORIES["multiple"])


def test_package_data_is_found():
    folder, source = data_source(None)
    assert source.startswith("bfcl-eval==")
    samples = load_category(folder, CATEGORIES["simple_python"], limit=1)
    assert samples[0].id == "simple_python_0" and samples[0].ground_truth


# -- the command, end to end on a fake model --------------------------------------------------


RUN_CATEGORIES = "simple,multiple,parallel,irrelevance"


@pytest.fixture(scope="module")
def bfcl_run(tmp_path_factory):
    """One `bench bfcl` run over the tiny files on the fake caller: (result, out folder, fake caller, args)."""
    fake = FakeCaller()
    register_fake("bfcl-run", lambda: FunctionModel(fake, name="fake:bfcl-run"))
    base = tmp_path_factory.mktemp("bfcl")
    data, out = write_bfcl(base / "data"), base / "run"
    args = ("--data", data, "--model", "fake:bfcl-run", "--out", out, "--quiet", "-c", RUN_CATEGORIES)
    result = bfcl(*args)
    assert result.exit_code == 0, result.output
    return result, out, fake, args


@pytest.mark.parametrize("row", [
    "| simple_python | 3 | 2 | 66.7 | 0 | 0 | 0 |",
    "| multiple | 1 | 1 | 100.0 |",
    "| parallel | 1 | 1 | 100.0 |",
    "| irrelevance | 2 | 1 | 50.0 | 1 |",
    "| overall | 7 | 5 | 71.4 |",
    "irrelevance detection: 1/2 (50.0%)",
])  # fmt: skip
def test_cli_run_prints_accuracy_per_category(bfcl_run, row):
    assert row in bfcl_run[0].stdout


def test_cli_run_writes_one_result_per_sample_in_order(bfcl_run):
    lines = rows(bfcl_run[1] / "results.jsonl")
    assert [r["id"] for r in lines] == ["simple_python_0", "simple_python_1", "simple_python_2", "multiple_0", "parallel_0", "irrelevance_0", "irrelevance_1"]
    assert all({"id", "category", "predicted", "valid", "error"} <= set(r) for r in lines)


@pytest.mark.parametrize(("sample", "predicted", "valid"), [
    ("simple_python_0", [{"calculate_triangle_area": {"base": 10, "height": 5}}], True),
    ("simple_python_2", None, False),
    ("multiple_0", [{"circle.area": {"radius": 3.0}}], True),
    ("irrelevance_0", [], True),  # refused: right for an irrelevant question
    ("irrelevance_1", [{"determine_body_mass_index": {"weight": 1.0, "height": 2.0}}], False),
])  # fmt: skip
def test_cli_run_records_each_answer_and_its_verdict(bfcl_run, sample, predicted, valid):
    record = {r["id"]: r for r in rows(bfcl_run[1] / "results.jsonl")}[sample]
    assert record["valid"] is valid
    if predicted is not None:
        assert record["predicted"] == predicted
    if not valid and sample.startswith("simple"):
        assert "number" in record["error"]  # BFCL's checker says what was wrong


def test_cli_run_writes_metrics_and_the_run_record(bfcl_run):
    out = bfcl_run[1]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["categories"]["simple_python"]["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["irrelevance"] == {"samples": 2, "no_call": 1, "refused": 1, "accuracy": 0.5}
    assert metrics["categories"]["simple_python"]["error_types"] == {"value_error:others": 1}
    assert json.loads((out / "run.json").read_text())["model"] == "fake:bfcl-run"
    assert {r["id"]: r for r in rows(out / "results.jsonl")}["irrelevance_0"]["refused"]


def test_cli_run_resumes_without_asking_again(bfcl_run):
    _, out, fake, args = bfcl_run
    calls = len(fake.calls)
    again = bfcl(*args)
    assert again.exit_code == 0 and len(fake.calls) == calls  # everything was done already
    assert "7 samples, 7 already done, 0 answered now" in again.stdout
    assert len(rows(out / "results.jsonl")) == 7


def test_cli_failing_samples_are_recorded_not_fatal(tmp_path):
    fake = FakeCaller(fail={"Factorial of 5, please."}, garble={"Who wrote Hamlet?", "Factorial of 7, please."})
    register_fake("bfcl-flaky", lambda: FunctionModel(fake, name="fake:bfcl-flaky"))
    data, out = write_bfcl(tmp_path / "data"), tmp_path / "run"
    result = bfcl("--data", data, "--model", "fake:bfcl-flaky", "--out", out, "--quiet", "-c", "simple", "-c", "irrelevance")
    assert result.exit_code == 0, result.output
    by_id = {r["id"]: r for r in rows(out / "results.jsonl")}
    down = by_id["simple_python_1"]
    assert down["status"] == "error" and down["valid"] is False and down["predicted"] is None and "backend down" in down["error"]
    garbled = by_id["simple_python_2"]
    assert garbled["status"] == "unparsed" and garbled["error_type"] == "StructuredOutputError" and "42" in garbled["raw"]
    assert by_id["irrelevance_0"]["status"] == "unparsed" and by_id["irrelevance_0"]["valid"]  # BFCL: no decodable call
    assert "1 failed now" in result.stdout

    fake.fail.clear()  # the backend is back: only the failed call is tried again
    before = len(fake.calls)
    again = bfcl("--data", data, "--model", "fake:bfcl-flaky", "--out", out, "--quiet", "-c", "simple,irrelevance")
    assert again.exit_code == 0, again.output
    assert fake.calls[before:] == ["Factorial of 5, please."]
    assert rows(out / "results.jsonl")[-1]["id"] == "simple_python_1" and rows(out / "results.jsonl")[-1]["valid"]


def test_cli_bad_flags_are_one_error_line(tmp_path, fake_caller):
    data = write_bfcl(tmp_path / "data")
    base = ("--data", data, "--model", "fake:bfcl-caller", "--out", tmp_path / "run", "--quiet")
    assert_one_error_line(bfcl(*base, "--category", "simpel"), "--category", "simpel")
    assert_one_error_line(bfcl(*base, "--limit", "0"), "--limit must be at least 1")
    assert_one_error_line(bfcl(*base, "--concurrency", "0"), "--concurrency")
    assert_one_error_line(bfcl("--data", tmp_path / "nope", "--quiet"), "no such folder")
    assert_one_error_line(bfcl(*base, "-c", "parallel_multiple"), "no data file", "parallel_multiple")
    assert not (tmp_path / "run").exists()  # nothing written before the inputs are right


def test_cli_resume_refuses_another_model(tmp_path, fake_caller):
    data, out = write_bfcl(tmp_path / "data"), tmp_path / "run"
    assert bfcl("--data", data, "--model", "fake:bfcl-caller", "--out", out, "--quiet", "-c", "irrelevance").exit_code == 0
    register_fake("bfcl-other", lambda: FunctionModel(FakeCaller(), name="fake:bfcl-other"))
    assert_one_error_line(bfcl("--data", data, "--model", "fake:bfcl-other", "--out", out, "--quiet", "-c", "irrelevance"), "use another --out")
    assert_one_error_line(bfcl("--data", data, "--model", "nobackend:x", "--out", tmp_path / "r2", "--quiet"), "bad model spec", single=False)  # it lists the accepted forms


# -- the real default model ---------------------------------------------------------------------


@pytest.mark.slow
def test_real_run_on_the_default_model_writes_well_formed_results(tmp_path):
    out = tmp_path / "run"
    result = bfcl("--model", "llamacpp:default", "-c", "simple,irrelevance", "--limit", "1", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    lines = rows(out / "results.jsonl")
    assert [(r["id"], r["category"]) for r in lines] == [("simple_python_0", "simple_python"), ("irrelevance_0", "irrelevance")]
    for r in lines:
        assert isinstance(r["valid"], bool) and r["status"] in ("ok", "unparsed", "error")
        assert r["status"] != "error", r  # the model ran; right or wrong, it answered
        if r["predicted"] is not None:
            assert all(isinstance(c, dict) and len(c) == 1 and isinstance(next(iter(c.values())), dict) for c in r["predicted"])
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["categories"]) == {"simple_python", "irrelevance"} and metrics["overall"]["samples"] == 2
    assert "| simple_python | 1 |" in result.stdout
