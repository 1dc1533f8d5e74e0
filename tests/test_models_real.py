"""The real backends: llama.cpp in-process and an OpenAI-compatible server on 127.0.0.1."""

import pytest

from agentkit.models import GenerationSettings, generate_object, load_model

pytestmark = pytest.mark.slow

SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 20},
        "unit": {"enum": ["celsius", "fahrenheit"]},
    },
    "required": ["city", "unit"],
    "additionalProperties": False,
}
PROMPT = [
    {"role": "system", "content": "Extract the city and the temperature unit as JSON."},
    {"role": "user", "content": "How warm is it in Paris, in celsius?"},
]


async def test_llamacpp_default_model_returns_schema_valid_objects(gemma):
    result = await generate_object(gemma, PROMPT, SCHEMA, max_tokens=40)
    assert set(result.parsed) == {"city", "unit"}
    assert result.parsed["unit"] in ("celsius", "fahrenheit")
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0 and result.usage.latency_s > 0


async def test_llamacpp_free_text(gemma):
    result = await gemma.complete(PROMPT[1:], settings=GenerationSettings(max_tokens=8))
    assert result.text and result.usage.completion_tokens <= 8


async def test_llamacpp_concurrent_calls_are_safe(gemma):
    import asyncio

    results = await asyncio.gather(*(generate_object(gemma, PROMPT, SCHEMA, max_tokens=40) for _ in range(3)))
    assert all(r.parsed["unit"] in ("celsius", "fahrenheit") for r in results)


async def test_topk_grammar_matches_llama_cpp_grammar(gemma):
    """Greedy decoding under the top-k grammar picks the same tokens as full-vocabulary masking."""
    from agentkit.models.llamacpp import LlamaCppModel

    reference = LlamaCppModel(grammar_engine="llama")
    fast = await generate_object(gemma, PROMPT, SCHEMA, max_tokens=40)
    slow = await generate_object(reference, PROMPT, SCHEMA, max_tokens=40)
    assert fast.text == slow.text


async def test_openai_backend_against_a_real_local_server(llama_server_url):
    model = load_model(f"openai:gemma@{llama_server_url}")
    result = await generate_object(model, PROMPT, SCHEMA, max_tokens=40)
    assert result.parsed["unit"] in ("celsius", "fahrenheit")
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0


async def test_openai_backend_unreachable_server_is_a_model_error():
    from agentkit import ModelError
    from agentkit.testing import free_port

    model = load_model(f"openai:x@http://127.0.0.1:{free_port()}/v1", max_retries=0, timeout=2)
    with pytest.raises(ModelError, match="cannot reach the server"):
        await model.complete([{"role": "user", "content": "hi"}])


async def test_llamacpp_streams_the_same_text_and_usage(gemma):
    pieces: list[str] = []
    streamed = await generate_object(gemma, PROMPT, SCHEMA, max_tokens=40, on_token=pieces.append)
    whole = await generate_object(gemma, PROMPT, SCHEMA, max_tokens=40)
    assert len(pieces) > 3 and "".join(pieces) == streamed.text == whole.text
    assert (streamed.usage.prompt_tokens, streamed.usage.completion_tokens) == (
        whole.usage.prompt_tokens,
        whole.usage.completion_tokens,
    )


async def test_llamacpp_sampling_parameters_change_the_output(gemma):
    prompt = [{"role": "user", "content": "Write a short list of animals."}]
    greedy = await gemma.complete(prompt, settings=GenerationSettings(max_tokens=40))
    penalised = await gemma.complete(prompt, settings=GenerationSettings(max_tokens=40, presence_penalty=2.0, frequency_penalty=2.0))
    assert greedy.text != penalised.text


async def test_openai_backend_streams_from_a_real_local_server(llama_server_url):
    model = load_model(f"openai:gemma@{llama_server_url}")
    pieces: list[str] = []
    result = await model.complete(PROMPT[1:], settings=GenerationSettings(max_tokens=12), on_token=pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == result.text
    # llama-cpp-python's server sends no usage when streaming: counts are estimated and say so.
    assert result.usage.estimated and result.usage.prompt_tokens > 0 and result.usage.completion_tokens == len(pieces)


def test_gpu_layers_on_a_cpu_only_build_are_said_once_as_a_warning(monkeypatch, caplog):
    from agentkit.models import llamacpp

    if llamacpp.gpu_offload_available():
        pytest.skip("this llama.cpp build can offload to a GPU, so there is no CPU-only warning to check")
    monkeypatch.setattr(llamacpp, "_said_cpu", False)
    with caplog.at_level("INFO", logger="agentkit.models.llamacpp"):
        load_model("llamacpp:default", n_gpu_layers=-1, n_ctx=512)
        load_model("llamacpp:default", n_gpu_layers=-1, n_ctx=256)
    said = [r for r in caplog.records if "without GPU offload" in r.getMessage()]
    assert len(said) == 1 and said[0].levelname == "WARNING"
