"""The forms a dashboard arrives in, down to the classic dashboard JSON and its `__inputs`.

bare dashboard JSON; a UI export (with `__inputs`/`__requires`); an API payload `{dashboard, meta}`;
a Kubernetes-style object (dashboard.grafana.app v0alpha1/v1beta1/v1: spec is classic JSON); schema
v2 (a v2alpha1/v2beta1/v2 object, or a bare spec with elements + layout), converted to the classic
dashboard Grafana's own v2 -> v1 conversion gives (outputs/v2/to_classic), so that the rest of the
importer reads classic JSON only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..outputs.v2.to_classic import Reader, V2ShapeError, to_classic

CLASSIC_API_VERSIONS = ("v0alpha1", "v1beta1", "v1")


@dataclass
class Source:
    """A classic dashboard and where it came from."""

    dashboard: dict
    form: str  # "dashboard", "export", "api", "kubernetes <apiVersion>"
    inputs: list[dict] = field(default_factory=list)
    origin: str = ""
    chosen_roles: dict = field(default_factory=dict)  # datasource uid -> our role (import --role UID=ROLE)


def _is_dashboard(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("title"), str) and (
        "panels" in value or "rows" in value or "schemaVersion" in value or "templating" in value)


def _from_v2(spec: Any, origin: str, form: str, base: tuple, metadata: dict | None = None) -> Source:
    """A v2 dashboard as the classic one Grafana would give for it; a malformed one is one UsageError."""
    try:
        dashboard = to_classic(spec, Reader(base), metadata)
    except V2ShapeError as exc:
        raise UsageError(f"{origin}: not a valid schema v2 dashboard ({form}): at {exc.path}: {exc.reason}. "
                         f"Fix that part (`validate {origin}` lists every schema finding) or export the "
                         "dashboard from Grafana again") from None
    return Source(dashboard, form, [], origin)


def from_data(data: Any, origin: str) -> Source:
    """The classic dashboard inside data, or a UsageError saying what data is instead."""
    if isinstance(data, dict) and "gdg_api_version" in data and isinstance(data.get("resource"), dict):
        data = data["resource"]  # a backup by esnet/gdg: the object Grafana's /apis returned, wrapped
    if isinstance(data, dict) and isinstance(data.get("apiVersion"), str) and "spec" in data:
        group, _, version = data["apiVersion"].partition("/")
        if data.get("kind") != "Dashboard" or not group.startswith("dashboard.grafana.app"):
            raise UsageError(f"{origin}: a {data.get('kind')!r} object of {data['apiVersion']}, not a dashboard")
        if version.startswith("v2") or isinstance(data["spec"], dict) and "elements" in data["spec"]:
            return _from_v2(data["spec"], origin, f"kubernetes {data['apiVersion']}", ("spec",), data.get("metadata"))
        spec = dict(data["spec"])
        name = (data.get("metadata") or {}).get("name")
        if name and not spec.get("uid"):
            spec["uid"] = name
        if not _is_dashboard(spec):
            raise UsageError(f"{origin}: the {data['apiVersion']} object's spec is not a dashboard (no title/panels)")
        return Source(spec, f"kubernetes {data['apiVersion']}", list(spec.get("__inputs") or []), origin)
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict) and _is_dashboard(data["dashboard"]):
        inner = data["dashboard"]
        return Source(inner, "api", list(inner.get("__inputs") or []), origin)
    if isinstance(data, dict) and "elements" in data and "layout" in data:
        return _from_v2(data, origin, "v2 spec", ())
    if _is_dashboard(data):
        inputs = list(data.get("__inputs") or [])
        return Source(data, "export" if inputs or "__requires" in data else "dashboard", inputs, origin)
    what = type(data).__name__ if not isinstance(data, dict) else "an object with keys " + ", ".join(sorted(data)[:8])
    raise UsageError(f"{origin}: not a Grafana dashboard ({what}); import takes dashboard JSON: bare, a UI export, "
                     "an API payload {dashboard, meta} or a dashboard.grafana.app object")


def read(path: Path) -> Source:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); import takes "
                         "dashboard JSON") from None
    return from_data(data, str(path))
