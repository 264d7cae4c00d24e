"""Dashboards: /api/dashboards. Ours carry the tag `druppie-grafana` and the hash of what we last applied."""

from __future__ import annotations

from typing import Mapping

from ..client import GrafanaClient, NotFound
from ..resources import DASHBOARD, Resource
from ..serialize import plain
from .base import OWNER, Handler, Remote

MARK_HASH = "druppieAppliedHash"
SERVER_FIELDS = ("id", "version", MARK_HASH)
SEARCH_PAGE = 1000


def _comparable(dashboard: dict, folder_uid: str) -> dict:
    body = {k: v for k, v in dashboard.items() if k not in SERVER_FIELDS}
    tags = [t for t in body.pop("tags", None) or [] if t != OWNER]
    if tags:  # no tags and an empty list are the same thing
        body["tags"] = tags
    # Leaving folderUid out moves a dashboard to the root, so where it lives is part of what we compare.
    return {"folderUid": folder_uid or "", "dashboard": body}


class DashboardHandler(Handler):
    kind = DASHBOARD

    def desired(self, res: Resource) -> dict:
        return _comparable({**plain(res.spec), "uid": res.uid}, res.folder or "")

    def read(self, client: GrafanaClient, uid: str) -> Remote | None:
        try:
            raw = client.get(f"/dashboards/uid/{uid}")
        except NotFound:
            return None
        dashboard, meta = raw.get("dashboard") or {}, raw.get("meta") or {}
        provisioned = meta.get("provisioned") or meta.get("provisionedExternalId")
        return Remote(uid=uid, raw=raw, comparable=_comparable(dashboard, meta.get("folderUid", "")),
                      version=dashboard.get("version", meta.get("version")),
                      owned=OWNER in (dashboard.get("tags") or []),
                      recorded_hash=dashboard.get(MARK_HASH),
                      managed_elsewhere="provisioned dashboard (file provider)" if provisioned else "",
                      title=dashboard.get("title", ""))

    def owned_uids(self, client: GrafanaClient, folder_uids: set[str]) -> list[str]:
        """Ours: tagged, and in one of this environment's folders (another environment may share the org)."""
        uids, page = [], 1
        while True:
            hits = client.get("/search", params={"tag": OWNER, "type": "dash-db", "limit": SEARCH_PAGE,
                                                 "page": page}) or []
            uids += [h["uid"] for h in hits if h.get("folderUid", "") in folder_uids]
            if len(hits) < SEARCH_PAGE:
                return sorted(uids)
            page += 1

    def _body(self, res: Resource, stamp: str, version: int | None, overwrite: bool) -> dict:
        dashboard = {k: v for k, v in plain(res.spec).items() if k not in SERVER_FIELDS}
        dashboard["uid"] = res.uid
        dashboard["tags"] = list(dashboard.get("tags") or []) + [OWNER]
        dashboard[MARK_HASH] = stamp
        if version is not None:
            dashboard["version"] = version
        body = {"dashboard": dashboard, "folderUid": res.folder or "", "overwrite": overwrite,
                "message": f"applied by druppie-grafana ({stamp})"}
        return body

    def create(self, client: GrafanaClient, res: Resource, stamp: str, environ: Mapping[str, str]) -> None:
        client.post("/dashboards/db", self._body(res, stamp, None, overwrite=False))

    def update(self, client, res, remote, stamp, force, environ) -> None:
        # Without --force, Grafana answers 412 if someone saved the dashboard after we read it.
        client.post("/dashboards/db", self._body(res, stamp, remote.version, overwrite=force))

    def delete(self, client: GrafanaClient, remote: Remote) -> None:
        client.delete(f"/dashboards/uid/{remote.uid}")
