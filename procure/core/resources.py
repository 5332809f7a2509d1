"""Where the top-level data folders (templates, static, clauses) live: checkout or wheel."""

from __future__ import annotations

from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent.parent
_BUNDLED = Path(__file__).resolve().parent.parent / "_bundled"


def resource_dir(name: str) -> Path:
    """Top-level data folder (templates, static, clauses): the checkout's, else the wheel's copy."""
    local = _ROOT / name
    return local if local.is_dir() else _BUNDLED / name
