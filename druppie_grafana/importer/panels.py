"""One panel -> a Python expression: `Panel(type, title, dataSource, targets, kept={...})`.

gridPos and id are left to the layout (layout.py); every other key is kept as Grafana saved it.
"""

from __future__ import annotations

from .pyrepr import Call
from .refs import Refs
from .targets import target_call

PLACED = ("gridPos", "id")


def panel_call(panel: dict, refs: Refs) -> Call:
    kept = {k: v for k, v in panel.items() if k not in PLACED + ("type", "title", "datasource", "targets")}
    targets = [target_call(t, refs) for t in panel.get("targets") or []]
    return Call.of("Panel", panel.get("type", ""), panel.get("title", ""),
                   dataSource=refs.expr(panel.get("datasource")), targets=targets or None,
                   kept=refs.within(kept) or None)
