"""v2 variables and annotations -> classic templating.list and annotations.list entries: the inverse of
../variables.py and ../annotations.py over the same tables (mapping.py). A v2 variable spec is the
classic entry with its enumerations spelled out, the DataQuery of a query variable folded into
{datasource, query}, and the datasource of ad hoc and group-by variables on the kind
(dashboard_spec.cue VariableKind; pairs loki_fakedata, templating-dashboard-links-and-variables)."""

from __future__ import annotations

from typing import Any

from ..mapping import HIDE, KIND_DATASOURCE_VARIABLES, REFRESH, SORT, VARIABLE_KINDS
from .elements import datasource_ref
from .reader import Reader

# A classic query given as a string travels in the DataQuery spec under this one key (Grafana's v1 -> v2
# conversion writes it so, e.g. esnet-gdg latency-patterns.json in ../shared/corpus/grafana13/dashboards-v2).
LEGACY_STRING = "__legacyStringValue"
CLASSIC_TYPES = {kind: classic for classic, kind in VARIABLE_KINDS.items()}
ENUMS = {"hide": HIDE, "refresh": REFRESH, "sort": SORT}


def variable(var: Any, reader: Reader, i: int) -> dict | None:
    path = ("variables", i)
    spec = reader.spec(var, path, "a variable")
    kind = var.get("kind") if isinstance(var, dict) and isinstance(var.get("kind"), str) else None
    if kind not in CLASSIC_TYPES:
        reader.fail(path + ("kind",), f"variable kind {kind!r} is none of {', '.join(sorted(CLASSIC_TYPES))}")
        if not isinstance(var, dict):
            return None
    reader.map(("templating", "list", i), path + ("spec",))
    out: dict[str, Any] = {"type": CLASSIC_TYPES.get(kind, str(kind or "").removesuffix("Variable").lower())}
    for key, value in spec.items():
        if key == "query" and isinstance(value, dict) and value.get("kind") == "DataQuery":
            if datasource_ref(value):
                out["datasource"] = datasource_ref(value)
            out["query"] = value.get("spec") if isinstance(value.get("spec"), dict) else {}
            if set(out["query"]) == {LEGACY_STRING}:
                out["query"] = out["query"][LEGACY_STRING]
            reader.map(("templating", "list", i, "query"), path + ("spec", "query", "spec"))
        elif key in ENUMS and isinstance(value, str):
            if value in ENUMS[key]:
                out[key] = ENUMS[key].index(value)
            else:
                reader.fail(path + ("spec", key), f"{key} {value!r} is none of {', '.join(ENUMS[key])}")
        elif key == "pluginId" and out["type"] == "datasource":
            out["query"] = value  # a classic datasource variable names the plugin in `query`
        else:
            out[key] = value
    if kind in KIND_DATASOURCE_VARIABLES and datasource_ref(var):
        out["datasource"] = datasource_ref(var)
    return out


def annotation(ann: Any, reader: Reader, i: int) -> dict:
    """The query's spec becomes `target`, legacyOptions go back to the top, builtIn true becomes 1."""
    path = ("annotations", i)
    spec = reader.spec(ann, path, "an annotation")
    query = reader.obj(spec.get("query"), path + ("spec", "query"), "the annotation query")
    reader.map(("annotations", "list", i), path + ("spec", "query", "spec"))
    out = {k: v for k, v in spec.items() if k not in ("query", "builtIn", "legacyOptions")}
    if spec.get("builtIn"):
        out["builtIn"] = 1
        out["type"] = "dashboard"  # the built-in one's legacy type, written even without legacyOptions (tabs pair)
    ref = datasource_ref(query)
    if ref:
        out["datasource"] = ref
    if query.get("spec"):
        out["target"] = query["spec"]
    out.update(reader.obj(spec.get("legacyOptions"), path + ("spec", "legacyOptions"), "legacyOptions"))
    return out
