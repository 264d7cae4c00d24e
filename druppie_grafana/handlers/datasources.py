"""Datasources: /api/datasources. Our marker and last-applied hash live in jsonData."""

from __future__ import annotations

from typing import Any, Mapping

from ..client import GrafanaClient, NotFound
from ..resources import DATASOURCE, Resource
from ..secrets import MASK, resolve_secrets
from ..serialize import plain
from .base import OWNER, Handler, Remote

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
            raw = client.get(f"/datasources/uid/{uid}")
        except NotFound:
            return None
        return self._remote(uid, raw)

    def _remote(self, uid: str, raw: dict) -> Remote:
        json_data = raw.get("jsonData") or {}
        secure_keys = [k for k, on in (raw.get("secureJsonFields") or {}).items() if on]
        return Remote(uid=uid, raw=raw, comparable=_comparable(uid, raw, secure_keys),
                      version=raw.get("version"), owned=json_data.get(MARK_OWNER) == OWNER,
                      recorded_hash=json_data.get(MARK_HASH),
                      managed_elsewhere="read-only datasource (provisioned from a file)" if raw.get("readOnly") else "",
                      title=raw.get("name", ""))

    def owned_uids(self, client: GrafanaClient, folder_uids: set[str]) -> list[str]:
        listing = client.get("/datasources") or []
        return sorted(d["uid"] for d in listing if (d.get("jsonData") or {}).get(MARK_OWNER) == OWNER)

    def _body(self, res: Resource, stamp: str, environ: Mapping[str, str]) -> dict:
        body = resolve_secrets(plain(res.spec, keep_secrets=True), environ)
        body["uid"] = res.uid
        body["jsonData"] = {**(body.get("jsonData") or {}), MARK_OWNER: OWNER, MARK_HASH: stamp}
        return body

    def create(self, client: GrafanaClient, res: Resource, stamp: str, environ: Mapping[str, str]) -> None:
        client.post("/datasources", self._body(res, stamp, environ))

    def update(self, client, res, remote, stamp, force, environ) -> None:
        body = self._body(res, stamp, environ)
        if not force and remote.version is not None:
            body["version"] = remote.version  # Grafana answers 409 if someone saved since we read it
        client.put(f"/datasources/uid/{res.uid}", body)

    def delete(self, client: GrafanaClient, remote: Remote) -> None:
        client.delete(f"/datasources/uid/{remote.uid}")
