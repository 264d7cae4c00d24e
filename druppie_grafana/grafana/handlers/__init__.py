"""One handler per kind, in the order they are applied (folders before the dashboards inside them).

Which handler serves a kind depends on the server (discovery): the legacy /api everywhere on 11.x;
dashboards and folders as Kubernetes-style objects on 12/13's /apis. Both produce the same comparable
forms, so plan and apply are written once.
"""

from __future__ import annotations

from ...environments import schema_version_for
from ..discovery import Server
from .apis import ApisDashboardHandler, ApisFolderHandler, ApisV2DashboardHandler
from .base import (EDITED, LEGACY, NOT_OURS, OTHER, OURS, OWNER, Handler, Remote, Stamp, content_hash, mask_secrets,
                   scrub)
from .dashboards import DashboardHandler
from .datasources import DatasourceHandler
from .folders import FolderHandler
from ...resources import DASHBOARD, FOLDER

HANDLERS: dict[str, Handler] = {h.kind: h for h in (FolderHandler(), DatasourceHandler(), DashboardHandler())}


V2_VERSIONS = ("v2", "v2beta1")  # newest first; 12.0/12.1's v2alpha1 is not taken (grafana13.md section 2)


def handlers_for(server: Server | None, dashboard_schema: str = "v1") -> dict[str, Handler]:
    """The handler of each kind for this server (legacy ones when nothing was discovered). With
    dashboard_schema v2, dashboards go to dashboard.grafana.app/v2 (or v2beta1) as dynamic dashboards."""
    if server is None or not server.apis:
        return dict(HANDLERS)
    out = dict(HANDLERS)
    if FOLDER in server.apis:
        out[FOLDER] = ApisFolderHandler(server.apis[FOLDER], server.namespace)
    served_v2 = [v for v in V2_VERSIONS if v in server.served.get("dashboard.grafana.app", ())]
    if dashboard_schema == "v2" and served_v2:
        out[DASHBOARD] = ApisV2DashboardHandler(served_v2[0], server.namespace)
    elif DASHBOARD in server.apis:
        version = server.apis[DASHBOARD]
        # v1 (13.x) refuses any schemaVersion but the server's latest; the beta versions do not check
        latest = schema_version_for(server.version) if version == "v1" and server.version else None
        out[DASHBOARD] = ApisDashboardHandler(version, server.namespace, latest_schema=latest)
    return out


__all__ = ["EDITED", "HANDLERS", "LEGACY", "NOT_OURS", "OTHER", "OURS", "OWNER", "Handler", "Remote", "Stamp",
           "content_hash", "handlers_for", "mask_secrets", "scrub"]
