"""The hand-written banks shipped with the tool packs (``agentkit/tools/banks/<pack>.jsonl``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from agentkit.errors import ConfigError

from .example import Example, read_examples

PACK_BANKS = ("math", "datetime", "text", "files", "data", "http")


def pack_bank_path(pack: str) -> Path:
    if pack not in PACK_BANKS:
        raise ConfigError(f"no example bank for pack {pack!r} (banks: {', '.join(PACK_BANKS)})")
    return Path(str(resources.files("agentkit.tools").joinpath("banks", f"{pack}.jsonl")))


def pack_bank(pack: str) -> list[Example]:
    """The worked examples of a shipped pack."""
    return read_examples(pack_bank_path(pack))


__all__ = ["PACK_BANKS", "pack_bank", "pack_bank_path"]
