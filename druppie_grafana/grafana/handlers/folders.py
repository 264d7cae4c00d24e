"""Folders: /api/folders. Grafana's folder has no place for a marker, so folders are never pruned
(deleting a folder would also delete every dashboard in it) and a hand-made title change is simply
put back, after a backup."""

from __future__ import annotations

from typing import Mapping

from ..client import GrafanaClient, NotFound
from ...resources import FOLDER, Resource
from .base import OURS, Handler, Remote


class FolderHandler(Handler):
    kind = FOLDER
    prunable = False

    def desired(self, res: Resource) -> dict:
        out = {"uid": res.uid, "title": res.spec.get("title", res.uid)}
        if res.spec.get("parentUid"):
            out["parentUid"] = res.spec["parentUid"]
        return out

    def comparable_for(self, desired: dict, remote: Remote) -> dict:
        return remote.comparable  # a parent we do not set means the root: one in Grafana is a change

    def applied(self, desired: dict, stamp, remote: Remote | None) -> bool:
        return remote is not None and self.same(desired, remote)

    def ownership(self, remote: Remote, owner: str) -> str:
        return OURS  # no marker to tell our last apply from someone's edit; never pruned, title put back

    def read(self, client: GrafanaClient, uid: str) -> Remote | None:
        try:
            raw = client.get(f"/folders/{uid}", expect=dict)
        except NotFound:
            return None
        comparable = {"uid": uid, "title": str(raw.get("title", ""))}
        if raw.get("parentUid"):
            comparable["parentUid"] = raw["parentUid"]
        return Remote(uid=uid, raw=raw, comparable=comparable, version=raw.get("version"),
                      title=raw.get("title", ""))

    def create(self, client: GrafanaClient, res: Resource, stamp, environ: Mapping[str, str]) -> None:
        client.post("/folders", self.desired(res))

    def update(self, client, res, remote, stamp, force, environ) -> None:
        desired = self.desired(res)
        if desired["title"] != remote.comparable.get("title"):
            body = {"title": desired["title"]}
            body.update({"overwrite": True} if force else {"version": remote.version})
            client.put(f"/folders/{res.uid}", body)
        if desired.get("parentUid", "") != remote.comparable.get("parentUid", ""):
            # the legacy API changes a parent only through /move (a PUT would diff forever)
            client.post(f"/folders/{res.uid}/move", {"parentUid": desired.get("parentUid", "")})

    def delete(self, client: GrafanaClient, remote: Remote) -> None:
        raise NotImplementedError("folders are never deleted by apply")

    def undo_create(self, client: GrafanaClient, uid: str) -> None:
        # only a folder this run created a moment ago, before any dashboard was put into it
        client.delete(f"/folders/{uid}")
