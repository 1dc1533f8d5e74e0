"""The README's first command, for real: the default local model answers its example correctly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

AGENTKIT = str(Path(sys.executable).parent / "agentkit")


@pytest.mark.slow
def test_the_readme_example_answers_36_with_the_default_model():
    proc = subprocess.run(
        [AGENTKIT, "run", "What is 15 percent of 240?", "--tools", "math"],
        capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "36" in proc.stdout, proc.stdout
    assert "note:" not in proc.stderr  # the model's own answer, grounded in what the tool returned
