"""The files pack's sandbox: what stays out of reach, including paths swapped for symlinks while a tool runs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from agentkit.tools import AccessDenied, files


@pytest.fixture
def box(tmp_path):
    """A root with a file and a directory, and a secret beside it (outside the root)."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "d").mkdir(parents=True)
    outside.mkdir()
    (root / "notes.txt").write_text("inside")
    (root / "d" / "f.txt").write_text("inside")
    (outside / "f.txt").write_text("SECRET")
    (outside / "only-outside.txt").write_text("SECRET")
    (tmp_path / "secret.txt").write_text("SECRET")
    return root, outside, {t.name: t for t in files.pack(root)}


# -- what held before the descriptor walk, kept as regression tests -------------------------


def test_dotdot_is_refused(box):
    _, _, t = box
    with pytest.raises(AccessDenied, match=r"'\.\.'"):
        t["read_file"](path="d/../../secret.txt")


def test_absolute_path_outside_the_root_is_refused(box):
    root, _, t = box
    with pytest.raises(AccessDenied, match="outside the sandbox root"):
        t["read_file"](path=str(root.parent / "secret.txt"))


def test_absolute_path_inside_the_root_is_read(box):
    root, _, t = box
    assert t["read_file"](path=str(root / "notes.txt")) == "inside"


def test_proc_self_root_is_refused(box):
    root, _, t = box
    with pytest.raises(AccessDenied):
        t["read_file"](path=f"/proc/self/root{root}/notes.txt")


def test_nul_byte_is_refused(box):
    _, _, t = box
    with pytest.raises(AccessDenied, match="NUL"):
        t["read_file"](path="notes.txt\x00.png")


@pytest.mark.parametrize("relative", [True, False])
def test_outward_file_symlink_is_refused(box, relative):
    root, outside, t = box
    (root / "link.txt").symlink_to("../outside/f.txt" if relative else outside / "f.txt")
    with pytest.raises(AccessDenied, match="outside the sandbox root"):
        t["read_file"](path="link.txt")


def test_outward_directory_symlink_is_refused_for_every_tool(box):
    root, outside, t = box
    (root / "out").symlink_to(outside)
    for name, args in [("read_file", {"path": "out/f.txt"}), ("list_dir", {"path": "out"}),
                       ("file_info", {"path": "out/f.txt"}), ("write_file", {"path": "out/new.txt", "content": "x"}),
                       ("write_file", {"path": "out/sub/new.txt", "content": "x"})]:  # fmt: skip
        with pytest.raises(AccessDenied):
            t[name](**args)
    assert sorted(p.name for p in outside.iterdir()) == ["f.txt", "only-outside.txt"]


def test_inward_symlinks_are_followed(box):
    root, _, t = box
    (root / "alias").symlink_to("d")
    (root / "alias2.txt").symlink_to(root / "d" / "f.txt")  # absolute, but inside
    (root / "d" / "up.txt").symlink_to("../notes.txt")  # '..' in a target that stays inside
    assert t["read_file"](path="alias/f.txt") == "inside"
    assert t["read_file"](path="alias2.txt") == "inside"
    assert t["read_file"](path="d/up.txt") == "inside"


def test_write_never_goes_through_a_symlink_even_inside(box):
    root, _, t = box
    (root / "same.txt").symlink_to("notes.txt")
    with pytest.raises(AccessDenied, match="symlink"):
        t["write_file"](path="same.txt", content="changed", overwrite=True)
    assert (root / "notes.txt").read_text() == "inside"


def test_symlink_loop_is_an_error_not_a_hang(box):
    root, _, t = box
    (root / "a").symlink_to("b")
    (root / "b").symlink_to("a")
    with pytest.raises(OSError, match="too many symlinks"):
        t["read_file"](path="a")


# -- hard links, deep paths, special files -------------------------------------------------


def test_hard_linked_file_is_refused_for_reading(box):
    root, outside, t = box
    os.link(outside / "f.txt", root / "hard.txt")
    with pytest.raises(AccessDenied, match="hard links"):
        t["read_file"](path="hard.txt")


def test_hard_linked_file_is_not_truncated_by_an_overwrite(box):
    root, outside, t = box
    os.link(outside / "f.txt", root / "hard.txt")
    with pytest.raises(AccessDenied, match="hard links"):
        t["write_file"](path="hard.txt", content="pwned", overwrite=True)
    assert (outside / "f.txt").read_text() == "SECRET"


def test_very_deep_path_is_refused_with_a_clear_error(box):
    _, _, t = box
    with pytest.raises(ValueError, match="components, over the limit"):
        t["write_file"](path="d/" * 1200 + "f", content="x")


def test_an_over_long_name_is_refused_with_a_clear_error(box):
    _, _, t = box
    with pytest.raises(ValueError, match="over 255 bytes"):
        t["write_file"](path="x" * 300, content="x")


def test_fifo_is_refused_without_blocking(box):
    root, _, t = box
    os.mkfifo(root / "pipe")
    with pytest.raises(AccessDenied, match="not a regular file"):
        t["read_file"](path="pipe")


def test_write_creates_missing_parents_inside_the_root(box):
    root, _, t = box
    assert t["write_file"](path="a/b/c.txt", content="hi") == {"path": "a/b/c.txt", "bytes": 2}
    assert (root / "a" / "b" / "c.txt").read_text() == "hi"


# -- the race: a directory swapped for an outward symlink while the tools run ----------------


_RACER = r"""
import ctypes, ctypes.util, os, sys
a, b = (os.fsencode(p) for p in sys.argv[1:3])
renameat2 = getattr(ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True), "renameat2", None)
exchange = renameat2 is not None and renameat2(-100, a, -100, b, 2) == 0  # AT_FDCWD, RENAME_EXCHANGE
print("ready", flush=True)
while True:
    if exchange:
        renameat2(-100, a, -100, b, 2)
    else:
        os.rename(a, a + b".tmp"); os.rename(b, a); os.rename(a + b".tmp", b)
"""


@contextmanager
def _swapping(root, outside):
    """A separate process swapping root/d with root/lnk (-> outside) as fast as it can, as an attacker would."""
    (root / "lnk").symlink_to(outside)
    racer = subprocess.Popen([sys.executable, "-c", _RACER, str(root / "d"), str(root / "lnk")], stdout=subprocess.PIPE)
    try:
        assert racer.stdout is not None and racer.stdout.readline() == b"ready\n"
        yield
    finally:
        racer.kill()
        racer.wait()


def test_swapping_a_directory_for_an_outward_symlink_never_escapes(box):
    root, outside, t = box
    outcomes = {"inside": 0, "refused": 0, "escaped": 0}
    with _swapping(root, outside):
        deadline = time.monotonic() + 1.5
        i = 0
        while time.monotonic() < deadline:
            i += 1
            try:
                text = t["read_file"](path="d/f.txt")
                outcomes["escaped" if text == "SECRET" else "inside"] += 1
            except OSError:  # AccessDenied (a PermissionError), or the path was missing mid-swap
                outcomes["refused"] += 1
            for args in ({"path": f"d/w{i}.txt", "content": "x"}, {"path": f"d/sub{i}/w.txt", "content": "x"}):
                try:
                    t["write_file"](**args)
                except OSError:
                    pass
            try:
                listed = {e["name"] for e in t["list_dir"](path="d")}
                outcomes["escaped"] += "only-outside.txt" in listed
            except OSError:
                pass
    assert outcomes["escaped"] == 0, outcomes
    assert sorted(p.name for p in outside.iterdir()) == ["f.txt", "only-outside.txt"], "a write landed outside the root"
    assert outcomes["inside"] > 0 and outcomes["refused"] > 0, f"the race was not exercised: {outcomes}"
