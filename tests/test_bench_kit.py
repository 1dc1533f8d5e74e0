"""The benchmark kit: a small benchmark of its own gets a run folder, resume, crash repair and timing from the kit."""

import time

import pytest

from agentkit import ConfigError
from agentkit.bench.kit import Files, Outcome, RunFolder, failure, log_record, timing
from agentkit.bench.runner import run_benchmark


class Question:
    def __init__(self, id: str, text: str, answer: str):
        self.id, self.text, self.answer = id, text, answer


class Doubler:
    """The predictor: doubles a number; a question that is no number fails (an outcome, not an exception)."""

    def __init__(self):
        self.seen: list[str] = []

    async def predict(self, sample: Question) -> Outcome:
        self.seen.append(sample.id)
        started = time.perf_counter()
        try:
            return Outcome(sample.id, time.perf_counter() - started, result={"answer": str(2 * int(sample.text))})
        except ValueError as exc:
            return failure(sample.id, started, exc)


class Doubling:
    """A whole benchmark in a few lines: samples, the predictor, records, a score."""

    def __init__(self, questions: list[Question]):
        self.questions, self.doubler = questions, Doubler()

    def load_samples(self, exclude):
        return [q for q in self.questions if q.id not in exclude]

    def done_ids(self, folder: RunFolder) -> set[str]:
        return {r["id"] for r in folder.read("answers.jsonl")}

    def predictor(self) -> Doubler:
        return self.doubler

    def predictor_factory(self):
        return Doubler

    def to_wire(self, sample: Question) -> Question:
        return sample

    def record(self, sample: Question, outcome: Outcome, files: Files) -> bool:
        if outcome.result is not None:
            files.write("answers.jsonl", {"id": outcome.id, **outcome.result})
        files.write("samples.jsonl", log_record(outcome))
        return outcome.result is not None

    def score(self, samples, folder: RunFolder) -> dict:
        gold = {q.id: q.answer for q in samples}
        right = sum(r["answer"] == gold[r["id"]] for r in folder.read("answers.jsonl"))
        return {"accuracy": right / len(samples), "timing": timing(folder, set(gold))}


QUESTIONS = [Question("a", "2", "4"), Question("b", "x", "?"), Question("c", "5", "11")]


def test_a_run_records_scores_and_resumes_with_only_the_failures_tried_again(tmp_path):
    folder = RunFolder(tmp_path / "run", {"model": "doubler"}, ["model"])
    first = run_benchmark(Doubling(QUESTIONS), folder, concurrency=2)
    assert (first.selected, first.skipped, first.done, first.failed) == (3, 0, 2, 1)
    assert first.metrics["accuracy"] == pytest.approx(1 / 3) and first.metrics["timing"]["errors"] == 1
    again = Doubling(QUESTIONS)
    second = run_benchmark(again, folder)
    assert (second.skipped, second.done, second.failed) == (2, 0, 1) and again.doubler.seen == ["b"]


def test_a_line_cut_by_a_crash_is_skipped_and_the_file_stays_appendable(tmp_path):
    folder = RunFolder(tmp_path / "run", {"model": "doubler"}, ["model"])
    folder.start()
    (folder.path / "answers.jsonl").write_text('{"id": "a", "answer": "4"}\n{"id": "c", "ans')  # killed mid-line
    stats = run_benchmark(Doubling(QUESTIONS), folder)
    assert stats.skipped == 1 and [r["id"] for r in folder.read("answers.jsonl")] == ["a", "c"]


def test_a_folder_of_another_run_is_refused_before_anything_runs(tmp_path):
    run_benchmark(Doubling(QUESTIONS), RunFolder(tmp_path, {"model": "doubler"}, ["model"]))
    other = Doubling(QUESTIONS)
    with pytest.raises(ConfigError, match="holds a run with model='doubler'"):
        run_benchmark(other, RunFolder(tmp_path, {"model": "tripler"}, ["model"]))
    assert other.doubler.seen == []
