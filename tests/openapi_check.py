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


def problems(method: str, path: str, query: dict, body) -> list[str]:
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
