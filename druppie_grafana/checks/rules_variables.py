"""Template variables: every $reference has a variable (or is Grafana's own), every variable is used."""

from __future__ import annotations

from typing import Iterator

from .finding import WARNING, Hit
from .inputs import CheckInput
from .registry import check, define
from .walk import at, dollar_strings, input_names, is_builtin, panels, variable_refs, variables

UNDEFINED = define(
    "variable-undefined", WARNING,
    "a $variable is used but not defined in templating (an error in the project's own build)",
    "add the variable to the dashboard's templating, or fix the name")
UNUSED = define(
    "variable-unused", WARNING,
    "a template variable is defined but no query, title, link or repeat uses it",
    "remove it, or use it; unused query variables still run their query on every load")

# Free text that Grafana renders but where a `$` is as likely prose as a variable.
_SKIP_KEYS = {"content", "description", "__inputs", "__requires", "__elements"}


@check
def template_variables(checked: CheckInput) -> Iterator[Hit]:
    for dash in checked.dashboards:
        data = dash.data
        defined = {v["name"]: path for v, path in variables(data) if isinstance(v.get("name"), str)}
        known = set(defined) | input_names(data)
        used: set[str] = set()
        reported: set[tuple[str, tuple]] = set()
        for text, path, skipped in dollar_strings(data, _SKIP_KEYS):
            if skipped:
                continue
            own = path[:3] if path[:2] == ("templating", "list") else None
            for name, _, _ in variable_refs(text):
                if own is not None and defined.get(name) == own:
                    continue  # a variable's own current value or options name it
                used.add(name)
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
