"""Datasource references in a dashboard, as Grafana resolves them: object {type, uid}, a legacy string
(a name, or a uid), a template variable, null (the default), or one of Grafana's built-in datasources."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .inputs import CheckInput
from .walk import VARIABLE_REF, input_names, variables

# Grafana's built-in datasources by the names and uids dashboards use for them
# (public/app/features/plugins/datasource_srv.ts; public/app/plugins/datasource/{grafana,mixed,dashboard};
# expressions: public/app/features/expressions/types.ts, uid "__expr__", legacy id -100).
BUILTIN_TYPE_OF = {"-- Grafana --": "grafana", "grafana": "grafana", "-- Mixed --": "mixed", "mixed": "mixed",
                   "-- Dashboard --": "dashboard", "dashboard": "dashboard", "__expr__": "__expr__",
                   "expr": "__expr__", "-100": "__expr__"}
MIXED = "mixed"
EXPRESSION = "__expr__"

_PLACEHOLDER = re.compile(r"\$\{([^}:]+)\}")
BUILTIN = {"-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana", "mixed", "dashboard", "default",
           "datasource", "expr", "__expr__", "-100"}
BUILTIN_TYPES = {"datasource", "grafana", "__expr__", "dashboard", "mixed"}


@dataclass(frozen=True)
class Ref:
    """One reference, taken apart."""

    key: str | None  # uid or name text; None for the default datasource
    type: str | None  # plugin type when the reference says it
    variable: str | None  # the variable name when the key is $var / ${var}
    by_name: bool  # legacy string references name a datasource (Grafana also tries them as a uid)


def parse_ref(value: Any) -> Ref | None:
    """None when there is nothing to resolve (absent, or a Grafana built-in)."""
    if isinstance(value, dict):
        key, kind = value.get("uid"), value.get("type")
        by_name = False
    elif isinstance(value, str):
        key, kind, by_name = value, None, True
    else:
        return None
    kind = kind if isinstance(kind, str) and kind else None
    if kind in BUILTIN_TYPES or (isinstance(key, str) and key in BUILTIN):
        return None
    if not isinstance(key, str) or not key:
        return Ref(None, kind, None, False)
    m = VARIABLE_REF.fullmatch(key)
    variable = (m.group(1) or m.group(2) or m.group(4)) if m else None
    if variable is None and (placeholder := _PLACEHOLDER.fullmatch(key)):
        variable = placeholder.group(1)  # ${DS_NAME-WITH-DASHES}: an __inputs placeholder
    return Ref(key, kind, variable, by_name)


class DashboardScope:
    """What one dashboard's references can resolve to."""

    def __init__(self, dashboard: dict, checked: CheckInput):
        self.checked = checked
        self.vars = {v.get("name"): v for v, _ in variables(dashboard) if isinstance(v.get("name"), str)}
        self.inputs = input_names(dashboard)
        items = dashboard.get("__inputs")
        # An export's ${DS_X} placeholders: the import replaces each by a datasource of __inputs[].pluginId
        # (public/app/features/manage-dashboards/state/actions.ts, processInputs / DashboardImporter).
        self.input_types = {i["name"]: i["pluginId"] for i in items if isinstance(i, dict)
                            and isinstance(i.get("name"), str) and isinstance(i.get("pluginId"), str)} \
            if isinstance(items, list) else {}

    def variable_type(self, name: str) -> str | None:
        """Plugin type a datasource variable selects (its `query`), else None."""
        var = self.vars.get(name)
        if var and var.get("type") == "datasource" and isinstance(var.get("query"), str):
            return var["query"] or None
        return None

    def default_type(self) -> str | None:
        for entry in self.checked.datasources:
            if entry.spec.get("isDefault") is True:
                return entry.type
        return None

    def ds_type(self, ref: Ref | None) -> str | None:
        """The plugin type a reference points at, when it can be known."""
        if ref is None:
            return None
        if ref.type:
            return ref.type
        if ref.key is None:
            return self.default_type()
        if ref.variable:
            if ref.variable not in self.vars and ref.variable in self.input_types:
                return self.input_types[ref.variable]
            return self.variable_type(ref.variable)
        entry = self.checked.datasource_by_ref(ref.key) or self.checked.datasource_by_name(ref.key)
        return entry.type if entry else None

    def value_type(self, value: Any) -> tuple[str | None, str]:
        """(plugin type or None, what the reference is, for a message) of a datasource value as Grafana
        resolves it: null/"default" -> the default datasource; a built-in name or uid; {type, uid};
        $var -> the datasource variable's type; ${DS_X} -> __inputs' pluginId; else a uid or a name."""
        if isinstance(value, dict):
            uid, kind = value.get("uid"), value.get("type")
            if isinstance(kind, str) and kind:
                if kind == "datasource" and isinstance(uid, str):  # {type: datasource, uid: grafana|-- Mixed --}
                    return BUILTIN_TYPE_OF.get(uid, "grafana"), uid
                return kind, f"{{type: {kind}}}"
            value = uid
        if isinstance(value, str) and value in BUILTIN_TYPE_OF:
            return BUILTIN_TYPE_OF[value], value
        ref = parse_ref(value if value not in ("", "default") else None)
        if ref is None or ref.key is None:
            kind = self.default_type()
            return kind, "the default datasource" if kind else "the default datasource (not among the files checked)"
        kind = self.ds_type(ref)
        if kind:
            return kind, ref.key
        if ref.variable:
            var = self.vars.get(ref.variable)
            if var is None and ref.variable not in self.input_types:
                return None, f"{ref.key} (no such variable or __inputs entry)"
            return None, f"{ref.key} (a variable that does not say its datasource type)"
        return None, f"{ref.key!r} (not among the datasources checked)"

    def query_type(self, target: dict, panel: dict) -> tuple[str | None, str]:
        """Type of the datasource a panel's target is sent to: its own datasource, else the panel's; a
        target of a mixed panel without its own goes to the default (public/app/plugins/datasource/mixed)."""
        value = target.get("datasource")
        if value is None:
            value = panel.get("datasource")
            kind, what = self.value_type(value)
            if kind == MIXED:
                return self.value_type(None)
            return kind, what
        return self.value_type(value)

    def unresolved(self, ref: Ref) -> str | None:
        """Why a reference cannot resolve, or None. Undefined variables are the variables rule's."""
        inventory = self.checked.datasources
        if ref.variable:
            var = self.vars.get(ref.variable)
            if var is None or var.get("type") != "datasource" or not self.checked.complete_inventory:
                return None
            wanted = self.variable_type(ref.variable)
            if wanted and not any(e.type == wanted for e in inventory):
                return f"datasource variable ${ref.variable} selects type {wanted!r}, and no such datasource is defined"
            return None
        if ref.key is None or not self.checked.complete_inventory:
            return None
        if self.checked.datasource_by_ref(ref.key) or self.checked.datasource_by_name(ref.key):
            return None
        return f"datasource {ref.key!r} is not defined"


def panel_ref(panel: dict) -> Ref | None:
    return parse_ref(panel.get("datasource"))


def target_ref(target: dict, panel: dict) -> Ref | None:
    """A target without its own datasource uses the panel's."""
    if "datasource" in target and target["datasource"] is not None:
        return parse_ref(target["datasource"])
    return parse_ref(panel.get("datasource"))
