"""The package installs as a wheel with tools/ and planners/ only under the agentkit namespace.

Every module of the package is imported, as found by ``pkgutil.walk_packages`` (no hand-written list
to fall out of date), both from the editable install and from the built wheel in a fresh venv.
"""

import json
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PROJECT_SITE = sysconfig.get_path("purelib")  # the project venv's dependencies, for the fresh venv

# Modules that need something truly optional that the dev extra does not install: name -> why.
# (None today: ray, gguf, the server pieces and matplotlib all come with the dev extra.)
SKIP: dict[str, str] = {}

# Run in a fresh interpreter: walk the package (plus any packages given as arguments, for the
# editable install where tools/ and planners/ are mapped in from outside agentkit/), import every
# module, and report where things resolved and whether the bare names `tools`/`planners` exist.
PROBE = r"""
import importlib, importlib.util, json, pkgutil, sys
import agentkit

def fail(name):
    raise ImportError(f"walk_packages could not import {name}")

skip = set(json.loads(sys.argv[1]))
mods = {m.name for m in pkgutil.walk_packages(agentkit.__path__, "agentkit.", onerror=fail)}
for extra in sys.argv[2:]:
    pkg = importlib.import_module(extra)
    mods.add(extra)
    mods |= {m.name for m in pkgutil.walk_packages(pkg.__path__, extra + ".", onerror=fail)}
imported = {}
for name in sorted(mods - skip):
    imported[name] = getattr(importlib.import_module(name), "__file__", None)
bare = [n for n in ("tools", "planners") if importlib.util.find_spec(n) is not None]
print(json.dumps({"agentkit": agentkit.__file__, "modules": imported, "bare": bare}))
"""


def probe(python: str, cwd: Path, env: dict[str, str], *extra: str) -> dict:
    out = subprocess.run([python, "-c", PROBE, json.dumps(sorted(SKIP)), *extra], env=env, cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    return {**env, **extra}


def mapped_packages() -> list[str]:
    """Packages that pyproject maps in from outside agentkit/ (e.g. agentkit.tools -> tools/)."""
    package_dir = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    return sorted(k for k, v in package_dir.items() if Path(v) != Path(*k.split(".")))


def assert_walk_covers_everything(modules: dict[str, str | None]) -> None:
    # Sanity: the walk really reached the mapped packages and their modules, and the usual suspects.
    for name in ("agentkit.tools", "agentkit.tools.math", "agentkit.planners", "agentkit.planners.one_shot",
                 "agentkit.retrieval", "agentkit.bench", "agentkit.bench.report", "agentkit.models.llamacpp", "agentkit.cli"):  # fmt: skip
        assert name in modules, f"{name} was not found by walk_packages"
    assert len(modules) >= 40, sorted(modules)


def test_editable_install_imports_every_module_with_tools_and_planners_under_agentkit():
    assert mapped_packages() == ["agentkit.planners", "agentkit.tools"]
    # cwd=/ so only the editable install (not the checkout on sys.path) can resolve agentkit.
    result = probe(sys.executable, Path("/"), clean_env(), *mapped_packages())
    assert result["agentkit"] == str(ROOT / "agentkit" / "__init__.py")
    modules = result["modules"]
    assert_walk_covers_everything(modules)
    assert Path(modules["agentkit.tools"]).parent == ROOT / "tools"
    assert Path(modules["agentkit.planners"]).parent == ROOT / "planners"
    assert result["bare"] == []


def test_bare_generic_names_are_not_importable():
    code = "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(n) for n in ('tools', 'planners')))"
    assert subprocess.run([sys.executable, "-c", code], cwd="/").returncode == 0


@pytest.mark.slow
def test_built_wheel_in_a_fresh_venv_imports_every_module(tmp_path):
    wheel_dir, venv = tmp_path / "wheel", tmp_path / "venv"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(wheel_dir), str(ROOT)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = wheel_dir.glob("agentkit-*.whl")

    # A fresh venv (no pip in it); the outer pip installs the wheel into its site-packages, offline.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert Path(purelib).is_relative_to(venv)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", purelib, str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    site = Path(purelib)
    assert not (site / "tools").exists() and not (site / "planners").exists()
    assert (site / "agentkit" / "prompts" / "plan_one_shot.j2").exists()
    assert (site / "agentkit" / "py.typed").exists()

    # The dependencies come from the project venv via PYTHONPATH; .pth files (the editable
    # install's finder) are not processed from PYTHONPATH, so agentkit can only be the wheel's.
    result = probe(python, tmp_path, clean_env(PYTHONPATH=PROJECT_SITE))
    assert result["agentkit"] == str(site / "agentkit" / "__init__.py")
    modules = result["modules"]
    assert_walk_covers_everything(modules)
    for name, file in modules.items():
        assert file is None or Path(file).is_relative_to(site), f"{name} resolved outside the wheel: {file}"
    assert result["bare"] == []
