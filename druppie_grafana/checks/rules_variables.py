"""Template variables: every $reference has a variable (or is Grafana's own), every variable is used."""

from __future__ import annotations

from typing import Iterator

from .finding import WARNING, Hit
from .inputs import CheckInput
from .registry import check, define
from .walk import at, dollar_strings, input_names, is_builtin, panels, targets, variable_refs, variables

UNDEFINED = define(
    "variable-undefined", WARNING,
    "a $variable is used but not defined in templating (an error in the project's own build)",
    "add the variable to the dashboard's templating, or fix the name")
UNUSED = define(
    "variable-unused", WARNING,
    "a template variable is defined but no query, title, link or repeat uses it",
    "remove it, or use it; unused query variables still run their query on every load")

# Free text that Grafana renders but where a `$` is as likely prose as a variable: a variable named there
# counts as used (the text panel interpolates its content, public/app/plugins/panel/text/TextPanel.tsx,
# and panel descriptions are interpolated too), an unknown name is not reported.
_PROSE_KEYS = {"content", "description"}
_SKIP_KEYS = _PROSE_KEYS | {"__inputs", "__requires", "__elements"}


def _expression_refs(data: dict) -> set[tuple]:
    """Paths of server-side expression texts: there `$A` names the query with refId A
    (pkg/expr/mathexp: variables of a math expression are refIds), not a template variable."""
    out = set()
    for panel, path in panels(data):
        for target, tpath in targets(panel, path):
            ds = target.get("datasource")
            uid = ds.get("uid") if isinstance(ds, dict) else ds
            kind = ds.get("type") if isinstance(ds, dict) else None
            if kind == "__expr__" or uid in ("__expr__", "-100") or target.get("type") in (
                    "math", "reduce", "resample", "classic_conditions", "threshold", "sql"):
                out.add(tpath)
    return out


@check
def template_variables(checked: CheckInput) -> Iterator[Hit]:
    for dash in checked.dashboards:
        data = dash.data
        defined = {v["name"]: path for v, path in variables(data) if isinstance(v.get("name"), str)}
        known = set(defined) | input_names(data)
        used: set[str] = set()
        reported: set[tuple[str, tuple]] = set()
        expressions = _expression_refs(data)
        for text, path, skipped in dollar_strings(data, _SKIP_KEYS):
            prose = skipped and any(key in _PROSE_KEYS for key in path if isinstance(key, str))
            if skipped and not prose:
                continue
            own = path[:3] if path[:2] == ("templating", "list") else None
            refids = _panel_refids(data, path) if path[:-1] in expressions else set()
            for name, _, _ in variable_refs(text):
                if own is not None and defined.get(name) == own:
                    continue  # a variable's own current value or options name it
                if name in refids:
                    continue  # `$A` of an expression: the query with refId A
                used.add(name)
                if prose:
                    continue
                if name not in known and not is_builtin(name) and (name, path) not in reported:
                    reported.add((name, path))
                    yield Hit(UNDEFINED, f"${name} is not a variable of this dashboard", dash.file, at(path))
        for panel, _ in panels(data):
            if isinstance(panel.get("repeat"), str):
                used.add(panel["repeat"])
        for row in data.get("rows") or []:
            if isinstance(row, dict) and isinstance(row.get("repeat"), str):
                used.add(row["repeat"])
        if any(isinstance(link, dict) and link.get("includeVars") for link in data.get("links") or []):
            continue  # every variable travels with the dashboard links
        for var, path in variables(data):
            name = var.get("name")
            if isinstance(name, str) and name not in used and var.get("type") != "adhoc":
                yield Hit(UNUSED, f"variable {name!r} is not used", dash.file, at(path))


def _panel_refids(data: dict, path: tuple) -> set[str]:
    """The refIds of the targets of the panel that `path` is inside."""
    node: object = data
    for part in path:
        if isinstance(node, dict) and part == "targets":
            items = node.get("targets")
            return {t["refId"] for t in items if isinstance(t, dict) and isinstance(t.get("refId"), str)} \
                if isinstance(items, list) else set()
        node = node[part] if isinstance(node, (dict, list)) else None
    return set()
