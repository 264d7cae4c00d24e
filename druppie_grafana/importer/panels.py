"""One panel -> a Python expression: its typed class (TimeSeries, Logs, Table, Stat ...) when that class
writes it back exactly (typed.py), else `Panel(type, title, dataSource, targets, kept={...})`.

gridPos and id are left to the layout (layout.py); every other key is kept as Grafana saved it.
"""

from __future__ import annotations

from .pyrepr import Call
from .refs import Refs, as_datasource_ref
from .targets import target_call
from .typed import PANELS, express, panel_compared, typed_call

PLACED = ("gridPos", "id")


def panel_call(panel: dict, refs: Refs) -> Call:
    saved_targets = panel.get("targets") or []
    targets = [target_call(t, refs, panel.get("datasource")) for t in saved_targets]
    shape = PANELS.get(panel.get("type"))
    if shape is not None:
        try:
            ref = as_datasource_ref(panel.get("datasource"))
            given = {"dataSource": ref, "targets": saved_targets} if saved_targets else {"dataSource": ref}
        except ValueError:
            given = None
        expressed = given is not None and express(shape, panel, given, panel_compared)
        if expressed:
            return typed_call(expressed, refs.within, leading=(
                ("dataSource", refs.ref_expr(panel.get("datasource"))), ("targets", targets or None)))
    kept = {k: v for k, v in panel.items() if k not in PLACED + ("type", "title", "datasource", "targets")}
    return Call.of("Panel", panel.get("type", ""), panel.get("title", ""),
                   dataSource=refs.expr(panel.get("datasource")), targets=targets or None,
                   kept=refs.within(kept) or None)
