"""Dashboards: /api/dashboards. Ours carry the tag `druppie-grafana` (so search finds them), the owner
("project/environment") and the stamp of what we last applied."""

from __future__ import annotations

from typing import Mapping

from ..client import GrafanaClient, GrafanaError, NotAcceptable, NotFound
from ...resources import DASHBOARD, Resource
from ...serialize import plain
from .base import OWNER, Handler, Remote, Stamp, checked_uids

MARK_OWNER = "druppieOwner"
MARK_HASH = "druppieAppliedHash"
SERVER_FIELDS = ("id", "version", MARK_OWNER, MARK_HASH)
SEARCH_PAGE = 1000
MAX_SEARCH_PAGES = 100  # 100,000 tagged dashboards; a server that ignores paging must not loop us forever


def _comparable(dashboard: dict, folder_uid: str) -> dict:
    body = {k: v for k, v in dashboard.items() if k not in SERVER_FIELDS}
    tags = [t for t in body.pop("tags", None) or [] if t != OWNER]
    if tags:  # no tags and an empty list are the same thing
        body["tags"] = tags
    # Leaving folderUid out moves a dashboard to the root, so where it lives is part of what we compare.
    return {"folderUid": folder_uid or "", "dashboard": body}


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


class DashboardHandler(Handler):
    kind = DASHBOARD

    def desired(self, res: Resource) -> dict:
        return _comparable({**plain(res.spec), "uid": res.uid}, res.folder or "")

    def read(self, client: GrafanaClient, uid: str) -> Remote | None:
        path = f"/dashboards/uid/{uid}"
        try:
            raw = client.get(path, expect=dict)
        except NotFound:
            return None
        except NotAcceptable:  # 12.x cannot show a dashboard stored as schema v2 through this API
            return Remote(uid=uid, raw=None, comparable={"folderUid": "", "dashboard": {}}, stored_as="v2",
                          title=uid)
        dashboard, meta = raw.get("dashboard"), raw.get("meta")
        if not isinstance(dashboard, dict) or not isinstance(meta, dict):
            raise GrafanaError(f"GET {path}: Grafana's answer has no dashboard/meta objects; is grafana.url "
                               "pointing at Grafana?", method="GET", path=path, status=200)
        provisioned = meta.get("provisioned") or meta.get("provisionedExternalId")
        tags = dashboard.get("tags") if isinstance(dashboard.get("tags"), list) else []
        return Remote(uid=uid, raw=raw, comparable=_comparable(dashboard, str(meta.get("folderUid") or "")),
                      version=dashboard.get("version", meta.get("version")),
                      # before owners were named, the tag alone was the mark
                      owner_mark=_text(dashboard.get(MARK_OWNER)) or (OWNER if OWNER in tags else None),
                      recorded_hash=_text(dashboard.get(MARK_HASH)),
                      managed_elsewhere="provisioned dashboard (file provider)" if provisioned else "",
                      # 13's legacy GET answers a lossy classic copy of a v2-stored one, with meta.apiVersion
                      stored_as="v2" if str(meta.get("apiVersion") or "").split("/")[-1].startswith("v2") else "",
                      title=str(dashboard.get("title", "")))

    def candidate_uids(self, client: GrafanaClient, owner: str, folder_uids: set[str]) -> list[str]:
        """Tagged, and in one of this environment's folders; each is read and checked before any prune."""
        seen: set[str] = set()
        uids: set[str] = set()
        for page in range(1, MAX_SEARCH_PAGES + 1):
            hits = checked_uids(client.get("/search", params={"tag": OWNER, "type": "dash-db", "limit": SEARCH_PAGE,
                                                              "page": page}, expect=list), "/search")
            unseen = {uid for uid, _ in hits} - seen
            seen |= unseen
            uids |= {uid for uid, hit in hits if hit.get("folderUid", "") in folder_uids}
            if len(hits) < SEARCH_PAGE or not unseen:  # the last page, or a server that ignores paging
                return sorted(uids)
        raise GrafanaError(f"GET /search: more than {MAX_SEARCH_PAGES} pages of tagged dashboards; refusing to "
                           "list further (does this Grafana ignore the page parameter?)", method="GET",
                           path="/search", status=200)

    def _body(self, res: Resource, stamp: Stamp, version: int | None, overwrite: bool) -> dict:
        dashboard = {k: v for k, v in plain(res.spec).items() if k not in SERVER_FIELDS}
        dashboard["uid"] = res.uid
        dashboard["tags"] = [t for t in dashboard.get("tags") or [] if t != OWNER] + [OWNER]
        dashboard[MARK_OWNER] = stamp.owner
        dashboard[MARK_HASH] = stamp.hash
        if version is not None:
            dashboard["version"] = version
        return {"dashboard": dashboard, "folderUid": res.folder or "", "overwrite": overwrite,
                "message": f"applied by druppie-grafana for {stamp.owner} ({stamp.hash})"}

    def create(self, client: GrafanaClient, res: Resource, stamp: Stamp, environ: Mapping[str, str]) -> None:
        client.post("/dashboards/db", self._body(res, stamp, None, overwrite=False))

    def update(self, client, res, remote, stamp, force, environ) -> None:
        # Without --force, Grafana answers 412 if someone saved the dashboard after we read it.
        client.post("/dashboards/db", self._body(res, stamp, remote.version, overwrite=force))

    def delete(self, client: GrafanaClient, remote: Remote) -> None:
        client.delete(f"/dashboards/uid/{remote.uid}")
