"""A v2 dashboard seen as the classic JSON the rules read, with each classic JSON path mapped back to the
v2 place it came from: one set of rules for both schemas, not a copy per schema.

What the view carries: every element as a panel (type, title, datasource per query, targets with their
query fields, transformations, links, field config), positions from GridLayout/RowsLayout items (rows
become row panels; y counted from the row as Grafana's v2 -> v1 conversion does,
apps/dashboard/pkg/migration/conversion/v2_to_v1_layout_conversion.md in ../shared/corpus/grafana13),
variables, annotations, links and time. Tabs and auto grids have no fixed positions: their panels get
none, and the layout rules pass them by (Grafana computes them)."""

from __future__ import annotations

from typing import Any

from ..errors import json_path

ROW = "row"


class V2View:
    """`data`: the classic-shaped dashboard; `where(path)`: a finding's classic path as its v2 path."""

    def __init__(self, spec: dict, base: tuple = ("spec",)):
        self.spec, self.base = spec, base
        self._paths: list[tuple[str, str]] = []  # (classic prefix, v2 prefix), longest first when asked
        self.data = self._dashboard()

    def _map(self, classic: tuple, v2: tuple) -> None:
        self._paths.append((json_path(classic), json_path(self.base + v2)))

    def where(self, path: str) -> str:
        for classic, v2 in sorted(self._paths, key=lambda p: -len(p[0])):
            if path == classic or path.startswith(classic + ".") or path.startswith(classic + "["):
                return v2 + path[len(classic):]
        return json_path(self.base) + ("" if path == "$" else path[1:])

    # ------------------------------------------------------------ the dashboard
    def _dashboard(self) -> dict:
        spec = self.spec
        time = spec.get("timeSettings") if isinstance(spec.get("timeSettings"), dict) else {}
        out: dict[str, Any] = {"title": spec.get("title", ""), "tags": spec.get("tags") or [],
                               "links": spec.get("links") or [], "schemaVersion": 42,
                               "time": {"from": time.get("from", "now-6h"), "to": time.get("to", "now")},
                               "panels": self._panels(), "templating": {"list": self._variables()},
                               "annotations": {"list": self._annotations()}}
        for key in ("links", "tags", "title"):
            self._map((key,), (key,))
        return out

    # ------------------------------------------------------------ elements and layout
    def _panels(self) -> list:
        elements = self.spec.get("elements") if isinstance(self.spec.get("elements"), dict) else {}
        layout = self.spec.get("layout") if isinstance(self.spec.get("layout"), dict) else {}
        panels: list = []
        placed: set[str] = set()
        self._layout(layout, ("layout",), 0, elements, panels, placed)
        for name in sorted(set(elements) - placed):  # elements no layout item shows: still checked
            panels.append(self._panel(name, elements[name], None, len(panels)))
        return panels

    def _layout(self, layout: dict, path: tuple, top: int, elements: dict, panels: list, placed: set) -> None:
        kind, spec = layout.get("kind"), layout.get("spec") if isinstance(layout.get("spec"), dict) else {}
        if kind == "GridLayout":
            for i, item in enumerate(spec.get("items") or []):
                item_spec = item.get("spec") if isinstance(item, dict) else None
                if not isinstance(item_spec, dict):
                    continue
                name = (item_spec.get("element") or {}).get("name")
                grid = {"x": item_spec.get("x", 0), "y": top + item_spec.get("y", 0),
                        "w": item_spec.get("width", 0), "h": item_spec.get("height", 0)}
                if name in elements:
                    placed.add(name)
                    self._map(("panels", len(panels), "gridPos"), path + ("spec", "items", i, "spec"))
                    panels.append(self._panel(name, elements[name], grid, len(panels)))
        elif kind == "RowsLayout":
            y = top
            for i, row in enumerate(spec.get("rows") or []):
                row_spec = row.get("spec") if isinstance(row, dict) else None
                if not isinstance(row_spec, dict):
                    continue
                row_path = path + ("spec", "rows", i, "spec")
                if not row_spec.get("hideHeader"):
                    self._map(("panels", len(panels)), row_path)
                    panels.append({"type": ROW, "title": row_spec.get("title", ""), "collapsed": False,
                                   "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []})
                    y += 1
                start = len(panels)
                self._layout(row_spec.get("layout") or {}, row_path + ("layout",), y, elements, panels, placed)
                y = max([y] + [p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels[start:] if p.get("gridPos")])
        elif kind in ("TabsLayout", "AutoGridLayout"):
            items = spec.get("tabs") or spec.get("items") or []
            for i, item in enumerate(items):
                item_spec = item.get("spec") if isinstance(item, dict) else {}
                if isinstance(item_spec, dict) and isinstance(item_spec.get("layout"), dict):
                    self._layout(item_spec["layout"], path + ("spec", "tabs", i, "spec", "layout"), top, elements,
                                 panels, placed)
                else:
                    name = ((item_spec or {}).get("element") or {}).get("name")
                    if name in elements and name not in placed:  # an auto grid: Grafana places it
                        placed.add(name)
                        panels.append(self._panel(name, elements[name], None, len(panels)))

    def _panel(self, name: str, element: dict, grid: dict | None, index: int) -> dict:
        where = ("elements", name, "spec")
        spec = element.get("spec") if isinstance(element, dict) and isinstance(element.get("spec"), dict) else {}
        self._map(("panels", index), where)
        if element.get("kind") == "LibraryPanel":
            panel = {"id": spec.get("id"), "title": spec.get("title", ""), "libraryPanel": spec.get("libraryPanel")}
        else:
            data = (spec.get("data") or {}).get("spec") or {}
            viz = spec.get("vizConfig") or {}
            targets = []
            for i, query in enumerate(data.get("queries") or []):
                q = (query or {}).get("spec") or {}
                self._map(("panels", index, "targets", i), where + ("data", "spec", "queries", i, "spec", "query", "spec"))
                targets.append(self._target(q))
            panel = {"id": spec.get("id"), "type": viz.get("group", ""), "title": spec.get("title", ""),
                     "description": spec.get("description", ""), "links": spec.get("links") or [],
                     "targets": targets, "options": (viz.get("spec") or {}).get("options") or {},
                     "fieldConfig": (viz.get("spec") or {}).get("fieldConfig") or {},
                     "transformations": [_transformation(t) for t in data.get("transformations") or []]}
            self._map(("panels", index, "fieldConfig"), where + ("vizConfig", "spec", "fieldConfig"))
            self._map(("panels", index, "options"), where + ("vizConfig", "spec", "options"))
        if grid is not None:
            panel["gridPos"] = grid
        return panel

    @staticmethod
    def _target(panel_query: dict) -> dict:
        query = panel_query.get("query") if isinstance(panel_query.get("query"), dict) else {}
        target = dict(query.get("spec") or {})
        target["refId"] = panel_query.get("refId", "")
        if panel_query.get("hidden"):
            target["hide"] = True
        target["datasource"] = _datasource(query)
        return target

    # ------------------------------------------------------------ variables and annotations
    def _variables(self) -> list:
        out = []
        for i, var in enumerate(self.spec.get("variables") or []):
            if not isinstance(var, dict) or not isinstance(var.get("spec"), dict):
                continue
            spec = dict(var["spec"])
            kind = str(var.get("kind", "")).removesuffix("Variable").lower()
            classic = {k: v for k, v in spec.items() if k != "query"}
            classic["type"] = {"adhoc": "adhoc", "groupby": "groupby"}.get(kind, kind)
            query = spec.get("query")
            if isinstance(query, dict) and query.get("kind") == "DataQuery":
                classic["datasource"] = _datasource(query)
                classic["query"] = query.get("spec") or {}
                self._map(("templating", "list", i, "query"), ("variables", i, "spec", "query", "spec"))
            elif query is not None:
                classic["query"] = query
            self._map(("templating", "list", i), ("variables", i, "spec"))
            out.append(classic)
        return out

    def _annotations(self) -> list:
        out = []
        for i, ann in enumerate(self.spec.get("annotations") or []):
            spec = ann.get("spec") if isinstance(ann, dict) else None
            if not isinstance(spec, dict):
                continue
            query = spec.get("query") if isinstance(spec.get("query"), dict) else {}
            classic = {k: v for k, v in spec.items() if k not in ("query", "builtIn", "legacyOptions")}
            classic.update(query.get("spec") or {})
            classic["datasource"] = _datasource(query)
            if spec.get("builtIn"):
                classic["builtIn"] = 1
            self._map(("annotations", "list", i), ("annotations", i, "spec", "query", "spec"))
            out.append(classic)
        return out


def _datasource(query: dict) -> dict | None:
    """A v2 DataQuery's group (plugin type) and datasource name (the uid) as a classic reference."""
    ref = {"type": query.get("group")} if query.get("group") else {}
    name = (query.get("datasource") or {}).get("name") if isinstance(query.get("datasource"), dict) else None
    if name:
        ref["uid"] = name
    return ref or None


def _transformation(t: Any) -> Any:
    """v2: {kind: Transformation, group: id, spec}; v2beta1: {kind: id, spec: the classic config}."""
    if not isinstance(t, dict):
        return t
    if t.get("kind") == "Transformation":
        return {"id": t.get("group"), **(t.get("spec") or {})}
    return t.get("spec") if isinstance(t.get("spec"), dict) else t
