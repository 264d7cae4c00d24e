"""A definition module name for an imported dashboard."""

from __future__ import annotations

import keyword
import re


def module_name(uid: str | None, fallback: str) -> str:
    """A lowercase Python module name from the dashboard's uid (else the file name)."""
    name = re.sub(r"[^a-z0-9]+", "_", (uid or fallback).lower()).strip("_") or "imported"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = "d_" + name
    return name[:60]
