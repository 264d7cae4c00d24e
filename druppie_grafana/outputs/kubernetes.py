"""Kubernetes objects for the Grafana Helm chart's sidecars: dashboards as ConfigMaps, datasources as a
Secret (or ConfigMap), and a kustomization.yaml, all in the environment's namespace.

The sidecar copies each data key into Grafana's provisioning folders unchanged, so the datasource
files are exactly the provisioning YAML (credentials as ${VAR} references Grafana expands, literal $
doubled) and the dashboard files exactly the provisioning JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Iterable

from ..environments import Environment
from ..errors import InputError, Problem
from ..resources import DASHBOARD, DATASOURCE, FOLDER, Resource
from ..secrets import SecretRef
from ..serialize import dump_json, dump_yaml
from .dashboard_form import dashboard_document
from .provisioning import datasource_file

DIRECTORY = "k8s"
DASHBOARD_LABEL = "grafana_dashboard"
DATASOURCE_LABEL = "grafana_datasource"
LABEL_VALUE = "1"
# The sidecar puts a dashboard into the sub-folder this annotation names; with the chart's
# provider.foldersFromFilesStructure Grafana turns that sub-folder into a folder of that title.
FOLDER_ANNOTATION = "grafana_folder"
MANAGED_BY = {"app.kubernetes.io/managed-by": "druppie-grafana"}

# `kubectl apply` (client side) stores the whole object as JSON in this annotation, and the API server
# refuses an object whose annotations total more than 256 KiB (TotalAnnotationSizeLimitB).
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
ANNOTATION_LIMIT = 262_144

_NAME_UNSAFE = re.compile(r"[^a-z0-9-]+")


def object_name(prefix: str, uid: str) -> str:
    """A DNS-1123 name for uid. Grafana uids allow capitals and _, Kubernetes names do not; when the
    uid had to change, a short hash of it keeps two uids that differ only there apart."""
    safe = _NAME_UNSAFE.sub("-", uid.lower()).strip("-") or "x"
    if safe != uid:
        safe = f"{safe}-{hashlib.sha256(uid.encode()).hexdigest()[:6]}"
    return f"{prefix}-{safe}"[:253].rstrip("-")


def _go_json_length(text: str) -> int:
    """Bytes Go's encoding/json writes for a string Python's json wrote with ensure_ascii=False:
    Go escapes <, > and & as \\u003c (+5 bytes each) and U+2028/U+2029 (+3 bytes each)."""
    extra = 5 * sum(text.count(c) for c in "<>&") + 3 * (text.count("\u2028") + text.count("\u2029"))
    return len(text.encode("utf-8")) + extra


def last_applied_size(obj: dict[str, Any]) -> int:
    """Total annotation bytes the object has after `kubectl apply`: its own annotations plus the
    last-applied annotation holding the object as compact JSON with a trailing newline (kubectl
    writes an empty "annotations":{} into that JSON when the object has none)."""
    metadata = obj.get("metadata", {})
    if "annotations" not in metadata:
        obj = {**obj, "metadata": {**metadata, "annotations": {}}}
    compact = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    own = metadata.get("annotations", {})
    own_size = sum(len(k.encode()) + len(str(v).encode()) for k, v in own.items())
    return own_size + len(LAST_APPLIED_ANNOTATION) + _go_json_length(compact) + 1


def _metadata(name: str, env: Environment, labels: dict[str, str],
              annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": env.k8s_namespace,
                            "labels": {**labels, **MANAGED_BY}}
    if annotations:
        meta["annotations"] = annotations
    return meta


def _too_big(what: str, source: str, size: int) -> Problem:
    return Problem(source, what,
                   f"is {size:,} bytes as kubectl apply's last-applied annotation; the limit is {ANNOTATION_LIMIT:,}",
                   "make the dashboard smaller (split it into several dashboards, drop unused panels or "
                   "inline data), or deploy it with `kubectl apply --server-side`, which stores no such annotation")


# ---- dashboards -----------------------------------------------------------------------------

def dashboard_configmap(resource: Resource, env: Environment, folder_title: str) -> dict[str, Any]:
    """One ConfigMap per dashboard, as the chart's README advises, holding what the provisioning file
    holds (the v2 object in a v2 environment). Indented JSON when it fits,
    compact JSON when only that fits; a dashboard that fits neither way is an error."""
    name = object_name("grafana-dashboard", resource.uid)
    metadata = _metadata(name, env, {DASHBOARD_LABEL: LABEL_VALUE}, {FOLDER_ANNOTATION: folder_title})
    key = f"{resource.uid}.json"
    size = 0
    document = dashboard_document(resource, env, with_folder=False)  # the provisioning file's content
    for text in (dump_json(document), json.dumps(document, separators=(",", ":"),
                                                      sort_keys=True, ensure_ascii=False) + "\n"):
        obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {key: text}}
        size = last_applied_size(obj)
        if size <= ANNOTATION_LIMIT:
            return obj
    raise InputError([_too_big(f"dashboard {resource.uid} (ConfigMap {env.k8s_namespace}/{name})",
                               resource.source, size)])


# ---- datasources ----------------------------------------------------------------------------

def _holds_secret(value: Any) -> bool:
    if isinstance(value, SecretRef):
        return True
    if isinstance(value, dict):
        return any(_holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


def _datasource_object(name: str, env: Environment, secret: bool, entries: dict[str, str]) -> dict[str, Any]:
    metadata = _metadata(name, env, {DATASOURCE_LABEL: LABEL_VALUE})
    if secret:
        # stringData: the text stays readable in review; it holds ${VAR} references, never values.
        return {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque",
                "stringData": entries}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": entries}


def datasource_objects(resources: list[Resource], env: Environment) -> list[dict[str, Any]]:
    """The datasource files in as few objects as fit under the annotation limit (usually one).

    A Secret when any datasource carries a credential reference, so whoever adds a literal later
    does not put it into a ConfigMap; a ConfigMap otherwise.
    """
    if not resources:
        return []
    secret = any(_holds_secret(r.spec) for r in resources)

    def name(index: int) -> str:
        return "grafana-datasources" if index == 0 else f"grafana-datasources-{index + 1}"

    groups: list[dict[str, str]] = [{}]
    for res in resources:
        key, text = f"{res.uid}.yaml", datasource_file(res, env)
        alone = last_applied_size(_datasource_object(name(len(groups)), env, secret, {key: text}))
        if alone > ANNOTATION_LIMIT:
            raise InputError([Problem(res.source, f"datasource {res.uid}",
                                      f"its provisioning file alone is {alone:,} bytes as kubectl apply's "
                                      f"last-applied annotation; the limit is {ANNOTATION_LIMIT:,}",
                                      "shorten the datasource's jsonData (queries, derived fields)")])
        trial = _datasource_object(name(len(groups) - 1), env, secret, {**groups[-1], key: text})
        if groups[-1] and last_applied_size(trial) > ANNOTATION_LIMIT:
            groups.append({})  # split: this file starts the next object
        groups[-1][key] = text
    return [_datasource_object(name(i), env, secret, group) for i, group in enumerate(groups)]


# ---- the whole directory --------------------------------------------------------------------

def _file_name(obj: dict[str, Any]) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def kubernetes_objects(resources: Iterable[Resource], env: Environment) -> list[dict[str, Any]]:
    resources = list(resources)
    titles = {r.uid: r.title for r in resources if r.kind == FOLDER}
    titles.setdefault(env.folder_uid, env.folder_title)
    objects = datasource_objects([r for r in resources if r.kind == DATASOURCE], env)
    problems: list[Problem] = []
    owners: dict[str, Resource] = {}
    for res in (r for r in resources if r.kind == DASHBOARD):
        folder = res.folder or env.folder_uid
        try:
            obj = dashboard_configmap(res, env, titles.get(folder, folder))
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        other = owners.setdefault(obj["metadata"]["name"], res)
        if other is not res:  # e.g. uid "a-1b2c3d" against the hashed name of uid "A"
            problems.append(Problem(res.source, f"dashboard {res.uid}",
                                    f"its ConfigMap name {obj['metadata']['name']} is also that of dashboard {other.uid}",
                                    "give the dashboard another uid"))
        objects.append(obj)
    if problems:
        raise InputError(problems)
    return objects


def kustomization(env: Environment, files: list[str]) -> dict[str, Any]:
    return {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
            "namespace": env.k8s_namespace, "resources": files}


def kubernetes_files(resources: Iterable[Resource], env: Environment) -> dict[str, str]:
    """Relative path -> YAML text of every object, plus kustomization.yaml listing them."""
    files = {f"{DIRECTORY}/{_file_name(obj)}": dump_yaml(obj) for obj in kubernetes_objects(resources, env)}
    names = sorted(path.split("/", 1)[1] for path in files)
    files[f"{DIRECTORY}/kustomization.yaml"] = dump_yaml(kustomization(env, names))
    return files
