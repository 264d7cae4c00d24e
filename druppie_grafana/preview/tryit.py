"""The Try it page (filled in below)."""

from __future__ import annotations

from .site import page


def tryit_page(datasources, contract) -> dict[str, str]:
    return {"tryit.html": page("Try it", "<h1>Try it</h1>")}
