"""The TOML config file: loading, validation as one ConfigError, where it is found, flags over the file."""

from __future__ import annotations

import pytest

from agentkit.config import DEFAULTS, AgentkitConfig, find_config, load_config, merge_options
from agentkit.errors import ConfigError
from helpers import assert_one_error_line, cli_main

GOOD = """\
model = "llamacpp:default"          # every role unless overridden
planner = "openai:gpt-4o-mini@http://127.0.0.1:8011/v1"
caller = "llamacpp:/models/m.gguf"
summarizer = "openai:gpt-4o-mini"
tools = ["math", "datetime"]
alpha = 1
retriever = "bm25"
strategy = "zero-shot"
"""


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch, tmp_path):
    """No $AGENTKIT_CONFIG and no ./agentkit.toml from the machine running the tests."""
    monkeypatch.delenv("AGENTKIT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def write(tmp_path, text, name="agentkit.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_every_key(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config == AgentkitConfig(
        model="llamacpp:default", planner="openai:gpt-4o-mini@http://127.0.0.1:8011/v1", caller="llamacpp:/models/m.gguf",
        summarizer="openai:gpt-4o-mini", tools=["math", "datetime"], alpha=1.0, retriever="bm25", strategy="zero-shot",
    )  # fmt: skip
    assert load_config(write(tmp_path, "", "empty.toml")) == AgentkitConfig()  # every key is optional


def test_flags_override_the_file_key_by_key_and_defaults_fill_the_rest(tmp_path):
    config = load_config(write(tmp_path, 'model = "openai:m"\nplanner = "openai:p"\ntools = ["text"]\nalpha = 0.9\n'))
    merged = merge_options(config, model="fake:flag", tools=["math"], alpha=None, retriever="dense", planner=None)
    assert merged == {
        "model": "fake:flag", "planner": None, "caller": None, "summarizer": None,  # --model: every role
        "tools": ["math"], "alpha": 0.9, "strategy": "one-shot", "retriever": "dense", "examples": None, "learn": False,
    }  # fmt: skip
    assert merge_options(config)["planner"] == "openai:p"  # without --model the file's role stands
    assert merge_options(config, model="fake:flag", planner="fake:p")["planner"] == "fake:p"
    assert merge_options(config, tools=[])["tools"] == ["text"]  # no --tools given: the file's
    assert merge_options(config, alpha=0.0)["alpha"] == 0.0  # a falsy flag still wins
    assert merge_options(None) == DEFAULTS


def test_a_bad_spec_is_a_config_error_naming_the_file_and_the_key(tmp_path):
    path = write(tmp_path, 'model = "llamacpp:default"\nplanner = "gpt-4o"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message and "key 'planner'" in message and "bad model spec 'gpt-4o'" in message
    assert "openai:MODEL@http://HOST:PORT/v1" in message  # the accepted forms


def test_unknown_keys_and_wrong_types_are_config_errors(tmp_path):
    path = write(tmp_path, 'modle = "llamacpp:default"\n')
    with pytest.raises(ConfigError, match=r"unknown key 'modle' \(known keys: model, planner"):
        load_config(path)
    for text, fragment in [
        ('alpha = "0.5"', "key 'alpha': Input should be a valid number, got str '0.5'"),
        ("alpha = 2.0", "key 'alpha'"),
        ('tools = "math"', "key 'tools'"),
        ('tools = ["math", 3]', "key 'tools[1]'"),
        ("model = 3", "key 'model'"),
        ('retriever = "fuzzy"', "key 'retriever'"),
        ("[planner]\nmodel = 'openai:x'", "key 'planner'"),
    ]:
        with pytest.raises(ConfigError, match=r"config file '.*agentkit\.toml'") as caught:
            load_config(write(tmp_path, text))
        assert fragment in str(caught.value), (text, str(caught.value))


def test_invalid_toml_and_a_missing_file_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match=r"agentkit\.toml': invalid TOML: .*line 1"):
        load_config(write(tmp_path, "model = \n"))
    with pytest.raises(ConfigError, match=r"config file '.*nope\.toml' not found"):
        load_config(tmp_path / "nope.toml")


def test_where_the_file_is_found(tmp_path, monkeypatch):
    assert find_config() is None  # nothing anywhere
    write(tmp_path, "")
    assert find_config() is not None and find_config().name == "agentkit.toml"  # ./agentkit.toml
    monkeypatch.setenv("AGENTKIT_CONFIG", str(tmp_path / "env.toml"))
    assert find_config() == tmp_path / "env.toml"  # $AGENTKIT_CONFIG, even before it exists (then: not found)
    assert find_config(tmp_path / "flag.toml") == tmp_path / "flag.toml"  # --config wins


# -- through the CLI ------------------------------------------------------------------------


def test_cli_bad_config_is_one_error_line_and_exit_2(tmp_path, capsys):
    bad = write(tmp_path, 'model = "llamacpp:default"\ncaller = "nope:x"\n', "bad.toml")
    assert_one_error_line(*cli_main(capsys, "run", "x", "--config", str(bad))[::2], "bad.toml", "key 'caller'", "unknown backend")
    assert_one_error_line(*cli_main(capsys, "tools", "list", "--config", str(tmp_path / "none.toml"))[::2], "not found")


def test_cli_reads_the_file_and_flags_override_it(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from agentkit.cli import app

    write(tmp_path, 'tools = ["text"]\nretriever = "bm25"\n')  # ./agentkit.toml
    listed = CliRunner().invoke(app, ["tools", "list"])
    assert listed.exit_code == 0, listed.output
    assert "text_stats" in listed.stdout
    assert "calculate" not in listed.stdout
    overridden = CliRunner().invoke(app, ["tools", "list", "--tools", "math"])
    assert overridden.exit_code == 0 and "calculate" in overridden.stdout
    monkeypatch.setenv("AGENTKIT_CONFIG", str(write(tmp_path, "alpha = 'x'\n", "env.toml")))
    broken = CliRunner().invoke(app, ["tools", "list"])
    assert broken.exit_code == 2 and "env.toml" in broken.output and "key 'alpha'" in broken.output


def test_tool_files_in_the_config_are_relative_to_the_config_file(tmp_path, monkeypatch):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "my_tools.py").write_text("")
    path = tmp_path / "proj" / "agentkit.toml"
    path.write_text('tools = ["math", "my_tools.py", "http:allow_hosts=example.org", "missing.py"]\n')
    monkeypatch.chdir(tmp_path)  # elsewhere
    tools = load_config(path).tools
    assert tools == ["math", str((tmp_path / "proj" / "my_tools.py").resolve()), "http:allow_hosts=example.org", "missing.py"]
