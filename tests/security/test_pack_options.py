"""Pack options are limits: out-of-range values are refused when the pack is built, with one clear line."""

from __future__ import annotations

import pytest
from agentkit.tools import load_pack, parse_pack_options

from agentkit import ConfigError


@pytest.mark.parametrize(("pack", "text"), [
    ("data", "max_rows=-5"), ("data", "max_rows=0"), ("data", "max_file_bytes=-1"), ("data", "query_seconds=0"),
    ("data", "query_seconds=nan"), ("data", "query_seconds=inf"), ("data", "query_seconds=1e9"),
    ("files", "max_read_bytes=0"), ("files", "max_write_bytes=-1"), ("files", "max_entries=-3"),
    ("http", "timeout=0"), ("http", "timeout=-2"), ("http", "max_bytes=0"),
])  # fmt: skip
def test_out_of_range_options_are_config_errors(tmp_path, pack, text):
    options = parse_pack_options(pack, text)
    if pack in ("data", "files"):
        options["root"] = tmp_path
    key = text.partition("=")[0]
    with pytest.raises(ConfigError, match=rf"tool pack '{pack}': option '{key}' must be"):
        load_pack(pack, **options)


@pytest.mark.parametrize("value", [True, 2.5, "10"])
def test_options_of_the_wrong_type_are_config_errors(tmp_path, value):
    with pytest.raises(ConfigError, match="'max_rows' must be a positive whole number"):
        load_pack("data", root=tmp_path, max_rows=value)


def test_in_range_options_build_the_pack(tmp_path):
    assert len(load_pack("data", root=tmp_path, **parse_pack_options("data", "max_rows=5,query_seconds=0.5"))) == 2
    assert len(load_pack("files", root=tmp_path, max_entries=1)) == 4


@pytest.mark.parametrize("spec", ["data:max_rows=-5", "files:max_entries=0", "http:timeout=-1"])
def test_the_cli_gives_one_error_line_and_exit_2(spec, capsys):
    from agentkit.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["tools", "list", "--tools", spec])
    err = capsys.readouterr().err.strip()
    assert exit_info.value.code == 2
    assert err.startswith("error: ") and "must be a positive" in err and len(err.splitlines()) == 1, err
