"""What every kind's handler provides, and the ownership marker they share.

A handler knows one kind's endpoints and how to turn both our definition and Grafana's copy into the
same comparable form (no ids, versions, server-added fields or secret values). The plan/apply
workflow is written once, over handlers (the grizzly shape).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..client import GrafanaClient
from ..resources import Resource
from ..secrets import MASK, SecretRef, secret_ref_from_json

OWNER = "druppie-grafana"  # the tag on dashboards and the jsonData marker value on datasources
SECRET_KEYS = frozenset({"secureJsonData", "password", "basicAuthPassword"})


def content_hash(comparable: Any) -> str:
    """A short digest of the comparable form. Secret values are never part of it (see hash_view)."""
    text = json.dumps(comparable, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _is_secret(key: str, value: Any) -> bool:
    # secureJsonFields {"password": true} only says a secret is set: that may be shown
    return key in SECRET_KEYS and not isinstance(value, bool)


def mask_secrets(value: Any) -> Any:
    """Plain data with every credential reference or value replaced by the mask."""
    if isinstance(value, SecretRef) or secret_ref_from_json(value) is not None:
        return MASK
    if isinstance(value, dict):
        return {k: MASK if _is_secret(k, v) and not isinstance(v, dict) else mask_secrets(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def scrub(value: Any) -> Any:
    """Grafana's JSON without anything secret: what backups hold."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if not _is_secret(k, v)}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


@dataclass
class Remote:
    """Grafana's copy of one resource, as read just now."""

    uid: str
    raw: Any  # the response body; Grafana never returns secret values, and backups scrub() it anyway
    comparable: dict
    version: int | None = None
    owned: bool = False  # carries our marker
    recorded_hash: str | None = None  # the hash we stamped on our last apply
    managed_elsewhere: str = ""  # why the API cannot change it (file-provisioned), or ""
    title: str = ""
    extra: dict = field(default_factory=dict)


class Handler:
    kind = ""
    prunable = True  # folders are not: deleting one deletes every dashboard in it, ours or not

    # -- comparable forms
    def desired(self, res: Resource) -> dict:
        raise NotImplementedError

    def hash_view(self, comparable: dict) -> dict:
        """The part of the comparable form the hash covers: secret values cannot be read back."""
        return {k: v for k, v in comparable.items() if k != "secureJsonData"}

    def hash_of(self, comparable: dict) -> str:
        return content_hash(self.hash_view(comparable))

    def same(self, desired: dict, remote: Remote) -> bool:
        return desired == self.comparable_for(desired, remote)

    def comparable_for(self, desired: dict, remote: Remote) -> dict:
        """Grafana's copy as it should be compared with `desired` (a handler may narrow it)."""
        return remote.comparable

    def applied(self, desired: dict, stamp: str, remote: Remote | None) -> bool:
        """Grafana now holds exactly what we meant to write (used after a write whose answer was lost)."""
        return remote is not None and remote.owned and remote.recorded_hash == stamp and self.same(desired, remote)

    def drifted(self, remote: Remote) -> bool:
        """Changed in Grafana since our last apply: the content no longer matches the hash we stamped."""
        return remote.owned and remote.recorded_hash != self.hash_of(remote.comparable)

    # -- Grafana
    def read(self, client: GrafanaClient, uid: str) -> Remote | None:
        raise NotImplementedError

    def owned_uids(self, client: GrafanaClient, folder_uids: set[str]) -> list[str]:
        return []

    def create(self, client: GrafanaClient, res: Resource, stamp: str, environ: Mapping[str, str]) -> None:
        raise NotImplementedError

    def update(self, client: GrafanaClient, res: Resource, remote: Remote, stamp: str, force: bool,
               environ: Mapping[str, str]) -> None:
        raise NotImplementedError

    def delete(self, client: GrafanaClient, remote: Remote) -> None:
        raise NotImplementedError
