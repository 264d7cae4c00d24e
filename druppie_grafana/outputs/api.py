"""The HTTP API form of each resource, as files: what `apply` sends, with credentials as references."""

from __future__ import annotations

from typing import Iterable

from ..correlations import api_body
from ..resources import Resource
from ..serialize import dump_json

DIRECTORY = {"Folder": "folders", "Datasource": "datasources", "Dashboard": "dashboards"}


def api_files(resources: Iterable[Resource]) -> dict[str, str]:
    files = {}
    for res in resources:
        body = {"kind": res.kind, "uid": res.uid, "folder": res.folder, "spec": res.spec}
        files[f"api/{DIRECTORY[res.kind]}/{res.uid}.json"] = dump_json(body)
        if res.correlations:
            # One POST /api/datasources/uid/<sourceUID>/correlations per entry. `apply` does not send them
            # yet; file provisioning creates them (read-only in the API: provisioned: true).
            files[f"api/correlations/{res.uid}.json"] = dump_json(
                {"sourceUID": res.uid, "correlations": [api_body(c) for c in res.correlations]})
    return files
