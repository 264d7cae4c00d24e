"""The HTTP API form of each resource, as files: what `apply` sends, with credentials as references."""

from __future__ import annotations

from typing import Iterable

from ..resources import Resource
from ..serialize import dump_json

DIRECTORY = {"Folder": "folders", "Datasource": "datasources", "Dashboard": "dashboards"}


def api_files(resources: Iterable[Resource]) -> dict[str, str]:
    files = {}
    for res in resources:
        body = {"kind": res.kind, "uid": res.uid, "folder": res.folder, "spec": res.spec}
        files[f"api/{DIRECTORY[res.kind]}/{res.uid}.json"] = dump_json(body)
    return files
