"""The link chain page (filled in below)."""

from __future__ import annotations

from .site import page


def chain_page(boards, datasources, correlations) -> dict[str, str]:
    return {"chain.html": page("Link chain", "<h1>Link chain</h1>")}
