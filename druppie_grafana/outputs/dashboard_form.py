"""The document a dashboard is written as, per the environment's dashboards.schema: the classic JSON
(v1), or the Kubernetes-style dashboard.grafana.app/v2 object (v2). One place, so the provisioning
file, the ConfigMap and the API form carry the same conversion.

Grafana 13's classic file provider refuses a bare v2 spec ("dashboard appears to be in v2 format ...
it should include a object wrapper with an explicit 'apiVersion' and move the body into a 'spec'
element", grafana/grafana#122663, PR #118665; ../shared/corpus/grafana13/facts.md sections 4 and 7),
so v2 is always written as the whole object. Resources stay classic JSON inside the tool: the
validate gate and plan/apply's v1 path read them before any conversion."""

from __future__ import annotations

from ..environments import Environment
from ..errors import InputError, Problem
from ..resources import Resource
from .v2 import ConversionRefused, dashboard_object


def dashboard_document(resource: Resource, env: Environment, with_folder: bool = True) -> dict:
    """Classic JSON for a v1 environment; the v2 object for a v2 one (with the grafana.app/folder
    annotation unless with_folder is False: a file provider decides the folder itself)."""
    if env.dashboards_schema != "v2":
        return resource.spec
    try:
        obj = dashboard_object(resource)
    except ConversionRefused as exc:
        raise InputError([Problem(resource.source, exc.path, str(exc),
                                  f"change the dashboard, or set dashboards.schema: v1 for environment {env.name}")]) from None
    if not with_folder:
        obj["metadata"].pop("annotations", None)
    return obj
