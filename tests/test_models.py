"""Model specs, structured output with validation and repair, and the fakes."""

import json

import pytest

from agentkit import ModelSpecError, StructuredOutputError
from agentkit.models import GenerationSettings, ScriptedModel, generate_object, load_model, merge_system_messages, parse_model_spec
from agentkit.models.base import Completion, Message
from helpers import recording_openai_server

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 20}},
    "required": ["city"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("spec", "backend", "model", "url"),
    [
        ("llamacpp:default", "llamacpp", "default", None),
        ("llamacpp:/models/x.gguf", "llamacpp", "/models/x.gguf", None),
        ("openai:gpt-4o-mini", "openai", "gpt-4o-mini", None),
        ("openai:local@http://127.0.0.1:8011/v1", "openai", "local", "http://127.0.0.1:8011/v1"),
    ],
)
def test_accepted_spec_forms(spec, backend, model, url):
    parsed = parse_model_spec(spec)
    assert (parsed.backend, parsed.model, parsed.base_url) == (backend, model, url)
    assert str(parsed) == spec


@pytest.mark.parametrize("spec", ["gpt-4", "llamacpp:model.bin", "openai:", "openai:x@ftp://h", "vertex:gemini"])
def test_bad_spec_lists_the_accepted_forms(spec):
    with pytest.raises(ModelSpecError) as info:
        parse_model_spec(spec)
    assert "llamacpp:default" in str(info.value) and "openai:MODEL@http://HOST:PORT/v1" in str(info.value)


def test_missing_gguf_is_a_config_error(tmp_path):
    from agentkit import ConfigError

    with pytest.raises(ConfigError, match="not found"):
        load_model(f"llamacpp:{tmp_path}/missing.gguf")


def test_system_messages_fold_into_the_first_user_turn():
    merged = merge_system_messages([Message(role="system", content="Be brief."), Message(role="user", content="Hi")])
    assert [m.model_dump() for m in merged] == [{"role": "user", "content": "Be brief.\n\nHi"}]


async def test_valid_output_is_parsed():
    model = ScriptedModel([{"city": "Paris"}])
    result = await generate_object(model, "where?", SCHEMA)
    assert result.parsed == {"city": "Paris"}


async def test_one_repair_round_shows_the_errors():
    model = ScriptedModel(['{"town": "Paris"}', {"city": "Paris"}])
    result = await generate_object(model, "where?", SCHEMA)
    assert result.parsed == {"city": "Paris"}
    repair_prompt = model.calls[1]["messages"][-1].content
    assert "'city' is a required property" in repair_prompt
    assert result.usage.calls == 2


async def test_still_invalid_after_repair_raises_with_all_problems():
    model = ScriptedModel(["not json", '{"city": 5}'])
    with pytest.raises(StructuredOutputError) as info:
        await generate_object(model, "where?", SCHEMA)
    assert info.value.problems == ["city: 5 is not of type 'string'"]
    assert info.value.raw == '{"city": 5}'


async def test_json_inside_prose_is_recovered():
    model = ScriptedModel(['Sure! {"city": "Oslo"} Hope that helps.'])
    assert (await generate_object(model, "where?", SCHEMA)).parsed == {"city": "Oslo"}


async def test_pydantic_targets_return_instances():
    from pydantic import BaseModel

    class Answer(BaseModel):
        city: str

    result = await generate_object(ScriptedModel([{"city": "Rome"}]), "where?", Answer)
    assert result.parsed == Answer(city="Rome")


def test_unconvertible_schema_fails_loudly():
    from agentkit.models.grammar import GrammarConversionError, schema_to_gbnf

    with pytest.raises(GrammarConversionError):
        schema_to_gbnf({"type": "object", "properties": {"x": {"$ref": "#/definitions/missing"}}})


async def test_fakes_stream_pieces_that_join_to_the_reply():
    pieces: list[str] = []
    model = ScriptedModel(["the answer is  42\n"])
    result = await model.complete([{"role": "user", "content": "q"}], on_token=pieces.append)
    assert pieces == ["the", " answer", " is", "  42", "\n"]
    assert "".join(pieces) == result.text


async def test_structured_calls_stream_every_attempt():
    pieces: list[str] = []
    model = ScriptedModel(['{"n": "x"}', '{"n": 1}'])
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    result = await generate_object(model, "q", schema, on_token=pieces.append)
    assert result.parsed == {"n": 1}
    assert "".join(pieces) == '{"n": "x"}{"n": 1}'


async def test_backends_that_do_not_stream_give_the_whole_text_as_one_piece():
    class PlainBackend:  # declares no capabilities, takes no on_token
        name = "plain"

        async def complete(self, messages, *, settings=GenerationSettings(), json_schema=None):
            return Completion(text='{"n": 1}')

    pieces: list[str] = []
    result = await generate_object(PlainBackend(), "q", {"type": "object"}, on_token=pieces.append)
    assert result.parsed == {"n": 1} and pieces == ['{"n": 1}']


async def test_generation_settings_reach_the_backend_in_one_value():
    model = ScriptedModel([{"city": "Oslo"}])
    await generate_object(model, "where?", SCHEMA, settings=GenerationSettings(top_p=0.5, seed=7), max_tokens=40)
    assert model.calls[0]["settings"] == GenerationSettings(top_p=0.5, seed=7, max_tokens=40)


def test_bad_generation_settings_are_rejected():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        GenerationSettings(temperature=-1)
    with pytest.raises(ValidationError):
        GenerationSettings(max_token=10)  # a misspelt setting is an error, not ignored


def test_settings_become_openai_options_leaving_api_defaults_out():
    settings = GenerationSettings(max_tokens=9, frequency_penalty=0.3, stop=("\n",))
    assert settings.api_options(only_changed=True) == {"max_tokens": 9, "temperature": 0.0, "frequency_penalty": 0.3, "stop": ["\n"]}
    assert settings.api_options()["top_p"] == 1.0 and "seed" not in settings.api_options()


def test_capabilities_default_to_false_for_what_a_backend_leaves_out():
    from agentkit.models import capabilities

    assert capabilities(ScriptedModel([])).streaming and not capabilities(ScriptedModel([])).enforces_json_schema
    assert not any(capabilities(object()).model_dump().values())


CLOSED = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"], "additionalProperties": False}


async def test_openai_gets_strict_json_schema_when_the_schema_fits_its_subset(monkeypatch):
    from agentkit.models.openai_compatible import OpenAICompatibleModel

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    client, seen = recording_openai_server()
    model = OpenAICompatibleModel("m", base_url="https://api.example.test/v1", http_client=client)
    await model.complete("hi", json_schema=CLOSED)
    await model.complete("hi", json_schema={**CLOSED, "required": []})  # an optional property: not strict
    assert seen[0]["response_format"]["json_schema"]["strict"] is True
    assert "strict" not in seen[1]["response_format"]["json_schema"]


async def test_a_server_refusing_strict_mode_is_asked_again_without_it(monkeypatch):
    from agentkit.models.openai_compatible import OpenAICompatibleModel

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    client, seen = recording_openai_server(refuse_strict=True)
    model = OpenAICompatibleModel("m", base_url="https://api.example.test/v1", http_client=client, max_retries=0)
    result = await model.complete("hi", json_schema=CLOSED)
    await model.complete("hi", json_schema=CLOSED)
    assert result.text == '{"ok": true}' and model.strict_refused
    assert [b["response_format"]["json_schema"].get("strict") for b in seen] == [True, None, None]


async def test_a_400_for_another_reason_leaves_strict_mode_on(monkeypatch):
    import httpx

    from agentkit import ModelError
    from agentkit.models.openai_compatible import OpenAICompatibleModel

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": {"message": "context length exceeded", "type": "invalid_request_error"}})

    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    model = OpenAICompatibleModel("m", base_url="https://api.example.test/v1", http_client=client, max_retries=0)
    with pytest.raises(ModelError, match="HTTP 400"):
        await model.complete("hi", json_schema=CLOSED)
    assert not model.strict_refused
