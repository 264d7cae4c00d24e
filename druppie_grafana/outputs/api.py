"""The HTTP API form of each resource, as files: what `apply` sends, with credentials as references."""

from __future__ import annotations

from typing import Iterable

from ..correlations import api_body
from ..environments import Environment
from ..resources import DASHBOARD, Resource
from ..serialize import dump_json
from .dashboard_form import dashboard_document

DIRECTORY = {"Folder": "folders", "Datasource": "datasources", "Dashboard": "dashboards"}


def api_files(resources: Iterable[Resource], env: Environment) -> dict[str, str]:
    """A v2 environment's dashboards are the dashboard.grafana.app/v2 object /apis takes, folder as
    its grafana.app/folder annotation; everything else is {kind, uid, folder, spec}."""
    files = {}
    for res in resources:
        if res.kind == DASHBOARD and env.dashboards_schema == "v2":
            body = dashboard_document(res, env)
        else:
            body = {"kind": res.kind, "uid": res.uid, "folder": res.folder, "spec": res.spec}
        files[f"api/{DIRECTORY[res.kind]}/{res.uid}.json"] = dump_json(body)
        if res.correlations:
            # One POST /api/datasources/uid/<sourceUID>/correlations per entry. `apply` does not send them
            # yet; file provisioning creates them (read-only in the API: provisioned: true).
            files[f"api/correlations/{res.uid}.json"] = dump_json(
                {"sourceUID": res.uid, "correlations": [api_body(c) for c in res.correlations]})
    return files
