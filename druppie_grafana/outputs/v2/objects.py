"""The Kubernetes-style dashboard object Grafana 13 takes at /apis/dashboard.grafana.app/v2, through
the legacy POST with an object wrapper and from its file provisioning (grafana13.md section 3,
facts.md sections 4 and 7): apiVersion, kind, metadata.name = uid, the folder as an annotation, and
a spec without id, uid or version."""

from __future__ import annotations

from ...resources import Resource
from .convert import to_v2_spec

API_VERSION = "dashboard.grafana.app/v2"
FOLDER_ANNOTATION = "grafana.app/folder"


def dashboard_object(resource: Resource) -> dict:
    """The full v2 object of a built dashboard resource (its spec is classic JSON)."""
    metadata: dict = {"name": resource.uid}
    if resource.folder:
        metadata["annotations"] = {FOLDER_ANNOTATION: resource.folder}
    return {"apiVersion": API_VERSION, "kind": "Dashboard", "metadata": metadata, "spec": to_v2_spec(resource.spec)}
