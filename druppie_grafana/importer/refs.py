"""Datasource references -> Python expressions: our roles as `ctx.datasource_uid(role)` locals,
`$variable` references as DatasourceRef(type, "$var"), the rest as named dicts flagged FIXME."""

from __future__ import annotations

import json
import re
from typing import Any

from ..grafana_ext.targets import DatasourceRef
from .datasources import RoleMap
from .pyrepr import Call, Code, one_line


def as_datasource_ref(ref: Any) -> DatasourceRef | None:
    """A saved reference as a DatasourceRef (None stays None); ValueError unless it is exactly {type, uid}."""
    if ref is None:
        return None
    if isinstance(ref, dict) and set(ref) == {"type", "uid"} and all(isinstance(v, str) for v in ref.values()):
        return DatasourceRef(ref["type"], ref["uid"])
    raise ValueError(f"not a {{type, uid}} datasource reference: {ref!r}")


class Refs:
    """Names the references of one dashboard and remembers which locals build() must define."""

    def __init__(self, roles: RoleMap):
        self.roles = roles
        self.used_roles: set[str] = set()
        self.foreign: dict[str, dict] = {}  # local name -> reference dict we do not provision

    def expr(self, ref: Any) -> Any:
        if ref is None:
            return None
        role = self.roles.role(ref)
        if role:
            self.used_roles.add(role)
            return Code(role)
        if self.roles.is_variable(ref) and set(ref) == {"type", "uid"} and isinstance(ref.get("type"), str):
            return Call.of("DatasourceRef", ref["type"], ref["uid"])
        if self.roles.is_builtin(ref) or self.roles.is_variable(ref) or not isinstance(ref, dict):
            return ref
        for name, kept in self.foreign.items():
            if kept == ref:
                return Code(name)
        base = re.sub(r"\W+", "_", str(ref.get("type") or "datasource")).strip("_").lower() or "datasource"
        name, n = f"{base}_datasource", 2
        while name in self.foreign:
            name, n = f"{base}_datasource_{n}", n + 1
        self.foreign[name] = ref
        return Code(name)

    def ref_expr(self, ref: Any) -> Any:
        """expr() for a typed class, which takes a DatasourceRef rather than a dict."""
        out = self.expr(ref)
        return Call.of("DatasourceRef", out["type"], out["uid"]) if isinstance(out, dict) else out

    def within(self, value: Any) -> Any:
        """value with every `datasource` reference inside it written as an expression."""
        if isinstance(value, dict):
            return {k: self.expr(v) if k == "datasource" and v is not None else self.within(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.within(v) for v in value]
        if isinstance(value, str):
            return self._text(value)
        return value

    def _text(self, text: str) -> Any:
        """A string holding a role's export placeholder `${DS_X}` -> an f-string with the role's uid."""
        found = [(p, role) for p, role in self.roles.placeholders().items() if p in text]
        if not found:
            return text
        pattern = "(" + "|".join(re.escape(p) for p, _ in found) + ")"
        parts = []
        for i, piece in enumerate(re.split(pattern, text)):
            if i % 2:
                role = dict(found)[piece]
                self.used_roles.add(role)
                parts.append("{" + role + ".uid}")
            else:
                parts.append(json.dumps(piece, ensure_ascii=False)[1:-1].replace("{", "{{").replace("}", "}}"))
        return Code('f"' + "".join(parts) + '"')

    def locals(self) -> list[str]:
        """The lines that open build(): one per role used, one per kept datasource."""
        lines = [f'{role} = DatasourceRef("{role}", ctx.datasource_uid("{role}"))' for role in sorted(self.used_roles)]
        lines += [f"{name} = {one_line(_written(ref))}  # FIXME: datasource not provisioned here"
                  for name, ref in sorted(self.foreign.items())]
        return lines


def _written(ref: dict) -> Any:
    try:
        as_datasource_ref(ref)
    except ValueError:
        return ref  # extra keys: kept as the dict Grafana saved
    return Call.of("DatasourceRef", ref["type"], ref["uid"])
