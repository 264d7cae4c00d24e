"""What the Grafana we talk to is: its version (GET /api/health) and which Kubernetes-style API versions
it serves (GET /apis, the standard APIGroupList), so each kind goes through the API that server supports.

Dashboards and folders go through /apis where a version that takes our classic dashboard JSON is served
(dashboard.grafana.app v1 on 13.x, v1beta1 on 12.x; folder.grafana.app v1 / v1beta1: grafana13.md
section 2); everything else, and every kind on 11.x, through the legacy /api. Datasources, folder
permissions and teams have no default /apis replacement on 13 (grafana13.md sections 4 and 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..resources import DASHBOARD, DATASOURCE, FOLDER
from .client import GrafanaClient, NotFound, UnexpectedAnswer

GROUPS = {DASHBOARD: "dashboard.grafana.app", FOLDER: "folder.grafana.app"}
# newest first; v2 dashboards (schema v2) are a different spec, not a newer transport for ours
PREFERRED = {DASHBOARD: ("v1", "v1beta1"), FOLDER: ("v1", "v1beta1")}
LEGACY = "/api"


@dataclass(frozen=True)
class Server:
    version: str  # "13.0.2"; "" when /api/health did not say
    apis: Mapping[str, str] = field(default_factory=dict)  # kind -> /apis version used; absent: legacy
    namespace: str = "default"
    served: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # group -> every version served

    def api_of(self, kind: str, handlers=None) -> str:
        """Where a kind goes, for people: '/apis/dashboard.grafana.app/v1' or '/api (legacy)'."""
        version = getattr((handlers or {}).get(kind), "version", None) or self.apis.get(kind)
        if version:
            return f"/apis/{GROUPS[kind]}/{version}"
        return f"{LEGACY} (legacy)"

    def describe(self, handlers=None) -> str:
        kinds = ", ".join(f"{k.lower()}s {self.api_of(k, handlers)}" for k in (FOLDER, DASHBOARD, DATASOURCE))
        return f"Grafana {self.version or '(version unknown)'}: {kinds}, permissions {LEGACY} (legacy)"


def namespace_for(org_id: int) -> str:
    """The /apis namespace of an org: `default` for org 1, `org-<id>` otherwise (apis.md:73-78)."""
    return "default" if org_id == 1 else f"org-{org_id}"


def discover(client: GrafanaClient) -> Server:
    """Ask the server; a server without /apis (or an answer that is not an APIGroupList) is legacy-only."""
    health = client.get("/health", expect=dict)
    version = str(health.get("version") or "")
    namespace = namespace_for(client.settings.org_id)
    try:
        listing = client.get("/apis", expect=dict)
    except (NotFound, UnexpectedAnswer):  # no Kubernetes-style API here: 11.x or a proxy that hides it
        return Server(version, {}, namespace)
    served: dict[str, tuple[str, ...]] = {}
    for group in listing.get("groups") or []:
        if isinstance(group, dict) and isinstance(group.get("name"), str):
            served[group["name"]] = tuple(str(v.get("version")) for v in group.get("versions") or []
                                          if isinstance(v, dict))
    apis = {}
    for kind, group in GROUPS.items():
        chosen = next((v for v in PREFERRED[kind] if v in served.get(group, ())), None)
        if chosen:
            apis[kind] = chosen
    return Server(version, apis, namespace, served)


def legacy_only(version: str = "") -> Server:
    return Server(version, {})
