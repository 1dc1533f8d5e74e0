"""`bench bfcl --examples K`: other samples of the category as demonstrations, never the sample itself."""

from __future__ import annotations

from agentkit.bench.bfcl_data import BfclSample, ChatTurn
from agentkit.bench.bfcl_examples import category_banks, demonstrations

WEATHER = {"name": "get_weather", "parameters": {"type": "dict", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def _sample(id: str, text: str, city: str) -> BfclSample:
    return BfclSample(id=id, category="simple_python", messages=[ChatTurn(role="user", content=text)], functions=[WEATHER],
                      ground_truth=[{"get_weather": {"city": [city, ""]}}])  # fmt: skip


SAMPLES = [_sample("s0", "What is the weather in Paris today?", "Paris"),
           _sample("s1", "What is the weather in Rome today?", "Rome"),
           _sample("s2", "Tell me a joke about cats", "none")]  # fmt: skip


def test_a_sample_is_shown_its_nearest_neighbour_with_its_answer_never_itself() -> None:
    banks = category_banks(SAMPLES)
    demos = demonstrations(banks["simple_python"], SAMPLES[0], 1)
    assert [d["user"] for d in demos] == ["What is the weather in Rome today?"]
    assert demos[0]["answer"] == '{"function": "get_weather", "arguments": {"city": "Rome"}}'
    assert demos[0]["functions"] == "get_weather(city: string, required)"


def test_no_bank_means_the_fixed_examples() -> None:
    assert demonstrations(None, SAMPLES[0], 3) == []
