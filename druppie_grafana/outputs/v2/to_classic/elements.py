"""v2 elements (Panel, LibraryPanel) -> classic panels without their place (layout.py adds gridPos
and repeats). The inverse of ../elements.py and ../queries.py, over the same key tables (mapping.py).

Datasources: v2 names one per query (DataQuery group = plugin type, datasource.name = uid). Grafana's
v2 -> v1 conversion gives each target its reference and the panel the one its queries share, or
Grafana's mixed datasource when they differ, and none when the panel has no query (pair
tabs-with-nested-rows; Grafana's "V2 -> V1 Dashboard Conversion Requirements", Datasource Conversion)."""

from __future__ import annotations

import re
from typing import Any

from ..mapping import MIXED_UID, QUERY_OPTIONS, SAME_PANEL_KEYS
from .reader import Reader

ELEMENT_KINDS = ("Panel", "LibraryPanel")
NAME_ID = re.compile(r"panel-(\d+)$")  # ../mapping.py element_name, read back
MIXED = {"type": "datasource", "uid": MIXED_UID}  # classic Grafana's mixed datasource reference


def datasource_ref(query: dict) -> dict | None:
    """A DataQuery's group and datasource name as the classic {type, uid}."""
    ref = {"type": query["group"]} if query.get("group") else {}
    source = query.get("datasource")
    if isinstance(source, dict) and source.get("name"):
        ref["uid"] = source["name"]
    return ref or None


def panel(name: str, element: Any, reader: Reader, at: tuple) -> dict:
    """The classic panel of element `name`; `at` is its classic path (for `where`)."""
    path = ("elements", name)
    spec = reader.spec(element, path, f"element {name!r}")
    kind = element.get("kind") if isinstance(element, dict) else None
    if kind not in ELEMENT_KINDS:
        reader.fail(path + ("kind",), f"element kind {kind!r} is none of {', '.join(ELEMENT_KINDS)}")
    reader.map(at, path + ("spec",))
    out: dict[str, Any] = {"id": spec.get("id")}
    if not isinstance(out["id"], int) and isinstance(name, str) and NAME_ID.match(name):
        out["id"] = int(NAME_ID.match(name).group(1))
    if kind == "LibraryPanel":
        # pair panel-library: the reference and the title travel, the library holds the rest
        out["title"] = spec.get("title", "")
        ref = reader.obj(spec.get("libraryPanel"), path + ("spec", "libraryPanel"), "libraryPanel", optional=False)
        out["libraryPanel"] = {k: ref[k] for k in ("uid", "name") if k in ref}
        return out
    for key in SAME_PANEL_KEYS[1:]:
        if spec.get(key) not in (None, "", [], False):  # Grafana writes none of them empty (tabs pair)
            out[key] = spec[key]
    viz_path = path + ("spec", "vizConfig")
    viz = reader.obj(spec.get("vizConfig"), viz_path, "vizConfig")
    viz_spec = reader.obj(viz.get("spec"), viz_path + ("spec",), "the vizConfig spec")
    out["type"] = viz.get("group", "")
    if viz.get("version"):  # "" stands for no pluginVersion (../elements.py writes it so)
        out["pluginVersion"] = viz["version"]
    for key in ("options", "fieldConfig"):
        if key in viz_spec:
            out[key] = dict(reader.obj(viz_spec[key], viz_path + ("spec", key), key))
            reader.map(at + (key,), viz_path + ("spec", key))
    if out.get("fieldConfig", {}).get("overrides") == []:
        del out["fieldConfig"]["overrides"]  # Grafana leaves no overrides unsaid (tabs pair)
    data_path = path + ("spec", "data", "spec")
    data = reader.obj(reader.obj(spec.get("data"), data_path[:-1], "data").get("spec"), data_path, "the data spec")
    targets = []
    for i, query in enumerate(reader.items(data.get("queries"), data_path + ("queries",), "queries")):
        q_path = data_path + ("queries", i, "spec")
        targets.append(_target(reader.spec(query, q_path[:-1], "a query"), reader, q_path))
        reader.map(at + ("targets", len(targets) - 1), q_path + ("query", "spec"))
    refs = [t.get("datasource") for t in targets]
    if refs:
        keys = [r.get("uid") or r.get("type") if isinstance(r, dict) else r for r in refs]  # uid first, then type
        out["datasource"] = refs[0] if all(k == keys[0] for k in keys) else dict(MIXED)
        if out["datasource"] is None:
            del out["datasource"]
    out["targets"] = targets
    transformations = [_transformation(t) for t in reader.items(data.get("transformations"),
                                                                 data_path + ("transformations",), "transformations")]
    if transformations:
        out["transformations"] = transformations
    options = reader.obj(data.get("queryOptions"), data_path + ("queryOptions",), "queryOptions")
    out.update({k: options[k] for k in QUERY_OPTIONS if options.get(k) not in (None, "")})
    return out


def _target(spec: dict, reader: Reader, path: tuple) -> dict:
    query = reader.obj(spec.get("query"), path + ("query",), "the query")
    target = dict(reader.obj(query.get("spec"), path + ("query", "spec"), "the query spec"))
    ref = datasource_ref(query)
    if ref:
        target["datasource"] = ref
    target["refId"] = spec.get("refId", "")
    if spec.get("hidden"):
        target["hide"] = True
    return target


def _transformation(t: Any) -> Any:
    """v2: {kind: Transformation, group: id, spec}; v2beta1: {kind: id, spec: the classic config}
    (../convert.py to_v2_spec and ../elements.py transformation_v2beta1 write them)."""
    if not isinstance(t, dict):
        return t
    if t.get("kind") == "Transformation":
        return {"id": t.get("group"), **(t.get("spec") or {})}
    return t.get("spec") if isinstance(t.get("spec"), dict) else t
