"""Dashboards and folders as Kubernetes-style objects on Grafana 12/13's /apis.

Same comparable forms as the legacy handlers (one comparison mechanism for both API generations); what
differs is the envelope: `metadata.name` is the uid, the folder is the `grafana.app/folder` annotation,
our owner and stamp are annotations (never spec keys, which a UI save drops), Grafana's manager
annotations say that druppie-grafana manages the object, and `metadata.resourceVersion` guards every
update (409 when someone changed it). Sources: ../shared/corpus/grafana13/facts.md sections 1-2,
openapi_snapshots/dashboard.grafana.app-v2.json and folder.grafana.app-v1.json.
"""

from __future__ import annotations

from typing import Any, Mapping

from ...resources import DASHBOARD, FOLDER, Resource
from ...serialize import plain
from ..client import GrafanaClient, GrafanaError, NotFound, UnexpectedAnswer
from .base import Handler, Remote, Stamp, checked_uids
from .dashboards import SERVER_FIELDS, _comparable
from .folders import FolderHandler
from ...outputs.v2 import ConversionRefused, to_v2_spec, to_v2beta1_spec
from ...outputs.v2.normalise import normalise_spec

OWNER_ANNOTATION = "druppie-grafana/owner"
HASH_ANNOTATION = "druppie-grafana/applied-hash"
# Grafana's manager properties (pkg/apimachinery/utils/meta.go:51-54, manager.go:29-48): `kubectl` is the
# kind for a generic API client; the id names us, so Grafana's UI shows who manages the object.
MANAGER_KIND, MANAGER_ID, MANAGER_EDITS = "grafana.app/managedBy", "grafana.app/managerId", "grafana.app/managerAllowsEdits"
OUR_MANAGER = ("kubectl", "druppie-grafana")
FOLDER_ANNOTATION, MESSAGE_ANNOTATION = "grafana.app/folder", "grafana.app/message"
GRANT_ANNOTATION = "grafana.app/grant-permissions"  # create only: without it the creator may not even read it
LIST_PAGE = 500
MAX_LIST_PAGES = 200


def manager_of(annotations: Mapping[str, Any]) -> str:
    """'kind:id' of another manager (Git Sync 'repo', terraform, kubectl ...), or '' for none or us.
    A resource is managed only when managerId is set (meta.go:750-767)."""
    identity = annotations.get(MANAGER_ID)
    if not isinstance(identity, str) or not identity:
        return ""
    kind = str(annotations.get(MANAGER_KIND) or "")
    return "" if (kind, identity) == OUR_MANAGER else f"{kind or 'unknown'}:{identity}"


class ApisObjects:
    """The envelope shared by both kinds: paths, reading objects and lists, writing with our annotations."""

    group = ""
    resource = ""
    object_kind = ""

    def __init__(self, version: str, namespace: str = "default"):
        self.version, self.namespace = version, namespace
        self._listing: dict[str, dict] | None = None

    @property
    def base(self) -> str:
        return f"/apis/{self.group}/{self.version}/namespaces/{self.namespace}/{self.resource}"

    def _object(self, client: GrafanaClient, uid: str) -> dict | None:
        try:
            obj = client.get(f"{self.base}/{uid}", expect=dict)
        except NotFound:
            return None
        self._check_shape(obj, f"{self.base}/{uid}")
        return obj

    def _check_shape(self, obj: Any, path: str) -> None:
        if not (isinstance(obj, dict) and isinstance(obj.get("metadata"), dict) and isinstance(obj.get("spec"), dict)):
            raise UnexpectedAnswer(f"GET {path}: Grafana's answer is not a {self.object_kind} object "
                                   "(metadata and spec); is grafana.url pointing at Grafana?", method="GET",
                                   path=path, status=200)

    def list_all(self, client: GrafanaClient) -> dict[str, dict]:
        """Every object by name, read with list calls (pages of LIST_PAGE): one call per page, not per object."""
        if self._listing is not None:
            return self._listing
        out: dict[str, dict] = {}
        token = ""
        for _ in range(MAX_LIST_PAGES):
            params = {"limit": LIST_PAGE, **({"continue": token} if token else {})}
            page = client.get(self.base, params=params, expect=dict)
            items = page.get("items")
            if not isinstance(items, list):
                raise UnexpectedAnswer(f"GET {self.base}: the list has no items; is grafana.url pointing at Grafana?",
                                       method="GET", path=self.base, status=200)
            for obj in items:
                self._check_shape(obj, self.base)
            names = checked_uids([obj["metadata"] for obj in items], self.base, key="name")
            out.update((name, obj) for (name, _), obj in zip(names, items))
            token = (page.get("metadata") or {}).get("continue") or ""
            if not token:
                self._listing = out
                return out
        raise GrafanaError(f"GET {self.base}: more than {MAX_LIST_PAGES} pages; refusing to list further",
                           method="GET", path=self.base, status=200)

    @staticmethod
    def annotations(obj: dict) -> dict:
        value = obj["metadata"].get("annotations")
        return value if isinstance(value, dict) else {}

    def _write(self, client: GrafanaClient, uid: str, spec: dict, annotations: dict, stamp: Stamp,
               resource_version: str | None, create: bool, dry_run: bool = False) -> Any:
        annotations = {**annotations, OWNER_ANNOTATION: stamp.owner, HASH_ANNOTATION: stamp.hash,
                       MANAGER_KIND: OUR_MANAGER[0], MANAGER_ID: OUR_MANAGER[1], MANAGER_EDITS: "true",
                       MESSAGE_ANNOTATION: f"applied by druppie-grafana for {stamp.owner} ({stamp.hash})"}
        if create:
            annotations[GRANT_ANNOTATION] = "default"  # as the legacy API does; then access is applied
        metadata: dict[str, Any] = {"name": uid, "annotations": annotations}
        if resource_version:
            metadata["resourceVersion"] = resource_version  # 409 if someone changed it since we read it
        body = {"apiVersion": f"{self.group}/{self.version}", "kind": self.object_kind, "metadata": metadata,
                "spec": spec}
        suffix = "?dryRun=All" if dry_run else ""
        if create:
            return client.post(f"{self.base}{suffix}", body)
        return client.put(f"{self.base}/{uid}{suffix}", body)

    def _delete(self, client: GrafanaClient, uid: str) -> None:
        client.delete(f"{self.base}/{uid}")

    # Writes of both kinds: the kind's _spec(res) gives (spec, annotations); a folder's parent is an
    # annotation, so a changed parent converges with the same write.
    def create(self, client: GrafanaClient, res: Resource, stamp: Stamp, environ: Mapping[str, str]) -> None:
        self._write(client, res.uid, *self._spec(res), stamp, None, create=True)

    def update(self, client, res, remote, stamp, force, environ) -> None:
        # the resourceVersion read: Grafana answers 409 if someone saved it since (unless --force)
        self._write(client, res.uid, *self._spec(res), stamp, None if force else remote.version, create=False)

    def dry_run(self, client: GrafanaClient, res: Resource, stamp: Stamp, remote: Remote | None) -> None:
        self._write(client, res.uid, *self._spec(res), stamp, remote.version if remote else None,
                    create=remote is None, dry_run=True)


class ApisDashboardHandler(ApisObjects, Handler):
    kind = DASHBOARD
    group, resource, object_kind = "dashboard.grafana.app", "dashboards", "Dashboard"

    def __init__(self, version: str, namespace: str = "default", latest_schema: int | None = None):
        super().__init__(version, namespace)
        self.latest_schema = latest_schema  # v1 writes refuse any other schemaVersion (grafana13.md section 1)

    def desired(self, res: Resource) -> dict:
        return _comparable({**plain(res.spec), "uid": res.uid}, res.folder or "")

    def refusal(self, res: Resource) -> str:
        sent = plain(res.spec).get("schemaVersion")
        if self.latest_schema and sent != self.latest_schema:
            return (f"dashboard.grafana.app/{self.version} accepts only schemaVersion {self.latest_schema}, and this "
                    f"dashboard is built with {sent}: set grafana.version in environments.yaml to the server's "
                    "release (or auto)")
        return ""

    def remote(self, uid: str, obj: dict) -> Remote:
        annotations = self.annotations(obj)
        spec = {k: v for k, v in obj["spec"].items() if k not in SERVER_FIELDS and k != "uid"}
        stored = str(((obj.get("status") or {}).get("conversion") or {}).get("storedVersion") or "")
        return Remote(uid=uid, raw=obj, comparable=_comparable({**spec, "uid": uid}, str(annotations.get(FOLDER_ANNOTATION) or "")),
                      version=obj["metadata"].get("resourceVersion"),
                      owner_mark=_text(annotations.get(OWNER_ANNOTATION)),
                      recorded_hash=_text(annotations.get(HASH_ANNOTATION)),
                      manager=manager_of(annotations), stored_as="v2" if stored.startswith("v2") else "",
                      title=str(obj["spec"].get("title", "")))

    def read(self, client: GrafanaClient, uid: str) -> Remote | None:
        obj = self._object(client, uid)
        return None if obj is None else self.remote(uid, obj)

    def read_all(self, client: GrafanaClient, uids, pool) -> list[Remote | None]:
        listing = self.list_all(client)
        return [self.remote(uid, listing[uid]) if uid in listing else None for uid in uids]

    def candidate_uids(self, client: GrafanaClient, owner: str, folder_uids: set[str]) -> list[str]:
        """Ours by annotation, or the legacy tag, in this environment's folders."""
        out = []
        for uid, obj in self.list_all(client).items():
            annotations = self.annotations(obj)
            tags = obj["spec"].get("tags") if isinstance(obj["spec"].get("tags"), list) else []
            if annotations.get(FOLDER_ANNOTATION, "") in folder_uids and (
                    annotations.get(OWNER_ANNOTATION) == owner or "druppie-grafana" in tags):
                out.append(uid)
        return sorted(out)

    def _spec(self, res: Resource) -> tuple[dict, dict]:
        spec = {k: v for k, v in plain(res.spec).items() if k not in SERVER_FIELDS and k != "uid"}
        annotations = {FOLDER_ANNOTATION: res.folder} if res.folder else {}
        return spec, annotations

    def delete(self, client: GrafanaClient, remote: Remote) -> None:
        self._delete(client, remote.uid)


class ApisV2DashboardHandler(ApisDashboardHandler):
    """Dashboards as schema v2 (dynamic dashboards) on dashboard.grafana.app/v2 (13.x) or v2beta1 (12.x):
    the same comparable envelope as classic ones, with the converted, normalised v2 spec inside. A remote
    stored in the other schema is read through this version's conversion and compared the same way;
    writing v2 over a classic-stored dashboard loses nothing, so it is an ordinary update."""

    def __init__(self, version: str, namespace: str = "default"):
        super().__init__(version, namespace, latest_schema=None)

    def _v2(self, res: Resource) -> dict:
        classic = {k: v for k, v in plain(res.spec).items() if k not in SERVER_FIELDS and k != "uid"}
        return to_v2_spec(classic) if self.version == "v2" else to_v2beta1_spec(classic)

    def desired(self, res: Resource) -> dict:
        return {"folderUid": res.folder or "", "dashboard": {"uid": res.uid, **normalise_spec(self._v2(res))}}

    def refusal(self, res: Resource) -> str:
        try:
            self._v2(res)
        except ConversionRefused as exc:
            return f"cannot be written as schema v2: {exc}; set dashboards.schema: v1 for this environment"
        return ""

    def remote(self, uid: str, obj: dict) -> Remote:
        base = super().remote(uid, obj)
        annotations = self.annotations(obj)
        base.comparable = {"folderUid": str(annotations.get(FOLDER_ANNOTATION) or ""),
                           "dashboard": {"uid": uid, **normalise_spec(obj["spec"])}}
        base.stored_as = ""  # v2 over classic is an upgrade, not a flattening
        return base

    def candidate_uids(self, client: GrafanaClient, owner: str, folder_uids: set[str]) -> list[str]:
        out = []
        for uid, obj in self.list_all(client).items():
            annotations = self.annotations(obj)
            if annotations.get(FOLDER_ANNOTATION, "") in folder_uids and annotations.get(OWNER_ANNOTATION) == owner:
                out.append(uid)
        return sorted(out)

    def _spec(self, res: Resource) -> tuple[dict, dict]:
        return self._v2(res), ({FOLDER_ANNOTATION: res.folder} if res.folder else {})


class ApisFolderHandler(ApisObjects, FolderHandler):
    kind = FOLDER
    group, resource, object_kind = "folder.grafana.app", "folders", "Folder"

    def remote(self, uid: str, obj: dict) -> Remote:
        annotations = self.annotations(obj)
        comparable = {"uid": uid, "title": str(obj["spec"].get("title", ""))}
        if annotations.get(FOLDER_ANNOTATION):
            comparable["parentUid"] = str(annotations[FOLDER_ANNOTATION])
        return Remote(uid=uid, raw=obj, comparable=comparable, version=obj["metadata"].get("resourceVersion"),
                      owner_mark=_text(annotations.get(OWNER_ANNOTATION)),
                      recorded_hash=_text(annotations.get(HASH_ANNOTATION)), manager=manager_of(annotations),
                      title=comparable["title"])

    def read(self, client: GrafanaClient, uid: str) -> Remote | None:
        obj = self._object(client, uid)
        return None if obj is None else self.remote(uid, obj)

    def _spec(self, res: Resource) -> tuple[dict, dict]:
        desired = self.desired(res)
        annotations = {FOLDER_ANNOTATION: desired["parentUid"]} if desired.get("parentUid") else {}
        return {"title": desired["title"]}, annotations

    def undo_create(self, client: GrafanaClient, uid: str) -> None:
        self._delete(client, uid)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
