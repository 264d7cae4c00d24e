"""One dashboard variable -> a Python expression: `Variable(type, name, datasource, kept={...})`."""

from __future__ import annotations

from .pyrepr import Call
from .refs import Refs


def variable_call(variable: dict, refs: Refs) -> Call:
    kept = {k: v for k, v in variable.items() if k not in ("type", "name", "datasource")}
    return Call.of("Variable", variable.get("type", ""), variable.get("name", ""),
                   datasource=refs.expr(variable.get("datasource")), kept=refs.within(kept) or None)
