"""The Grafana 12/13 personality of the Grafana-like test server: Kubernetes-style `/apis` for dashboards
and folders over the same store the legacy `/api` routes use.

Behaviour and its sources (../shared/corpus/grafana13/, ../shared/reference/grafana13.md):
- groups and versions: 13.x serves dashboard.grafana.app v1+v2 and folder.grafana.app v1; 12.2+ v1beta1/v2beta1
  and folder v1beta1 (grafana13.md section 2); discovery is the standard APIGroupList at GET /apis and
  getAPIResources at GET /apis/<group>/<version>/ (openapi_snapshots/dashboard.grafana.app-v2.json:8);
- paths /apis/<group>/<version>/namespaces/<ns>/<resource>[/<name>], ns `default` for org 1, `org-<id>`
  otherwise (grafana-docs/developers/http_api/apis.md:73-78);
- create POST -> 201, 409 if the name exists; PUT with metadata.resourceVersion, 409 when stale; DELETE ->
  Status; list with limit/continue (dashboard.md:465-469, 556-560, 633, 669, 706-758);
- ?dryRun=All runs everything and stores nothing, other values are 400 (dashboard.grafana.app-v2.json:170);
- v1 writes refuse a schemaVersion other than the latest, 42 (grafana13.md section 1, ValidateDashboardSpec);
- annotations grafana.app/folder, /message, /grant-permissions (create only, not stored), server-set
  createdBy/updatedBy/updatedTimestamp and the deprecatedInternalID label (facts.md section 2, meta.go:34-64);
- managers: a resource is managed when grafana.app/managerId is set; a write by another manager kind or id
  is 403 "Cannot change resource manager ..."; an unmanaged resource into a repo-managed folder is 403
  "folder is managed by repo:<name>, but the resource is not managed" (managed.go:97-115, 154-165);
- a dashboard stored as v2: 12.x's legacy GET answers 406, 13's a lossy classic conversion with
  meta.apiVersion (facts.md section 4); read through /apis v1 it carries status.conversion.storedVersion.
"""

from __future__ import annotations

import copy
import json
import re

SERVER_ANNOTATIONS = ("grafana.app/createdBy", "grafana.app/updatedBy", "grafana.app/updatedTimestamp")
MANAGER_KIND, MANAGER_ID = "grafana.app/managedBy", "grafana.app/managerId"
LATEST_SCHEMA_VERSION = 42


def versions_for(grafana_version: str) -> dict[str, list[str]]:
    """API group -> versions served, newest first ({} on 11.x: legacy only)."""
    major, minor = (int(p) for p in grafana_version.split(".")[:2])
    if major >= 13:
        return {"dashboard.grafana.app": ["v2", "v1", "v0alpha1"], "folder.grafana.app": ["v1"]}
    if major == 12 and minor >= 2:
        return {"dashboard.grafana.app": ["v2beta1", "v1beta1", "v0alpha1"], "folder.grafana.app": ["v1beta1"]}
    if major == 12:
        return {"dashboard.grafana.app": ["v2alpha1", "v1beta1", "v0alpha1"], "folder.grafana.app": ["v1beta1"]}
    return {}


def _status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


class ApisRoutes:
    """Mixed into FakeGrafana; uses its store (dashboards, folders), lock, ids and ApiError."""

    def apis_routes(self) -> list:
        ns = r"/namespaces/(?P<ns>[^/]+)"
        dash = r"/apis/dashboard\.grafana\.app/(?P<v>[^/]+)" + ns + r"/dashboards"
        fold = r"/apis/folder\.grafana\.app/(?P<v>[^/]+)" + ns + r"/folders"
        return [
            ("GET", r"/apis", self._apis_groups),
            ("GET", r"/apis/(?P<group>[^/]+)/(?P<v>[^/]+)/?", self._apis_resources),
            ("GET", dash, self._apis_list_dashboards),
            ("POST", dash, self._apis_create_dashboard),
            ("GET", dash + r"/(?P<name>[^/]+)", self._apis_get_dashboard),
            ("PUT", dash + r"/(?P<name>[^/]+)", self._apis_put_dashboard),
            ("DELETE", dash + r"/(?P<name>[^/]+)", self._apis_delete_dashboard),
            ("GET", fold, self._apis_list_folders),
            ("POST", fold, self._apis_create_folder),
            ("GET", fold + r"/(?P<name>[^/]+)", self._apis_get_folder),
            ("PUT", fold + r"/(?P<name>[^/]+)", self._apis_put_folder),
            ("DELETE", fold + r"/(?P<name>[^/]+)", self._apis_delete_folder),
        ]

    # ------------------------------------------------------------ discovery
    def _served(self, group: str, version: str) -> bool:
        return version in versions_for(self.version).get(group, [])

    def _apis_groups(self, **_):
        groups = [{"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                   "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]}}
                  for g, vs in versions_for(self.version).items()]
        return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def _apis_resources(self, group, v, **_):
        if not self._served(group, v):
            raise self.ApiError(404, "the server could not find the requested resource")
        name = "dashboards" if group.startswith("dashboard") else "folders"
        return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{v}",
                     "resources": [{"name": name, "namespaced": True, "kind": name[:-1].capitalize(),
                                    "verbs": ["create", "delete", "get", "list", "patch", "update"]}]}

    def _check(self, group: str, v: str, ns: str, query: dict | None = None) -> bool:
        """The version is served, the namespace is the org's; returns whether this is a dry run."""
        if not self._served(group, v):
            raise self.ApiError(404, "the server could not find the requested resource")
        if ns != "default":
            raise self.ApiError(403, f"namespace {ns} is not this org's")
        dry = (query or {}).get("dryRun", [""])[0]
        if dry not in ("", "All"):
            raise self.ApiError(400, f"invalid dryRun value {dry!r}; only All is accepted")
        return dry == "All"

    def _next_rv(self) -> int:
        self._rv = getattr(self, "_rv", 0) + 1
        return self._rv

    # ------------------------------------------------------------ managers and folders
    @staticmethod
    def _manager(annotations: dict) -> tuple[str, str] | None:
        if annotations.get(MANAGER_ID):
            return annotations.get(MANAGER_KIND, ""), annotations[MANAGER_ID]
        return None

    def _check_manager(self, current: dict | None, incoming: dict, folder_uid: str) -> None:
        """managed.go: the manager of a resource cannot change; a repo folder takes only repo resources."""
        new = self._manager(incoming)
        if current is not None:
            old = self._manager(current)
            if old and old != new:
                raise self.ApiError(403, f"Cannot change resource manager from {old[0]}:{old[1]}")
        folder = self.folders.get(folder_uid) if folder_uid else None
        if folder:
            owner = self._manager(folder.get("annotations") or {})
            if owner and owner[0] == "repo" and new != owner:
                raise self.ApiError(403, f"folder is managed by repo:{owner[1]}, but the resource is not managed")

    def _meta(self, name: str, entry: dict, labels: dict) -> dict:
        annotations = dict(entry.get("annotations") or {})
        annotations.update({"grafana.app/updatedBy": "service-account:fake",
                            "grafana.app/updatedTimestamp": "2026-11-25T00:00:00Z",
                            "grafana.app/createdBy": "service-account:fake"})
        return {"name": name, "namespace": "default", "uid": f"k8s-{name}", "resourceVersion": str(entry["rv"]),
                "generation": entry["rv"], "creationTimestamp": "2026-11-25T00:00:00Z",
                "labels": labels, "annotations": annotations}

    @staticmethod
    def _input_annotations(body: dict, create: bool) -> dict:
        metadata = body.get("metadata") or {}
        annotations = dict(metadata.get("annotations") or {})
        for key in SERVER_ANNOTATIONS:
            annotations.pop(key, None)
        grant = annotations.pop("grafana.app/grant-permissions", None)
        if grant is not None and (not create or grant != "default"):
            raise ValueError("grafana.app/grant-permissions is only valid on create, with the value default")
        return annotations

    def _object_body(self, kind: str, body, create: bool) -> tuple[str, dict, dict]:
        """name, spec and input annotations of a written object, or the 400 Grafana answers."""
        if not isinstance(body, dict) or body.get("kind") != kind or not isinstance(body.get("spec"), dict):
            raise self.ApiError(400, f"the body must be a {kind} object with a spec")
        name = (body.get("metadata") or {}).get("name") or ""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
            raise self.ApiError(400, f"invalid metadata.name {name!r}")
        try:
            annotations = self._input_annotations(body, create)
        except ValueError as exc:
            raise self.ApiError(400, str(exc)) from None
        return name, dict(body["spec"]), annotations

    # ------------------------------------------------------------ dashboards
    def _dashboard_object(self, v: str, name: str, entry: dict) -> dict:
        spec = copy.deepcopy(entry["dashboard"])
        for key in ("id", "uid") + (("version",) if v.startswith("v2") else ()):  # v2 specs have no version
            spec.pop(key, None)
        annotations = dict(entry.get("annotations") or {})
        if entry["folderUid"]:
            annotations["grafana.app/folder"] = entry["folderUid"]
        obj = {"kind": "Dashboard", "apiVersion": f"dashboard.grafana.app/{v}",
               "metadata": self._meta(name, {**entry, "annotations": annotations},
                                      {"grafana.app/deprecatedInternalID": str(entry["dashboard"].get("id", 0))}),
               "spec": spec, "status": {}}
        stored = entry.get("stored", "v1")
        if not v.startswith(stored[:2]):
            obj["status"] = {"conversion": {"failed": False, "storedVersion": stored}}
            if stored.startswith("v2") and v.startswith("v1"):
                obj["spec"] = _lossy(spec)
        return obj

    def _apis_list_dashboards(self, v, ns, query, **_):
        self._check("dashboard.grafana.app", v, ns)
        limit = int(query.get("limit", ["500"])[0])
        start = int(query.get("continue", ["0"])[0] or 0)
        names = sorted(self.dashboards)
        page = names[start:start + limit]
        more = start + limit < len(names)
        return 200, {"kind": "DashboardList", "apiVersion": f"dashboard.grafana.app/{v}",
                     "metadata": {"resourceVersion": str(getattr(self, "_rv", 0)),
                                  **({"continue": str(start + limit)} if more else {})},
                     "items": [self._dashboard_object(v, n, self.dashboards[n]) for n in page]}

    def _apis_get_dashboard(self, v, ns, name, **_):
        self._check("dashboard.grafana.app", v, ns)
        if name not in self.dashboards:
            raise self.ApiError(404, f'dashboards.dashboard.grafana.app "{name}" not found', reason="NotFound")
        return 200, self._dashboard_object(v, name, self.dashboards[name])

    def _dashboard_body(self, v: str, body: dict, create: bool) -> tuple[str, dict, dict, str]:
        name, spec, annotations = self._object_body("Dashboard", body, create)
        if v.startswith("v1"):
            if "elements" in spec or "layout" in spec:
                raise self.ApiError(400, "a v2 spec was sent to a v1 API")
            if spec.get("schemaVersion") != LATEST_SCHEMA_VERSION:
                raise self.ApiError(400, f"Schema version {spec.get('schemaVersion')} is not supported - please "
                                         f"upgrade to {LATEST_SCHEMA_VERSION}")
        if not str(spec.get("title") or "").strip():
            raise self.ApiError(400, "Dashboard title cannot be empty")
        folder = annotations.pop("grafana.app/folder", "")
        if folder and folder not in self.folders:
            raise self.ApiError(400, f"folder {folder} not found")
        return name, spec, annotations, folder

    def _apis_create_dashboard(self, v, ns, body, query, **_):
        dry = self._check("dashboard.grafana.app", v, ns, query)
        name, spec, annotations, folder = self._dashboard_body(v, body, create=True)
        if name in self.dashboards or name in self.folders:
            raise self.ApiError(409, f'dashboards.dashboard.grafana.app "{name}" already exists',
                                reason="AlreadyExists")
        self._check_manager(None, annotations, folder)
        entry = {"dashboard": {**spec, "uid": name, "id": self._id(), "version": 1}, "folderUid": folder,
                 "provisioned": False, "annotations": annotations, "stored": "v2" if v.startswith("v2") else "v1"}
        if dry:
            return 201, self._dashboard_object(v, name, {**entry, "rv": getattr(self, "_rv", 0) + 1})
        entry["rv"] = self._next_rv()
        self.dashboards[name] = entry
        return 201, self._dashboard_object(v, name, entry)

    def _apis_put_dashboard(self, v, ns, name, body, query, **_):
        dry = self._check("dashboard.grafana.app", v, ns, query)
        current = self.dashboards.get(name)
        if current is None:
            raise self.ApiError(404, f'dashboards.dashboard.grafana.app "{name}" not found', reason="NotFound")
        body_name, spec, annotations, folder = self._dashboard_body(v, body, create=False)
        if body_name != name:
            raise self.ApiError(400, "metadata.name does not match the URL")
        sent_rv = (body.get("metadata") or {}).get("resourceVersion")
        if sent_rv and sent_rv != str(current["rv"]):
            raise self.ApiError(409, f'Operation cannot be fulfilled on dashboards.dashboard.grafana.app "{name}": '
                                     "the object has been modified; please apply your changes to the latest "
                                     "version and try again", reason="Conflict")
        if current["provisioned"]:
            raise self.ApiError(403, "Cannot save provisioned dashboard")
        self._check_manager(current.get("annotations") or {}, annotations, folder)
        version = current["dashboard"].get("version", 1) + 1
        entry = {**current, "dashboard": {**spec, "uid": name, "id": current["dashboard"]["id"], "version": version},
                 "folderUid": folder, "annotations": annotations, "stored": "v2" if v.startswith("v2") else "v1"}
        if dry:
            return 200, self._dashboard_object(v, name, entry)
        entry["rv"] = self._next_rv()
        self.dashboards[name] = entry
        return 200, self._dashboard_object(v, name, entry)

    def _apis_delete_dashboard(self, v, ns, name, query, **_):
        dry = self._check("dashboard.grafana.app", v, ns, query)
        entry = self.dashboards.get(name)
        if entry is None:
            raise self.ApiError(404, f'dashboards.dashboard.grafana.app "{name}" not found', reason="NotFound")
        if entry["provisioned"] or self._manager(entry.get("annotations") or {}) not in (
                None, ("kubectl", "druppie-grafana")):
            raise self.ApiError(403, "the dashboard is managed by another manager")
        if not dry:
            del self.dashboards[name]
        return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "details": {"name": name}}

    # ------------------------------------------------------------ folders
    def _folder_object(self, v: str, folder: dict) -> dict:
        annotations = dict(folder.get("annotations") or {})
        if folder.get("parentUid"):
            annotations["grafana.app/folder"] = folder["parentUid"]
        return {"kind": "Folder", "apiVersion": f"folder.grafana.app/{v}",
                "metadata": self._meta(folder["uid"], {**folder, "annotations": annotations},
                                       {"grafana.app/deprecatedInternalID": str(folder["id"])}),
                "spec": {"title": folder["title"], **({"description": folder["description"]}
                                                      if folder.get("description") else {})}}

    def _apis_list_folders(self, v, ns, query, **_):
        self._check("folder.grafana.app", v, ns)
        limit = int(query.get("limit", ["500"])[0])
        start = int(query.get("continue", ["0"])[0] or 0)
        uids = sorted(self.folders)
        more = start + limit < len(uids)
        return 200, {"kind": "FolderList", "apiVersion": f"folder.grafana.app/{v}",
                     "metadata": {"resourceVersion": str(getattr(self, "_rv", 0)),
                                  **({"continue": str(start + limit)} if more else {})},
                     "items": [self._folder_object(v, self.folders[u]) for u in uids[start:start + limit]]}

    def _apis_get_folder(self, v, ns, name, **_):
        self._check("folder.grafana.app", v, ns)
        if name not in self.folders:
            raise self.ApiError(404, f'folders.folder.grafana.app "{name}" not found', reason="NotFound")
        return 200, self._folder_object(v, self.folders[name])

    def _folder_body(self, body: dict, create: bool) -> tuple[str, dict, dict, str]:
        name, spec, annotations = self._object_body("Folder", body, create)
        if not str(spec.get("title") or "").strip():
            raise self.ApiError(400, "folder title cannot be empty")
        parent = annotations.pop("grafana.app/folder", "")
        if parent and parent not in self.folders:
            raise self.ApiError(400, f"parent folder {parent} not found")
        return name, spec, annotations, parent

    def _apis_create_folder(self, v, ns, body, query, auth="", **_):
        dry = self._check("folder.grafana.app", v, ns, query)
        grant = ((body or {}).get("metadata") or {}).get("annotations", {}).get("grafana.app/grant-permissions")
        name, spec, annotations, parent = self._folder_body(body, create=True)
        if name in self.folders or name in self.dashboards:
            raise self.ApiError(409, f'folders.folder.grafana.app "{name}" already exists', reason="AlreadyExists")
        self._check_manager(None, annotations, parent)
        folder = {"id": self._id(), "uid": name, "title": spec["title"], "version": 1, "parentUid": parent,
                  "annotations": annotations}
        if spec.get("description"):
            folder["description"] = spec["description"]
        if dry:
            return 201, self._folder_object(v, {**folder, "rv": getattr(self, "_rv", 0) + 1})
        folder["rv"] = self._next_rv()
        self.folders[name] = folder
        # /apis seeds no permissions unless asked to (grafana13.md section 6)
        creator = self._caller(auth)
        self.folder_permissions[name] = ([{"userId": creator["id"], "permission": 4}] if creator else []) + [
            {"role": "Editor", "permission": 2}, {"role": "Viewer", "permission": 1}] if grant == "default" else []
        return 201, self._folder_object(v, folder)

    def _apis_put_folder(self, v, ns, name, body, query, **_):
        dry = self._check("folder.grafana.app", v, ns, query)
        current = self.folders.get(name)
        if current is None:
            raise self.ApiError(404, f'folders.folder.grafana.app "{name}" not found', reason="NotFound")
        body_name, spec, annotations, parent = self._folder_body(body, create=False)
        if body_name != name:
            raise self.ApiError(400, "metadata.name does not match the URL")
        sent_rv = (body.get("metadata") or {}).get("resourceVersion")
        if sent_rv and sent_rv != str(current.get("rv", 0)):
            raise self.ApiError(409, f'Operation cannot be fulfilled on folders.folder.grafana.app "{name}": the '
                                     "object has been modified", reason="Conflict")
        self._check_manager(current.get("annotations") or {}, annotations, "")
        updated = {**current, "title": spec["title"], "parentUid": parent, "annotations": annotations,
                   "version": current["version"] + 1}
        if dry:
            return 200, self._folder_object(v, updated)
        updated["rv"] = self._next_rv()
        self.folders[name] = updated
        return 200, self._folder_object(v, updated)

    def _apis_delete_folder(self, v, ns, name, query, **_):
        dry = self._check("folder.grafana.app", v, ns, query)
        if name not in self.folders:
            raise self.ApiError(404, f'folders.folder.grafana.app "{name}" not found', reason="NotFound")
        if not dry:
            for uid in [u for u, d in self.dashboards.items() if d["folderUid"] == name]:
                del self.dashboards[uid]
            del self.folders[name]
        return 200, {"kind": "Status", "apiVersion": "v1", "status": "Success", "details": {"name": name}}

    # ------------------------------------------------------------ what a person does in a 13 UI
    def save_as_v2(self, uid: str) -> None:
        """A UI save of a dynamic dashboard: stored as v2 from now on (its layout cannot be v1)."""
        with self.lock:
            entry = self.dashboards[uid]
            entry["stored"] = "v2"
            entry["dashboard"]["version"] = entry["dashboard"].get("version", 1) + 1
            entry["rv"] = self._next_rv()

    def set_manager(self, kind: str, uid: str, manager: str, identity: str) -> None:
        """Mark a dashboard or folder as managed by another tool (Git Sync 'repo', terraform, kubectl ...)."""
        with self.lock:
            entry = self.dashboards[uid] if kind == "dashboard" else self.folders[uid]
            entry.setdefault("annotations", {}).update({MANAGER_KIND: manager, MANAGER_ID: identity})
            entry["rv"] = self._next_rv()


def _lossy(spec: dict) -> dict:
    """What a v2 -> v1 conversion loses (repeats, tabs): here, every panel's repeat and the row layout."""
    out = json.loads(json.dumps(spec))
    for panel in out.get("panels") or []:
        panel.pop("repeat", None)
        panel.pop("collapsed", None)
    out["panels"] = [p for p in out.get("panels") or [] if p.get("type") != "row"]
    return out
