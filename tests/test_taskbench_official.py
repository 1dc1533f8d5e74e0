"""The TaskBench scorer agrees with TaskBench's own evaluator.

1. Committed fixtures: imperfect predictions over the two mini domains, beside the figures that the
   official ``taskbench/evaluate.py`` (microsoft/JARVIS @ c62e0fa) printed for them
   (``tests/fixtures/taskbench_mini/official/``; its README says how they were made).
2. The development copy of the upstream data in ``shared/taskbench`` (beside the repository, as in
   CI), when it is there: the checks of ``benchmarks/check_taskbench_scorer.py``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from agentkit.bench import load_gold, score_predictions
from helpers import FIXTURES, read_jsonl

OFFICIAL = FIXTURES / "taskbench_mini" / "official"
FIGURES = json.loads((OFFICIAL / "figures.json").read_text())
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "taskbench"


def _cases() -> list[tuple[str, str]]:
    return [(domain, split) for domain, splits in FIGURES.items() for split in splits]


@pytest.mark.parametrize(("domain", "split"), _cases())
def test_official_mode_gives_the_official_evaluators_figures(domain, split):
    predictions = read_jsonl(OFFICIAL / f"{domain}.predictions.jsonl")
    score = score_predictions(FIXTURES / "taskbench_mini" / domain, predictions, mode="official")
    group = score.overall if split == "overall" else score.splits.get(split)
    expected = FIGURES[domain][split]
    if "n_f1" not in expected:  # upstream: no scorable sample in this split
        assert group is None or group.scored == 0
        return
    assert group.scored == expected["scored"]
    keys = [k for k in ("n_f1", "e_f1", "t_f1", "v_f1", "edit_distance") if k in expected]
    assert {key: round(getattr(group, key), 2) for key in keys} == {key: expected[key] for key in keys}
    if "e_f1" not in expected:  # no links anywhere: the 2023 evaluator's scikit-learn gave 0 (see the README)
        assert group.e_f1 == 0


# -- the upstream data, when a copy sits beside the repository -----------------------------------

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"no TaskBench development copy at {SHARED} (CI lays shared/ beside the clone)"
)


@pytest.fixture(scope="module")
def checks():
    spec = importlib.util.spec_from_file_location("check_taskbench_scorer", ROOT / "benchmarks" / "check_taskbench_scorer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_shared
@pytest.mark.parametrize("domain", ["huggingface", "multimedia", "dailylifeapis"])
def test_the_scorer_passes_the_upstream_checks_on_the_shared_data(domain, checks):
    folder = SHARED / domain
    if not folder.is_dir():
        pytest.skip(f"{folder} is not in this copy of the shared data")
    golds = load_gold(folder)
    assert checks.check_gold(folder, golds)
    assert checks.check_invented_tool(folder, golds)
    assert checks.check_first_half(folder, golds)
    if domain == "huggingface" and len(golds) == checks.REMOVAL_EXPECTED["samples"]:
        assert checks.check_removal(folder, golds)  # upstream's own e/t/v-F1 on this file
