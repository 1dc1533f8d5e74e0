"""TaskBench scorer on two tiny hand-made domains (tests/fixtures/taskbench_mini).

Fixture totals the arithmetic below starts from (gold-as-prediction scores 100 everywhere):

resource (tools: Image Classification=1, Text-to-Speech=2, Translation=3, Image Editing=4,
Audio Player=5; links and parameter names are rebuilt from ``<node-k>`` arguments):
  r1 single  IC("photo.jpg", 250)               nodes {IC}      links -
  r2 chain   Tr("Bonjour le monde"), TTS(<node-0>) nodes {Tr,TTS} links Tr->TTS
  r3 chain   Color Detection("photo.jpg"), Tr(<node-0>)   (Color Detection is not a tool)
  r4 dag     IE("Make the sky blue", <node-0> = itself), IC(<node-0>), TTS(<node-1>)
  r5 chain   TTS(<node-1> = forward), Tr("Hola")
  r6 single  task_nodes is an object -> unreadable gold, never scored
  => in-list gold nodes 1+2+1+3+2 = 9, links 0+1+1+2+1 = 5, t keys 1+2+2+3+2 = 10, v keys 10.
temporal (dailylifeapis style; links from task_links):
  t1 single set_alarm; t2 set_alarm -> play_movie_by_title; t3 get_weather -> send_email;
  t4 book_ride (not a tool) -> send_email
  => in-list gold nodes 1+2+2+1 = 6, links 3, t keys 1+2+4+3 = 10, v keys 10.

F1 = 2TP / (2TP + FP + FN) throughout; numbers are percentages.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from agentkit.bench import (
    format_score_table,
    load_gold,
    load_predictions,
    load_tool_catalog,
    load_user_requests,
    score_predictions,
)
from agentkit.errors import ConfigError, ToolLoadError

FIXTURES = Path(__file__).parent / "fixtures" / "taskbench_mini"
RESOURCE = FIXTURES / "resource"
TEMPORAL = FIXTURES / "temporal"


def gold_predictions(domain: Path) -> dict[str, dict[str, Any]]:
    """The gold itself as prediction records, by id (deep copies, free to edit)."""
    return {
        gold.id: {
            "id": gold.id,
            "result": copy.deepcopy(
                {"task_steps": gold.task_steps, "task_nodes": gold.task_nodes, "task_links": gold.task_links}
            ),
        }
        for gold in load_gold(domain)
    }


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- loaders -------------------------------------------------------------------------------


def test_load_gold_tolerates_object_task_nodes_and_odd_links() -> None:
    golds = load_gold(RESOURCE)
    assert [g.id for g in golds] == ["r1", "r2", "r3", "r4", "r5", "r6"]
    assert isinstance(golds[5].task_nodes, dict) and golds[5].n_nodes == 1  # len() of the object
    assert golds[2].task_links == [{"source": "Color Detection", "destination": "Translation"}]


def test_load_gold_names_file_and_line_on_bad_json(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "data.jsonl", [(RESOURCE / "data.jsonl").read_text().splitlines()[0], "{oops"])
    with pytest.raises(ConfigError, match=r"data\.jsonl:2: not valid JSON"):
        load_gold(data)


def test_tool_catalog_detects_dependency_style() -> None:
    assert load_tool_catalog(RESOURCE / "tool_desc.json").dependency == "resource"
    assert load_tool_catalog(TEMPORAL / "tool_desc.json").dependency == "temporal"


def test_tool_catalog_rejects_missing_nodes(tmp_path: Path) -> None:
    (tmp_path / "tool_desc.json").write_text('{"tools": []}')
    with pytest.raises(ToolLoadError, match="tool_desc.json: expected an object with a 'nodes' list"):
        load_tool_catalog(tmp_path / "tool_desc.json")


def test_user_requests_by_id() -> None:
    assert load_user_requests(TEMPORAL / "user_requests.jsonl")["t2"] == "Alarm at 7, then Inception."


def test_prediction_file_records_unreadable_lines(tmp_path: Path) -> None:
    lines = ['{"id": "r1", "result": {}}', "not json {", '{"result": {}}', '{"id": "r1"}']
    path = write_jsonl(tmp_path / "p.jsonl", lines)
    preds = load_predictions(path)
    assert preds.unreadable_lines == [2, 3]  # not JSON; no id
    assert preds.records["r1"].result is None and preds.records["r1"].line == 4  # a later line wins


# --- gold as prediction ----------------------------------------------------------------------


def test_gold_as_prediction_is_perfect_and_skips_unreadable_gold() -> None:
    score = score_predictions(RESOURCE, gold_predictions(RESOURCE).values())
    o = score.overall
    assert (o.n_f1, o.e_f1, o.t_f1, o.v_f1, o.rouge1, o.rouge2, o.edit_distance) == (100, 100, 100, 100, 100, 100, 0)
    # r6 is dropped from the graph metrics but its steps were read first, so ROUGE has 6.
    assert (o.samples, o.predicted, o.scored, o.step_supports) == (6, 6, 5, 6)
    assert score.coverage.unscorable_gold_ids == ["r6"] and score.coverage.valid == 5


def test_single_split_empty_edge_f1_is_zero_official_undefined_strict() -> None:
    preds = list(gold_predictions(TEMPORAL).values())
    # t1 is the only single sample: no links on either side -> sklearn 1.0.2 returns 0.0.
    assert score_predictions(TEMPORAL, preds).splits["single"].e_f1 == 0.0
    assert score_predictions(TEMPORAL, preds, mode="strict").splits["single"].e_f1 is None


# --- coverage: missing, empty, invalid -----------------------------------------------------------


def test_missing_id_not_counted_in_official_mode() -> None:
    preds = gold_predictions(RESOURCE)
    del preds["r2"]
    score = score_predictions(RESOURCE, preds.values())
    # The other samples are perfect; r2 simply does not exist for the metrics.
    assert (score.overall.n_f1, score.overall.e_f1, score.overall.scored) == (100, 100, 4)
    assert score.coverage.missing_ids == ["r2"] and score.coverage.present == 5


def test_missing_id_counts_as_empty_in_strict_mode() -> None:
    preds = gold_predictions(RESOURCE)
    del preds["r2"]
    o = score_predictions(RESOURCE, preds.values(), mode="strict").overall
    assert o.scored == 5  # r1-r5; r6 is unreadable gold
    assert o.n_f1 == pytest.approx(100 * 14 / 16)  # TP 7, FN 2 (Tr, TTS of r2)
    assert o.e_f1 == pytest.approx(100 * 8 / 9)  # TP 4, FN 1
    assert o.t_f1 == pytest.approx(100 * 16 / 18)  # TP 8, FN 2
    assert o.rouge1 == pytest.approx(100 * 4 / 5)  # r2 scores 0 of 5 samples
    assert o.edit_distance == pytest.approx(100 * 1 / 5)  # r2 ratio: [] vs [3, 2] = 0; mean 4/5


def test_empty_prediction_is_scored_as_empty() -> None:
    preds = gold_predictions(RESOURCE)
    preds["r2"]["result"] = {"task_steps": [], "task_nodes": [], "task_links": []}
    o = score_predictions(RESOURCE, preds.values()).overall
    assert o.n_f1 == pytest.approx(100 * 14 / 16)  # TP 7, FN 2
    # steps [] -> upstream scores the text "[]" (no tokens) -> 0; 6 step supports incl. r6.
    assert o.rouge1 == pytest.approx(100 * 5 / 6)


def test_invalid_predictions_dropped_in_official_mode(tmp_path: Path) -> None:
    preds = gold_predictions(RESOURCE)
    lines = [json.dumps(preds["r1"]), "not json {", json.dumps({"id": "r3", "result": {"task_steps": ["x"]}})]
    lines += [json.dumps(preds[i]) for i in ("r4", "r5", "r6")]
    score = score_predictions(RESOURCE, write_jsonl(tmp_path / "p.jsonl", lines))
    o, c = score.overall, score.coverage
    assert (o.scored, o.n_f1, o.v_f1) == (3, 100, 100)  # r1, r4, r5
    assert o.step_supports == 5  # r3's steps were read before task_nodes was missed
    assert c.unreadable_prediction_lines == [2] and c.missing_ids == ["r2"] and c.invalid_ids == ["r3"]


def test_invalid_predictions_empty_in_strict_mode(tmp_path: Path) -> None:
    preds = gold_predictions(RESOURCE)
    lines = [json.dumps(preds["r1"]), "not json {", json.dumps({"id": "r3", "result": {"task_steps": ["x"]}})]
    lines += [json.dumps(preds[i]) for i in ("r4", "r5")]
    o = score_predictions(RESOURCE, write_jsonl(tmp_path / "p.jsonl", lines), mode="strict").overall
    assert o.scored == 5
    assert o.n_f1 == pytest.approx(100 * 12 / 15)  # TP 6, FN 3 (r2: Tr, TTS; r3: Tr)


# --- node F1 --------------------------------------------------------------------------------------


def test_hallucinated_tool_costs_nothing_in_node_f1_but_counts_in_params() -> None:
    preds = gold_predictions(RESOURCE)
    preds["r1"]["result"]["task_nodes"].append({"task": "Made Up Tool", "arguments": ["photo.jpg"]})
    o = score_predictions(RESOURCE, preds.values()).overall
    assert o.n_f1 == 100
    assert o.t_f1 == pytest.approx(100 * 20 / 21)  # "Made Up Tool-image" is a false positive
    assert o.edit_distance == pytest.approx(100 * 1 / 15)  # r1: [1, 0] vs [1] = 1 - 1/3; mean (4 + 2/3)/5


def test_dropping_out_of_list_gold_tool_keeps_node_f1_but_costs_links_and_params() -> None:
    preds = gold_predictions(RESOURCE)
    preds["r3"]["result"]["task_nodes"] = [{"task": "Translation", "arguments": ["<node-0>"]}]  # now a self reference
    o = score_predictions(RESOURCE, preds.values()).overall
    assert o.n_f1 == 100  # Color Detection was never a hit nor a miss
    assert o.e_f1 == pytest.approx(100 * 8 / 9)  # TP 4, FN 1
    assert o.t_f1 == pytest.approx(100 * 16 / 18)  # "Color Detection-image", "Translation-other" lost
    assert o.v_f1 == pytest.approx(100 * 16 / 18)


def test_duplicate_nodes_collapse() -> None:
    preds = gold_predictions(RESOURCE)
    preds["r1"]["result"]["task_nodes"] *= 2
    o = score_predictions(RESOURCE, preds.values()).overall
    assert (o.n_f1, o.t_f1, o.v_f1) == (100, 100, 100)
    assert o.edit_distance == pytest.approx(100 * 1 / 15)  # only the sequence sees it: [1, 1] vs [1] = 2/3


def test_underscores_become_spaces_in_resource_names() -> None:
    preds = gold_predictions(RESOURCE)
    preds["r1"]["result"]["task_nodes"][0]["task"] = "Image_Classification"
    o = score_predictions(RESOURCE, preds.values()).overall
    assert (o.n_f1, o.t_f1, o.edit_distance) == (100, 100, 0)


# --- links and parameters from <node-k> ------------------------------------------------------------


def test_self_reference_is_skipped() -> None:
    preds = gold_predictions(RESOURCE)
    preds["r2"]["result"]["task_nodes"][1]["arguments"] = ["<node-1>"]  # TTS pointing at itself
    o = score_predictions(RESOURCE, preds.values()).overall
    assert o.e_f1 == pytest.approx(100 * 8 / 9)  # no link: TP 4, FN 1
    assert o.t_f1 == pytest.approx(100 * 18 / 19)  # no argument either: TP 9, FN 1


def test_forward_reference_gives_the_same_link_as_a_backward_one() -> None:
    preds = gold_predictions(RESOURCE)
    # gold r5 is TTS(<node-1>), Tr("Hola"); predict the same graph in the other order.
    preds["r5"]["result"]["task_nodes"] = [
        {"task": "Translation", "arguments": ["Hola"]},
        {"task": "Text-to-Speech", "arguments": ["<node-0>"]},
    ]
    o = score_predictions(RESOURCE, preds.values()).overall
    assert (o.n_f1, o.e_f1, o.t_f1, o.v_f1) == (100, 100, 100, 100)
    assert o.edit_distance == pytest.approx(100 * 1 / 10)  # [3, 2] vs [2, 3]: 1 - 2/4; mean 4.5/5


def test_unconvertible_argument_reuses_the_previous_one_official_skips_strict() -> None:
    preds = gold_predictions(RESOURCE)
    preds["r2"]["result"]["task_nodes"][1]["arguments"] = [42]
    official = score_predictions(RESOURCE, preds.values()).overall
    # The last converted argument is r2's own "Bonjour le monde" (text): TTS-text survives.
    assert official.e_f1 == pytest.approx(100 * 8 / 9)  # the link is lost: TP 4, FN 1
    assert official.t_f1 == 100
    assert official.v_f1 == pytest.approx(100 * 18 / 20)  # "...-text-Bonjour le monde" FP, "...-text-Translation" FN
    strict = score_predictions(RESOURCE, preds.values(), mode="strict").overall
    assert strict.t_f1 == pytest.approx(100 * 18 / 19)  # the argument is skipped: FN 1


# --- temporal (dailylifeapis) -------------------------------------------------------------------


def test_single_node_with_invented_link() -> None:
    preds = gold_predictions(TEMPORAL)
    preds["t1"]["result"]["task_links"] = [{"source": "set_alarm", "target": "play_movie_by_title"}]
    score = score_predictions(TEMPORAL, preds.values())
    assert score.splits["single"].e_f1 == 0.0  # TP 0, FP 1
    assert score.overall.e_f1 == pytest.approx(100 * 6 / 7)  # TP 3, FP 1
    assert score.overall.n_f1 == 100


def test_temporal_unknown_tool_ignored_in_nodes_but_counted_in_links_and_params() -> None:
    preds = gold_predictions(TEMPORAL)
    result = preds["t4"]["result"]
    result["task_nodes"], result["task_links"] = result["task_nodes"][1:], []  # drop book_ride
    o = score_predictions(TEMPORAL, preds.values()).overall
    assert o.n_f1 == 100
    assert o.e_f1 == pytest.approx(100 * 4 / 5)  # TP 2, FN 1
    assert o.t_f1 == pytest.approx(100 * 18 / 19)  # "book_ride-destination" lost


def test_temporal_argument_not_an_object_drops_sample_official() -> None:
    preds = gold_predictions(TEMPORAL)
    preds["t2"]["result"]["task_nodes"][0]["arguments"] = ["7:00 am"]
    score = score_predictions(TEMPORAL, preds.values())
    assert (score.overall.scored, score.overall.n_f1, score.overall.v_f1) == (3, 100, 100)
    assert score.coverage.invalid_ids == ["t2"]


def test_temporal_argument_not_an_object_is_empty_strict() -> None:
    preds = gold_predictions(TEMPORAL)
    preds["t2"]["result"]["task_nodes"][0]["arguments"] = ["7:00 am"]
    o = score_predictions(TEMPORAL, preds.values(), mode="strict").overall
    assert o.n_f1 == pytest.approx(100 * 8 / 10)  # TP 4, FN 2
    assert o.e_f1 == pytest.approx(100 * 4 / 5)  # TP 2, FN 1
    assert o.t_f1 == pytest.approx(100 * 16 / 18)  # TP 8, FN 2


def test_temporal_missing_task_links_drops_sample_official() -> None:
    preds = gold_predictions(TEMPORAL)
    del preds["t3"]["result"]["task_links"]
    score = score_predictions(TEMPORAL, preds.values())
    assert (score.overall.scored, score.overall.step_supports) == (3, 4)


# --- steps (ROUGE) -------------------------------------------------------------------------------------


def test_rouge_on_lowercased_alphanumeric_tokens() -> None:
    preds = gold_predictions(RESOURCE)
    preds["r1"]["result"]["task_steps"] = ["classify the image"]
    o = score_predictions(RESOURCE, preds.values()).overall
    # gold "Step 1: Classify the image photo.jpg" = 7 tokens; prediction 3, all in gold.
    # R1: P 1, R 3/7 -> F 0.6; R2: 2 of 6 gold bigrams -> F 0.5. Mean over 6 step supports.
    assert o.rouge1 == pytest.approx(100 * 5.6 / 6)
    assert o.rouge2 == pytest.approx(100 * 5.5 / 6)


def test_step_objects_are_read_by_their_text_key() -> None:
    preds = gold_predictions(RESOURCE)
    steps = preds["r2"]["result"]["task_steps"]
    preds["r2"]["result"]["task_steps"] = [{"description": step} for step in steps]
    assert score_predictions(RESOURCE, preds.values()).overall.rouge1 == 100


# --- report ---------------------------------------------------------------------------------------------


def test_format_score_table_lists_groups_and_coverage() -> None:
    table = format_score_table(score_predictions(TEMPORAL, gold_predictions(TEMPORAL).values(), mode="strict"))
    assert table.splitlines()[0].startswith("| group | samples | scored | n-F1 |")
    assert "| type=single | 1 | 1 | 100.00 | n/a |" in table
    assert "| nodes=2 | 3 | 3 |" in table
    assert "Coverage: 4/4 predicted, 4/4 valid" in table
