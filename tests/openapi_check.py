"""Check requests against Grafana's own OpenAPI (Swagger 2.0) spec from ../shared/corpus, when present.

Each request's path and method must exist, its query parameters must be declared, and its JSON body
must validate against the declared body schema.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

import jsonschema

SPEC_NAME = "grafana-11.4.0-api-merged.jq-processed.json"


def spec_path() -> Path:
    shared = Path(os.environ.get("DRUPPIE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    return shared / "corpus" / "http-api" / SPEC_NAME


@functools.lru_cache(maxsize=1)
def load_spec() -> dict | None:
    path = spec_path()
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


@functools.lru_cache(maxsize=1)
def _templates() -> list[tuple[re.Pattern, str, int]]:
    spec = load_spec()
    out = []
    for template in spec["paths"]:
        params = template.count("{")
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        out.append((re.compile(regex), template, params))
    # Literal segments win over parameters, as Grafana's router does (/datasources/uid/x, not /datasources/{id})
    return sorted(out, key=lambda t: t[2])


APIS_SNAPSHOTS = {"dashboard.grafana.app": "dashboard.grafana.app-v2.json", "folder.grafana.app": "folder.grafana.app-v1.json"}


@functools.lru_cache(maxsize=None)
def load_apis_snapshot(group: str) -> dict | None:
    """Grafana's own OpenAPI snapshot of an /apis group (pkg/tests/apis/openapi_snapshots), when present."""
    shared = spec_path().parents[2]
    path = shared / "grafana13" / "http-api" / "grafana" / "pkg" / "tests" / "apis" / "openapi_snapshots" / APIS_SNAPSHOTS[group]
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def apis_problems(method: str, path: str, query: dict) -> list[str]:
    """An /apis request against the group's snapshot. The snapshots are of dashboard v2 and folder v1; the
    other versions (v1, v1beta1) have the same paths and parameters, so the version segment is mapped."""
    if path == "/apis":
        return [] if method == "GET" else [f"{method} {path}: discovery is GET only"]  # k8s APIGroupList
    parts = path.split("/")
    if len(parts) < 4 or parts[2] not in APIS_SNAPSHOTS:
        return [f"{method} {path}: unknown API group"]
    spec = load_apis_snapshot(parts[2])
    if spec is None:
        return []
    snapshot_version = next(iter(spec["paths"])).split("/")[3]
    rel = "/".join(parts[:3] + [snapshot_version] + parts[4:])
    for template, operations in spec["paths"].items():
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(regex, rel) or (template.endswith("/") and re.fullmatch(regex, rel + "/")):
            operation = operations.get(method.lower())
            if operation is None:
                return [f"{method} {path}: {template} has no {method} in the snapshot"]
            declared = {p["name"] for p in (operation.get("parameters") or []) + (operations.get("parameters") or [])
                        if p.get("in") == "query"}
            return [f"{method} {path}: query parameter {q!r} not declared" for q in query if q not in declared]
    return [f"{method} {path}: no such path in the snapshot"]


def problems(method: str, path: str, query: dict, body) -> list[str]:
    if path == "/apis" or path.startswith("/apis/"):
        return apis_problems(method, path, query)
    spec = load_spec()
    base = spec.get("basePath", "/api")
    if not path.startswith(base):
        return [f"{method} {path}: outside {base}"]
    rel = path[len(base):]
    template = next((t for regex, t, _ in _templates() if regex.fullmatch(rel)), None)
    if template is None:
        return [f"{method} {path}: no such path in the spec"]
    operation = spec["paths"][template].get(method.lower())
    if operation is None:
        return [f"{method} {path}: {template} has no {method} in the spec"]
    found = []
    params = operation.get("parameters") or []
    declared = {p["name"] for p in params if p.get("in") == "query"}
    found += [f"{method} {path}: query parameter {q!r} not declared" for q in query if q not in declared]
    body_params = [p for p in params if p.get("in") == "body"]
    if body is not None and body_params:
        schema = {**body_params[0]["schema"], "definitions": spec["definitions"]}
        for error in jsonschema.Draft4Validator(schema).iter_errors(body):
            found.append(f"{method} {path}: body {'/'.join(map(str, error.absolute_path))}: {error.message}")
    elif body is not None and not body_params:
        found.append(f"{method} {path}: sends a body but the spec declares none")
    return found


def check_log(log) -> list[str]:
    """Problems over a FakeGrafana request log (empty when the spec is absent: nothing to check against)."""
    if load_spec() is None:
        return []
    seen, out = set(), []
    for entry in log:
        for problem in problems(entry.method, entry.path, entry.query, entry.body):
            if problem not in seen:
                seen.add(problem)
                out.append(problem)
    return out
