"""The repack decision: llama.cpp's extra buffer types off on CPUs with AMX, on elsewhere, and a switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit.errors import ConfigError
from agentkit.models.cpu import (
    REPACK_ENV,
    CpuInfo,
    decide_repack,
    parse_cpuinfo,
    parse_sysctl,
    read_cpu,
    repack_decision,
    repack_setting,
)

FIXTURES = Path(__file__).parent / "fixtures" / "cpuinfo"


def cpu(name: str) -> CpuInfo:
    text = (FIXTURES / name).read_text()
    return parse_sysctl(text) if name.endswith(".sysctl.txt") else parse_cpuinfo(text)


def test_sapphire_rapids_reports_its_amx_features():
    info = cpu("sapphire_rapids.txt")
    assert info.arch == "x86_64"
    assert info.model == "Intel(R) Xeon(R) Platinum 8480+"
    assert info.amx == ["amx_bf16", "amx_int8", "amx_tile"]
    assert {"avx2", "avx512f", "avx512_vnni"} <= info.flags


def test_amx_cpu_gets_no_extra_buffer_types_by_default():
    decision = decide_repack(cpu("sapphire_rapids.txt"))
    assert decision.enabled is False
    assert "amx_int8" in decision.reason and REPACK_ENV in decision.reason
    assert decision.amx == ["amx_bf16", "amx_int8", "amx_tile"]


def test_avx2_cpu_keeps_repacking():
    info = cpu("haswell_avx2.txt")
    assert info.amx == [] and "avx2" in info.flags and "avx512f" not in info.flags
    decision = decide_repack(info)
    assert decision.enabled is True
    assert "without AMX" in decision.reason


def test_arm_neoverse_is_read_from_features_and_keeps_repacking():
    info = cpu("neoverse_n1.txt")
    assert info.arch == "aarch64"
    assert info.model == "Neoverse-N1"
    assert {"asimd", "asimddp"} <= info.flags
    assert decide_repack(info).enabled is True


def test_macos_sysctl_lists_enabled_arm_features_only():
    info = cpu("macos_apple_m1.sysctl.txt")
    assert (info.arch, info.model) == ("arm64", "Apple M1")
    assert "dotprod" in info.flags and "fp16" in info.flags
    assert "i8mm" not in info.flags  # reported as 0
    assert decide_repack(info).enabled is True


def test_x86_cpu_with_unknown_features_is_treated_as_possibly_amx():
    decision = decide_repack(CpuInfo(arch="AMD64"))
    assert decision.enabled is False
    assert "unknown" in decision.reason


def test_unreadable_text_is_an_unknown_cpu():
    assert parse_cpuinfo("nothing useful here\n").arch == "unknown"


def test_forcing_on_over_amx_is_allowed_but_says_the_risk():
    decision = decide_repack(cpu("sapphire_rapids.txt"), "on", f"${REPACK_ENV}")
    assert decision.enabled is True
    assert "forced on" in decision.reason and "crash" in decision.reason


def test_forcing_off_on_a_safe_cpu():
    decision = decide_repack(cpu("haswell_avx2.txt"), "off", "repack=")
    assert decision.enabled is False and decision.reason == "forced off by repack="


@pytest.mark.parametrize(
    ("env", "expected"),
    [({}, ("auto", "default")), ({REPACK_ENV: "off"}, ("off", f"${REPACK_ENV}")), ({REPACK_ENV: " ON "}, ("on", f"${REPACK_ENV}")),
     ({REPACK_ENV: "0"}, ("off", f"${REPACK_ENV}")), ({REPACK_ENV: ""}, ("auto", "default"))],
)  # fmt: skip
def test_environment_variable_sets_the_switch(env, expected):
    assert repack_setting(None, env) == expected


def test_argument_wins_over_environment():
    assert repack_setting(False, {REPACK_ENV: "on"}) == ("off", "repack=")
    assert repack_setting("auto", {REPACK_ENV: "off"}) == ("auto", "repack=")


@pytest.mark.parametrize("bad", ["maybe", "2"])
def test_bad_switch_value_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="on, off or auto"):
        repack_setting(None, {REPACK_ENV: bad})
    with pytest.raises(ConfigError, match="repack="):
        repack_setting(bad, {})


def test_repack_decision_reads_the_environment(monkeypatch):
    monkeypatch.setenv(REPACK_ENV, "off")
    assert repack_decision(cpu=cpu("haswell_avx2.txt")).enabled is False
    monkeypatch.setenv(REPACK_ENV, "auto")
    assert repack_decision(cpu=cpu("sapphire_rapids.txt")).enabled is False


@pytest.mark.skipif(not Path("/proc/cpuinfo").is_file(), reason="Linux /proc/cpuinfo")
def test_this_linux_machine_is_read_from_proc_cpuinfo():
    info = read_cpu()
    assert info.source == "cpuinfo" and info.flags
    assert decide_repack(info).enabled is not bool(info.amx)


# -- applying the decision to llama.cpp ------------------------------------------------------------


def test_extra_bufts_switch_is_scoped_to_one_load():
    import llama_cpp.llama_cpp as native

    from agentkit.models.llamacpp import _extra_bufts

    with _extra_bufts(False):
        assert native.llama_model_default_params().use_extra_bufts is False
    assert native.llama_model_default_params().use_extra_bufts is True  # llama.cpp's own default is back
    with pytest.raises(RuntimeError), _extra_bufts(False):
        raise RuntimeError("a failed load")
    assert native.llama_model_default_params().use_extra_bufts is True


def test_bad_repack_value_fails_before_loading():
    from agentkit.models import load_model

    with pytest.raises(ConfigError, match="on, off or auto"):
        load_model("llamacpp:/nonexistent/model.gguf", repack="sometimes")


@pytest.mark.slow
def test_default_model_generates_with_this_cpus_decision(gemma):
    decision = repack_decision(cpu=read_cpu())
    assert gemma.repack.enabled is decision.enabled
    assert gemma.llm.model_params.use_extra_bufts is decision.enabled  # what llama.cpp was given
    with gemma._loaded.lock:
        out = gemma.llm.create_completion("Count: one, two, three,", max_tokens=6, temperature=0.0)
    assert out["usage"]["completion_tokens"] > 0 and out["choices"][0]["text"].strip()


@pytest.mark.slow
def test_repacking_forced_off_still_generates():
    from agentkit.models.llamacpp import default_gguf_path, load_llama

    llm = load_llama(default_gguf_path(), repack="off", n_ctx=256, n_threads=2, verbose=False)
    try:
        assert llm.model_params.use_extra_bufts is False
        out = llm.create_completion("The capital of France is", max_tokens=4, temperature=0.0)
        assert out["usage"]["completion_tokens"] > 0
    finally:
        llm.close()


@pytest.mark.slow
def test_llama_server_wrapper_applies_the_switch_and_serves(tmp_path):
    import os
    import subprocess
    import sys
    import time

    import httpx

    from agentkit.models.llamacpp import default_gguf_path
    from agentkit.testing import _ready, _stop, free_port

    port = free_port()
    log = tmp_path / "server.log"
    cmd = [sys.executable, "-m", "agentkit.models.llama_server", "--model", str(default_gguf_path()),
           "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--n_ctx", "512"]  # fmt: skip
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                                env={**os.environ, REPACK_ENV: "off"})  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not _ready(f"http://127.0.0.1:{port}/v1"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-800:]
            time.sleep(0.25)
        reply = httpx.post(f"http://127.0.0.1:{port}/v1/completions", json={"prompt": "One, two,", "max_tokens": 3}, timeout=120)
        assert reply.status_code == 200 and reply.json()["usage"]["completion_tokens"] > 0
    finally:
        _stop(proc)
    assert f"weight repacking off: forced off by ${REPACK_ENV}" in log.read_text()
