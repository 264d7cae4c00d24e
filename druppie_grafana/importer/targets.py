"""One query target -> a Python expression: `Target(datasource, refId, kept={...})`, the query keys
as Grafana saved them (expr, legendFormat ... for Prometheus and Loki; query, queryType ... for Tempo)."""

from __future__ import annotations

from .pyrepr import Call
from .refs import Refs


def target_call(target: dict, refs: Refs) -> Call:
    kept = {k: v for k, v in target.items() if k not in ("datasource", "refId")}
    return Call.of("Target", refs.expr(target.get("datasource")), target.get("refId", "A"),
                   kept=refs.within(kept) or None)
