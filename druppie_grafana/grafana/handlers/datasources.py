"""Datasources: /api/datasources. Our owner mark and stamp live in jsonData."""

from __future__ import annotations

from typing import Any, Mapping

from ..client import GrafanaClient, NotFound
from ...resources import DATASOURCE, Resource
from ...secrets import MASK, resolve_secrets
from ...serialize import plain
from .base import OWNER, Handler, Remote, Stamp, checked_uids

MARK_OWNER = "druppieManagedBy"
MARK_HASH = "druppieAppliedHash"

# The fields we manage, with the value Grafana reports when they are unset. Anything else Grafana
# returns (id, orgId, version, readOnly, typeLogoUrl, secureJsonFields, ...) is server-side.
FIELDS: dict[str, Any] = {
    "name": "", "type": "", "access": "proxy", "url": "", "user": "", "database": "",
    "basicAuth": False, "basicAuthUser": "", "withCredentials": False, "isDefault": False,
}


def _comparable(uid: str, source: Mapping[str, Any], secure_keys) -> dict:
    out = {"uid": uid}
    out.update({k: source.get(k) if source.get(k) is not None else default for k, default in FIELDS.items()})
    json_data = dict(source.get("jsonData") or {})
    json_data.pop(MARK_OWNER, None)
    json_data.pop(MARK_HASH, None)
    out["jsonData"] = json_data
    out["secureJsonData"] = {k: MASK for k in sorted(secure_keys)}
    return out


def _mark(json_data: Mapping, key: str) -> str | None:
    value = json_data.get(key)
    return value if isinstance(value, str) and value else None


class DatasourceHandler(Handler):
    kind = DATASOURCE

    def desired(self, res: Resource) -> dict:
        spec = plain(res.spec)  # SecretRefs become their recorded form; only the keys are kept below
        return _comparable(res.uid, spec, (spec.get("secureJsonData") or {}).keys())

    def comparable_for(self, desired: dict, remote: Remote) -> dict:
        # PUT merges secureJsonData, so keys we never set stay in Grafana; only ours are compared.
        out = dict(remote.comparable)
        out["secureJsonData"] = {k: v for k, v in remote.comparable["secureJsonData"].items()
                                 if k in desired["secureJsonData"]}
        return out

    def read(self, client: GrafanaClient, uid: str) -> Remote | None:
        try:
            raw = client.get(f"/datasources/uid/{uid}", expect=dict)
        except NotFound:
            return None
        return self._remote(uid, raw)

    def _remote(self, uid: str, raw: dict) -> Remote:
        json_data = raw.get("jsonData") if isinstance(raw.get("jsonData"), dict) else {}
        secure = raw.get("secureJsonFields") if isinstance(raw.get("secureJsonFields"), dict) else {}
        secure_keys = [k for k, on in secure.items() if on]
        return Remote(uid=uid, raw=raw, comparable=_comparable(uid, raw, secure_keys),
                      version=raw.get("version"), owner_mark=_mark(json_data, MARK_OWNER),
                      recorded_hash=_mark(json_data, MARK_HASH),
                      managed_elsewhere="read-only datasource (provisioned from a file)" if raw.get("readOnly") else "",
                      title=str(raw.get("name", "")))

    def candidate_uids(self, client: GrafanaClient, owner: str, folder_uids: set[str]) -> list[str]:
        """Datasources marked with this owner (or the unnamed legacy mark); each is checked before any prune."""
        listing = checked_uids(client.get("/datasources", expect=list), "/datasources")
        return sorted(uid for uid, ds in listing
                      if _mark(ds.get("jsonData") if isinstance(ds.get("jsonData"), dict) else {}, MARK_OWNER)
                      in (owner, OWNER))

    def _body(self, res: Resource, stamp: Stamp, environ: Mapping[str, str]) -> dict:
        body = resolve_secrets(plain(res.spec, keep_secrets=True), environ)
        body["uid"] = res.uid
        body["jsonData"] = {**(body.get("jsonData") or {}), MARK_OWNER: stamp.owner, MARK_HASH: stamp.hash}
        return body

    def create(self, client: GrafanaClient, res: Resource, stamp: Stamp, environ: Mapping[str, str]) -> None:
        client.post("/datasources", self._body(res, stamp, environ))

    def update(self, client, res, remote, stamp, force, environ) -> None:
        body = self._body(res, stamp, environ)
        if not force and remote.version is not None:
            body["version"] = remote.version  # Grafana answers 409 if someone saved since we read it
        client.put(f"/datasources/uid/{res.uid}", body)

    def delete(self, client: GrafanaClient, remote: Remote) -> None:
        client.delete(f"/datasources/uid/{remote.uid}")
