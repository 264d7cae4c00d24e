"""templating.list -> v2 variables. Enumerations follow the v2 types (VariableHide, VariableRefresh,
VariableSort in @grafana/schema v2/types.spec.gen.d.ts) in the order the classic numbers count them;
the pairs show query, custom, textbox and adhoc variables, so only those are converted."""

from __future__ import annotations

from typing import Any

from .mapping import HIDE, REFRESH, SORT, VARIABLE_KINDS
from .queries import data_query
from .refusal import Context


def variables(templating: list, ctx: Context) -> list[dict]:
    ctx.panel = None
    out = []
    for i, var in enumerate(templating):
        path = ("templating", "list", i)
        convert = CONVERTERS.get(var.get("type"))
        if convert is None:
            ctx.refuse(path + ("type",), f"variable {var.get('name')!r} of type {var.get('type')!r}: the conversion "
                                         f"pairs show only {', '.join(sorted(CONVERTERS))}")
        out.append(convert(var, ctx, path))
    return out


def _enum(table: list, value: Any, ctx: Context, path: tuple) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(table):
        return table[value]
    ctx.refuse(path, f"value {value!r} is none of 0..{len(table) - 1}")


def _current(var: dict) -> dict:
    # v2 keeps text and value only (the classic `selected` flag is dropped, pairs: every custom variable)
    current = var.get("current") or {}
    return {"text": current.get("text", ""), "value": current.get("value", "")}


def _common(var: dict, ctx: Context, path: tuple) -> dict:
    """name, current, label, hide, skipUrlSync: label and description only when they say something."""
    spec: dict[str, Any] = {"name": var.get("name", ""), "current": _current(var)}
    if var.get("label"):
        spec["label"] = var["label"]
    spec["hide"] = _enum(HIDE, var.get("hide", 0), ctx, path + ("hide",))
    spec["skipUrlSync"] = bool(var.get("skipUrlSync", False))
    if var.get("description"):
        spec["description"] = var["description"]
    return spec


def _choices(var: dict, spec: dict) -> dict:
    spec["multi"] = bool(var.get("multi", False))
    spec["includeAll"] = bool(var.get("includeAll", False))
    if var.get("allValue"):
        spec["allValue"] = var["allValue"]
    spec["allowCustomValue"] = var.get("allowCustomValue", True)
    return spec


def query_variable(var: dict, ctx: Context, path: tuple) -> dict:
    query = var.get("query")
    if not isinstance(query, dict):
        ctx.refuse(path + ("query",), "a query variable whose query is a string: the pairs show only the "
                                      "object form the query editors write")
    spec = _common(var, ctx, path)
    spec["refresh"] = _enum(REFRESH, var.get("refresh", 1), ctx, path + ("refresh",))
    spec["query"] = data_query(var.get("datasource"), query, ctx, path + ("datasource",))
    spec["regex"] = var.get("regex", "")
    spec["sort"] = _enum(SORT, var.get("sort", 0), ctx, path + ("sort",))
    spec["definition"] = var.get("definition", "")
    spec["options"] = var.get("options") or []
    return {"kind": VARIABLE_KINDS["query"], "spec": _choices(var, spec)}


def custom_variable(var: dict, ctx: Context, path: tuple) -> dict:
    common = _common(var, ctx, path)
    spec = {"name": common.pop("name"), "query": var.get("query", ""), "current": common.pop("current"),
            "options": var.get("options") or [], **common}
    return {"kind": VARIABLE_KINDS["custom"], "spec": _choices(var, spec)}


def text_variable(var: dict, ctx: Context, path: tuple) -> dict:
    # pair testdata-variables-textbox: the classic options list is dropped
    common = _common(var, ctx, path)
    spec = {"name": common.pop("name"), "current": common.pop("current"), "query": var.get("query", ""), **common}
    return {"kind": VARIABLE_KINDS["textbox"], "spec": spec}


def adhoc_variable(var: dict, ctx: Context, path: tuple) -> dict:
    # pair loki_fakedata: the datasource moves to the kind (group + datasource.name)
    ref = data_query(var.get("datasource"), {}, ctx, path + ("datasource",))
    common = _common(var, ctx, path)
    common.pop("current")
    spec = {"name": common.pop("name"), "baseFilters": var.get("baseFilters") or [],
            "filters": var.get("filters") or [], "defaultKeys": var.get("defaultKeys") or [], **common,
            "allowCustomValue": var.get("allowCustomValue", True)}
    out = {"kind": VARIABLE_KINDS["adhoc"], "group": ref["group"]}
    if "datasource" in ref:
        out["datasource"] = ref["datasource"]
    out["spec"] = spec
    return out


CONVERTERS = {"query": query_variable, "custom": custom_variable, "textbox": text_variable, "adhoc": adhoc_variable}
