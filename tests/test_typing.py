"""The package type-checks: mypy with the pyproject configuration reports nothing (strict flags on the public modules).

``tools/`` and ``planners/`` are ``agentkit.tools`` and ``agentkit.planners`` once installed
(setuptools ``package-dir``), which mypy cannot map; so the check runs over a tree of symlinks
shaped like the installed package.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def installed_layout(into: Path) -> Path:
    """``into/agentkit``: the agentkit/ entries, plus tools/ and planners/ where the installed package has them."""
    package = into / "agentkit"
    package.mkdir()
    for entry in (ROOT / "agentkit").iterdir():
        if entry.name != "__pycache__":
            (package / entry.name).symlink_to(entry)
    (package / "tools").symlink_to(ROOT / "tools")
    (package / "planners").symlink_to(ROOT / "planners")
    return package


@pytest.mark.slow  # about a minute on 2 cores (longer without mypy's cache)
def test_mypy_reports_no_errors(tmp_path):
    if shutil.which("mypy", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("mypy is not installed: it is in the dev extra (pip install -e '.[dev]')")
    installed_layout(tmp_path)
    cache = ROOT / ".mypy_cache"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(cache), "-p", "agentkit"],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, env={**os.environ, "MYPY_FORCE_COLOR": "0"}, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout
