"""The package installs as a wheel with tools/ and planners/ only under the agentkit namespace."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
MODULES = ["agentkit", "agentkit.tools", "agentkit.tools.math", "agentkit.planners", "agentkit.planners.one_shot",
           "agentkit.retrieval", "agentkit.bench", "agentkit.models.llamacpp", "agentkit.cli"]  # fmt: skip


def test_editable_install_maps_tools_and_planners_under_agentkit():
    import agentkit.planners
    import agentkit.tools

    assert Path(agentkit.tools.__file__).parent == ROOT / "tools"
    assert Path(agentkit.planners.__file__).parent == ROOT / "planners"


def test_bare_generic_names_are_not_importable():
    code = "import importlib.util, sys; sys.exit(any(importlib.util.find_spec(n) for n in ('tools', 'planners')))"
    assert subprocess.run([sys.executable, "-c", code], cwd="/").returncode == 0


@pytest.mark.slow
def test_built_wheel_imports_every_public_module(tmp_path):
    wheel_dir, target = tmp_path / "wheel", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir), str(ROOT)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = wheel_dir.glob("agentkit-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)], check=True)
    assert not (target / "tools").exists() and not (target / "planners").exists()
    assert (target / "agentkit" / "prompts" / "plan_one_shot.j2").exists()
    code = "import importlib, agentkit; [importlib.import_module(m) for m in %r]; print(agentkit.__file__)" % MODULES
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(str(target))
