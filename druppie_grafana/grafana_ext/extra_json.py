"""Merging keys a class does not model over the JSON it writes (grafanalib's `extraJson`)."""

from __future__ import annotations

from typing import Any


def merged(base: dict, extra: dict | None) -> dict:
    """base with extra merged in: dicts on both sides merge key by key, anything else is replaced
    (the rule grafanalib applies to a panel's extraJson, so targets and panels behave alike)."""
    out = dict(base)
    for key, value in (extra or {}).items():
        if isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out
