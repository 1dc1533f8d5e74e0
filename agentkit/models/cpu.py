"""What the CPU reports, and whether llama.cpp may repack weights into its extra buffer types.

Why: llama.cpp's CPU backend can move weights into "extra buffer types" at load time
(``llama_model_params.use_extra_bufts``): AMX tiles on Intel Xeons of the Sapphire Rapids
class and newer, KleidiAI on some Arm builds, and ``CPU_REPACK`` (interleaved Q4_0/Q4_K/
IQ4_NL/... layouts for AVX2 and Arm NEON/i8mm/SVE). On CPUs with AMX a native build takes the
AMX path and the first decode dies with SIGSEGV (ggml-org/llama.cpp#20824, closed without a
fix). The switch is all-or-nothing (llama.cpp offers no way to drop AMX alone), so the rule is:

* the CPU reports AMX (``amx_tile``/``amx_int8``/``amx_bf16``...): repacking **off**;
* any other CPU (AVX2, AVX-512 without AMX, Arm): **on**, which keeps ``CPU_REPACK``;
* an x86 CPU whose features cannot be read (e.g. Windows): **off**, as it may have AMX;
* ``AGENTKIT_LLAMA_REPACK=on|off|auto`` (or ``repack=`` when loading a model) forces either way.

Everything here is pure over text (``/proc/cpuinfo``, ``sysctl`` output), so the decision
is tested on canned CPU descriptions, not only on whatever machine runs the tests.
"""

from __future__ import annotations

import functools
import os
import platform
import re
import subprocess
import sys
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..errors import ConfigError

REPACK_ENV = "AGENTKIT_LLAMA_REPACK"
RepackSetting = Literal["auto", "on", "off"]

# Arm "CPU part" numbers of common server and laptop cores (implementer 0x41, Arm Ltd).
_ARM_PARTS = {
    "0xd0c": "Neoverse-N1",
    "0xd40": "Neoverse-V1",
    "0xd49": "Neoverse-N2",
    "0xd4f": "Neoverse-V2",
    "0xd8e": "Neoverse-N3",
    "0xd84": "Neoverse-V3",
    "0xd08": "Cortex-A72",
    "0xd0b": "Cortex-A76",
}
# Flags shown by `agentkit doctor` (the ones llama.cpp's CPU kernels care about), in this order.
NOTABLE_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "f16c", "avx_vnni", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
    "avx512_bf16", "amx_tile", "amx_int8", "amx_bf16", "amx_fp16",
    "asimd", "asimddp", "i8mm", "sve", "sve2", "bf16", "sme",
)  # fmt: skip


class CpuInfo(BaseModel):
    """The CPU as the operating system describes it. ``flags`` are lower-case feature names."""

    model_config = ConfigDict(frozen=True)

    arch: str
    model: str = ""
    flags: frozenset[str] = frozenset()
    source: str = "none"

    @property
    def amx(self) -> list[str]:
        """The AMX features the CPU reports (empty: no AMX)."""
        return sorted(f for f in self.flags if f.startswith("amx"))

    @property
    def notable_flags(self) -> list[str]:
        return [f for f in NOTABLE_FLAGS if f in self.flags]


class RepackDecision(BaseModel):
    """Whether llama.cpp may use its extra buffer types (weight repacking), and why."""

    enabled: bool
    setting: RepackSetting
    reason: str
    amx: list[str] = []  # the AMX features the CPU reports


def _fields(text: str) -> list[tuple[str, str]]:
    """``key : value`` lines (``/proc/cpuinfo`` uses tabs before the colon, sysctl ``key: value``)."""
    pairs = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            pairs.append((key.strip().lower(), value.strip()))
    return pairs


def parse_cpuinfo(text: str) -> CpuInfo:
    """A Linux ``/proc/cpuinfo`` text: x86 ``flags``, Arm ``Features``; the first processor describes all."""
    fields = _fields(text)
    first: dict[str, str] = {}
    for key, value in fields:
        first.setdefault(key, value)
    if "flags" in first:
        arch, flags = "x86_64", first["flags"]
        model = first.get("model name", "")
    elif "features" in first or "cpu implementer" in first:
        arch, flags = "aarch64", first.get("features", "")
        part = first.get("cpu part", "").lower()
        model = first.get("model name") or _ARM_PARTS.get(part, f"Arm part {part}" if part else "")
    else:
        return CpuInfo(arch="unknown", source="cpuinfo")
    return CpuInfo(arch=arch, model=model, flags=frozenset(flags.lower().split()), source="cpuinfo")


def parse_sysctl(text: str) -> CpuInfo:
    """macOS ``sysctl -a`` output: Intel ``machdep.cpu.*features`` lists, Apple ``hw.optional.arm.FEAT_*: 1``."""
    values = dict(_fields(text))
    model = values.get("machdep.cpu.brand_string", "")
    flags: set[str] = set()
    for key in ("machdep.cpu.features", "machdep.cpu.leaf7_features", "machdep.cpu.extfeatures"):
        flags.update(f.lower().replace(".", "_") for f in values.get(key, "").split())
    for key, value in values.items():
        match = re.fullmatch(r"hw\.optional\.arm\.feat_(\w+)", key)
        if match and value == "1":
            flags.add(match.group(1))
    if "machdep.cpu.features" in values:
        arch = "x86_64"
    elif any(k.startswith("hw.optional.arm.") for k in values):
        arch = "arm64"
    else:
        arch = "unknown"
    return CpuInfo(arch=arch, model=model, flags=frozenset(flags), source="sysctl")


@functools.cache
def read_cpu() -> CpuInfo:
    """This machine's CPU: ``/proc/cpuinfo`` on Linux, ``sysctl -a`` on macOS, else only the architecture."""
    arch = platform.machine() or "unknown"
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                info = parse_cpuinfo(f.read())
            return info if info.arch != "unknown" else info.model_copy(update={"arch": arch})
        except OSError:
            pass
    elif sys.platform == "darwin":
        try:
            text = subprocess.run(["sysctl", "-a"], capture_output=True, text=True, timeout=10, check=False).stdout
            return parse_sysctl(text)
        except (OSError, subprocess.SubprocessError):
            pass
    return CpuInfo(arch=arch, model=platform.processor())


def repack_setting(value: bool | str | None = None, env: Mapping[str, str] | None = None) -> tuple[RepackSetting, str]:
    """The setting in force and where it came from: ``value`` (``repack=``), else $AGENTKIT_LLAMA_REPACK, else auto.

    Accepts True/False, on/off, auto (and 1/0, true/false, yes/no); anything else is a ConfigError.
    """
    env = os.environ if env is None else env
    if value is not None:
        return _normalise(value, "repack="), "repack="
    raw = env.get(REPACK_ENV, "").strip()
    if raw:
        return _normalise(raw, f"${REPACK_ENV}"), f"${REPACK_ENV}"
    return "auto", "default"


def _normalise(value: bool | str, where: str) -> RepackSetting:
    if isinstance(value, bool):
        return "on" if value else "off"
    text = str(value).strip().lower()
    if text in ("on", "1", "true", "yes"):
        return "on"
    if text in ("off", "0", "false", "no"):
        return "off"
    if text == "auto":
        return "auto"
    raise ConfigError(f"{where} must be on, off or auto, not {value!r}")


def decide_repack(cpu: CpuInfo, setting: RepackSetting = "auto", source: str = "default") -> RepackDecision:
    """Repacking on or off for ``cpu``: off where the CPU reports AMX (llama.cpp's AMX path crashes), else on."""
    if setting == "on":
        warn = f"; the CPU reports AMX ({', '.join(cpu.amx)}), whose llama.cpp path is known to crash" if cpu.amx else ""
        return RepackDecision(enabled=True, setting=setting, reason=f"forced on by {source}{warn}", amx=cpu.amx)
    if setting == "off":
        return RepackDecision(enabled=False, setting=setting, reason=f"forced off by {source}", amx=cpu.amx)
    if cpu.arch.lower() in ("x86_64", "amd64", "i686", "i386", "x86") and not cpu.flags:
        return RepackDecision(
            enabled=False,
            setting=setting,
            reason=f"the x86 CPU's features are unknown (no /proc/cpuinfo or sysctl): off, as it may have AMX ({REPACK_ENV}=on forces it)",
        )
    if cpu.amx:
        return RepackDecision(
            enabled=False,
            setting=setting,
            reason=(
                f"the CPU reports AMX ({', '.join(cpu.amx)}): llama.cpp's AMX path crashes at the first decode "
                f"(ggml-org/llama.cpp#20824), so no extra buffer types ({REPACK_ENV}=on forces them)"
            ),
            amx=cpu.amx,
        )
    where = f"{cpu.arch} CPU" + (f" ({cpu.model})" if cpu.model else "")
    return RepackDecision(
        enabled=True, setting=setting, reason=f"{where} without AMX: llama.cpp may repack weights (CPU_REPACK)"
    )


def repack_decision(value: bool | str | None = None, cpu: CpuInfo | None = None) -> RepackDecision:
    """The decision for this machine (or ``cpu``), honouring ``value`` and $AGENTKIT_LLAMA_REPACK."""
    setting, source = repack_setting(value)
    return decide_repack(cpu if cpu is not None else read_cpu(), setting, source)


__all__ = [
    "NOTABLE_FLAGS",
    "REPACK_ENV",
    "CpuInfo",
    "RepackDecision",
    "RepackSetting",
    "decide_repack",
    "parse_cpuinfo",
    "parse_sysctl",
    "read_cpu",
    "repack_decision",
    "repack_setting",
]
