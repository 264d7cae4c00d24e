"""Grafana's file-provisioning layout: datasource YAML, dashboard provider YAML, dashboard JSON.

Grafana expands $VAR and ${VAR} in every string value of a provisioning YAML file and turns $$ into
a literal $. So Grafana's own ${__value.raw}, $__tags and the like are written as $$..., while
credential references are written as the single-$ references Grafana must expand.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..environments import Environment
from ..resources import DASHBOARD, DATASOURCE, Resource
from ..secrets import SecretRef
from ..serialize import dump_json, dump_yaml
from .dashboard_form import dashboard_document

PROVIDER_NAME = "druppie"


def escape_dollars(value: Any) -> Any:
    """The provisioning-YAML spelling of an API-form value: every literal $ doubled, secrets as references."""
    if isinstance(value, SecretRef):
        return value.provisioning_text()
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_dollars(v) for v in value]
    return value


def datasource_entry(resource: Resource, env: Environment) -> dict[str, Any]:
    spec = dict(resource.spec)
    entry: dict[str, Any] = {
        "name": spec.pop("name"),
        "type": spec.pop("type"),
        "uid": spec.pop("uid"),
        "orgId": env.org_id,
    }
    entry.update(spec)
    if resource.correlations:  # Explore links from this datasource; ${field} in them is written $${field}
        entry["correlations"] = list(resource.correlations)
    entry["editable"] = env.editable_datasources
    return escape_dollars(entry)


def datasource_file(resource: Resource, env: Environment) -> str:
    return dump_yaml({"apiVersion": 1, "datasources": [datasource_entry(resource, env)]})


def dashboard_folder_path(env: Environment, folder_uid: str) -> str:
    return f"{env.dashboards_path.rstrip('/')}/{folder_uid}"


def provider_file(env: Environment, folders: dict[str, str]) -> str:
    """One file provider per folder (uid -> title), each reading its own directory."""
    providers = [{
        "name": f"{PROVIDER_NAME}-{uid}",
        "orgId": env.org_id,
        "folder": title,
        "folderUid": uid,
        "type": "file",
        "disableDeletion": False,
        "allowUiUpdates": False,
        "updateIntervalSeconds": 30,
        "options": {"path": dashboard_folder_path(env, uid), "foldersFromFilesStructure": False},
    } for uid, title in sorted(folders.items())]
    return dump_yaml(escape_dollars({"apiVersion": 1, "providers": providers}))


def provisioning_files(resources: Iterable[Resource], env: Environment) -> dict[str, str]:
    """Relative path -> text of every provisioning file for these resources."""
    resources = list(resources)
    files: dict[str, str] = {}
    folders = {env.folder_uid: env.folder_title}
    for res in resources:
        if res.kind == DATASOURCE:
            files[f"provisioning/datasources/{res.uid}.yaml"] = datasource_file(res, env)
        elif res.kind == DASHBOARD:
            # Dashboard JSON is not env-interpolated by Grafana: written as the API form (classic JSON,
            # or in a v2 environment the wrapped v2 object; the provider, not the file, names the folder).
            folders.setdefault(res.folder or env.folder_uid, res.folder or env.folder_title)
            files[f"provisioning/dashboards/{PROVIDER_NAME}/{res.folder or env.folder_uid}/{res.uid}.json"] = dump_json(
                dashboard_document(res, env, with_folder=False))
    files[f"provisioning/dashboards/{PROVIDER_NAME}.yaml"] = provider_file(env, folders)
    return files
