"""A classic dashboard -> the text of a definition module for dashboards/."""

from __future__ import annotations

import re

from .datasources import RoleMap
from .grafana import as_loaded
from .grid import layout_call
from .panels import panel_call
from .pyrepr import Call, Code, source
from .read import Source
from .refs import Refs
from .typed import ALL as TYPED, EXT_PANELS, EXT_TARGETS, NAMES_USED
from .variables import variable_call

MARKER = "# imported by druppie-grafana import"
# Keys the module writes through grafanalib's Dashboard, and keys of Grafana's own bookkeeping.
DASHBOARD_ARGS = ("title", "uid", "description", "tags", "timezone", "time", "refresh", "editable",
                  "graphTooltip", "links", "annotations", "panels", "templating")
DROPPED = ("id", "version", "schemaVersion", "__inputs", "__requires", "__elements", "gnetId", "iteration")
DEFAULT_TIME = {"from": "now-6h", "to": "now"}  # Grafana's, for a dashboard that names none


def is_imported(text: str) -> bool:
    """Whether a definition file was written by import/pull (so pull may rewrite it)."""
    return text.startswith(MARKER)


def module_text(src: Source, stem: str) -> str:
    dashboard = as_loaded(src.dashboard, src.inputs)
    refs = Refs(RoleMap(dashboard, src.inputs, src.chosen_roles))
    placing, layout_note = layout_call(dashboard.get("panels") or [], lambda p: panel_call(p, refs),
                                        refs.within)
    variables = [variable_call(v, refs) for v in (dashboard.get("templating") or {}).get("list") or []]
    annotations = refs.within((dashboard.get("annotations") or {}).get("list") or [])
    time = dashboard.get("time") or DEFAULT_TIME
    extra = {k: v for k, v in dashboard.items() if k not in DASHBOARD_ARGS + DROPPED}
    kept_templating = {k: v for k, v in (dashboard.get("templating") or {}).items() if k != "list"}
    kept_annotations = {k: v for k, v in (dashboard.get("annotations") or {}).items() if k != "list"}
    if kept_templating or kept_annotations:
        raise ValueError("templating/annotations keys besides `list` are not supported")
    args = Call.of(
        "Dashboard", title=dashboard.get("title", ""), uid=Code("UID"),
        description=dashboard.get("description") or None, tags=list(dashboard.get("tags") or []) or None,
        timezone=dashboard.get("timezone", ""), time=Call.of("Time", time.get("from"), time.get("to")),
        refresh=dashboard.get("refresh", ""), editable=dashboard.get("editable", True),
        graphTooltip=dashboard.get("graphTooltip", 0), links=refs.within(dashboard.get("links")) or None,
        annotations=Call.of("Annotations", list=Code("annotations")), panels=Code("panels"),
        templating=Call.of("Templating", list=Code("variables")))
    body = []
    if layout_note:
        body.append(layout_note)
    body.append("panels = " + source(placing, 1, len("panels = ")))
    body.append("variables = " + source(variables, 1, len("variables = ")))
    body.append("annotations = " + source(annotations, 1, len("annotations = ")))
    body.append("dashboard = " + source(args, 1, len("dashboard = ")))
    if extra:
        body.append("# kept as saved: dashboard keys grafanalib's Dashboard does not model")
        body.append("kept = " + source(refs.within(extra), 1, len("kept = ")))
        body.append("return to_grafana_json({**dashboard.to_json_data(), **kept}, ctx.env.schema_version)")
    else:
        body.append("return to_grafana_json(dashboard, ctx.env.schema_version)")
    body = refs.locals() + body
    uid = dashboard.get("uid") or "imported-" + stem.replace("_", "-")
    title = dashboard.get("title", "")
    description = (dashboard.get("description") or "").strip().splitlines()
    doc = title + (": " + description[0] if description else "")
    doc = doc.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    names = _imports("\n".join(body))
    lines = [
        f"{MARKER} from {_origin(src)}; pull may rewrite this file",
        "# (delete the line above to make it hand-written: pull then writes a side-by-side module instead).",
        f'"""{doc}"""',
        "",
    ] + names + [f"UID = {source(uid)}", "", "", "def build(ctx):"]
    lines += ["    " + block for block in body]  # each block's later lines are indented already
    return "\n".join(lines) + "\n"


def _origin(src: Source) -> str:
    name = src.origin.replace("\n", " ")
    return f"{name} ({src.form})" if src.form != "dashboard" else name


def _import_table() -> list[tuple[str, tuple[str, ...]]]:
    """Module -> names a definition may use: the fixed ones and every typed class of typed.py."""
    table = {"grafanalib.core": ["Annotations", "Dashboard", "GridPos", "RowPanel", "Templating", "Time"],
             "druppie_grafana.grafana_ext.dashboard": ["to_grafana_json"],
             "druppie_grafana.grafana_ext.kept": ["Panel", "Target", "Variable"],
             "druppie_grafana.grafana_ext.layout": ["Cell", "Row", "as_placed", "layout"],
             EXT_PANELS: [],
             EXT_TARGETS: ["DatasourceRef"]}
    for shape in TYPED:
        table[shape.module] += [shape.name, *NAMES_USED.get(shape.name, ())]
    return [(module, tuple(sorted(names))) for module, names in table.items()]


IMPORTS = _import_table()


def _imports(body: str) -> list[str]:
    code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', body)  # names inside strings do not count
    out = []
    for module, names in IMPORTS:
        used = [n for n in names if re.search(rf"\b{n}\b", code)]
        if used:
            out.append(f"from {module} import {', '.join(used)}")
            if module == "grafanalib.core":
                out.append("")
    return out + [""]
