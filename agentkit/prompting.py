"""Prompts are data: Jinja2 templates in ``agentkit/prompts`` rendered with strict undefined checks."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("agentkit", "prompts"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
    )


def render(template: str, **values: Any) -> str:
    """Render ``prompts/<template>.j2``; a missing variable is an error, never an empty string."""
    return _env().get_template(f"{template}.j2").render(**values).strip()


__all__ = ["render"]
