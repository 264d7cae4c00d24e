"""What every kind's handler provides, and the ownership stamp they share.

A handler knows one kind's endpoints and how to turn both our definition and Grafana's copy into the
same comparable form (no ids, versions, server-added fields or secret values). The plan/apply
workflow is written once, over handlers (the grizzly shape).

Ownership: what we write carries an owner mark ("<project>/<environment>") and a stamp, the hash of
owner, kind, uid and content. A resource is ours only when both are there and the stamp matches what
Grafana holds now; a copied marker (another uid), "Save as", a hand-made dashboard with our tag, or
another project's or environment's resource never is, so it is never pruned nor reported as our drift.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..client import GrafanaClient, UnexpectedAnswer
from ...resources import Resource, uid_problem
from ...secrets import MASK, SecretRef, secret_ref_from_json

OWNER = "druppie-grafana"  # the tag on dashboards (search finds candidates by it); the legacy marker value
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


# How a resource in Grafana stands to us (see the module docstring).
OURS = "ours"  # our mark, and the stamp matches its content: unchanged since we applied it
EDITED = "edited"  # our mark, stamp present but content changed since (someone edited it)
LEGACY = "legacy"  # stamped by a release before owners were named; ours to update, never pruned
OTHER = "other"  # another project's or environment's mark
NOT_OURS = "not ours"  # no mark, or a mark without a stamp


@dataclass(frozen=True)
class Stamp:
    """What apply writes onto a resource: who owns it, and the hash of what was written."""

    owner: str
    hash: str


def stamp_hash(owner: str, kind: str, uid: str, content: Any) -> str:
    return content_hash({"owner": owner, "kind": kind, "uid": uid, "content": content})


@dataclass
class Remote:
    """Grafana's copy of one resource, as read just now."""

    uid: str
    raw: Any  # the response body; Grafana never returns secret values, and backups scrub() it anyway
    comparable: dict
    version: int | None = None
    owner_mark: str | None = None  # the owner the resource claims ("project/env"), legacy OWNER, or None
    recorded_hash: str | None = None  # the stamp written by the last apply (by whoever)
    managed_elsewhere: str = ""  # why the API cannot change it (file-provisioned), or ""
    manager: str = ""  # another tool that manages it ("repo:audit-dashboards", "terraform:..."), or ""
    stored_as: str = ""  # "v2" when Grafana stores it as a schema-v2 (dynamic) dashboard and we write classic
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

    def stamp(self, owner: str, uid: str, comparable: dict) -> Stamp:
        return Stamp(owner, stamp_hash(owner, self.kind, uid, self.hash_view(comparable)))

    def ownership(self, remote: Remote, owner: str) -> str:
        """OURS, EDITED, LEGACY, OTHER or NOT_OURS for `owner` ("project/env")."""
        mark, recorded = remote.owner_mark, remote.recorded_hash
        if not mark or not recorded:
            return NOT_OURS
        if mark == owner:
            return OURS if recorded == self.stamp(owner, remote.uid, remote.comparable).hash else EDITED
        if mark == OWNER and recorded == content_hash(self.hash_view(remote.comparable)):
            return LEGACY  # unnamed owner; adopted by the next update, never deleted
        return OTHER

    def same(self, desired: dict, remote: Remote) -> bool:
        return desired == self.comparable_for(desired, remote)

    def comparable_for(self, desired: dict, remote: Remote) -> dict:
        """Grafana's copy as it should be compared with `desired` (a handler may narrow it)."""
        return remote.comparable

    def applied(self, desired: dict, stamp: Stamp, remote: Remote | None) -> bool:
        """Grafana now holds exactly what we meant to write (used after a write whose answer was lost)."""
        return (remote is not None and remote.owner_mark == stamp.owner and remote.recorded_hash == stamp.hash
                and self.same(desired, remote))

    def refusal(self, res: Resource) -> str:
        """Why this API would refuse the definition whatever Grafana holds ("" when it would not)."""
        return ""

    # -- Grafana
    def read(self, client: GrafanaClient, uid: str) -> Remote | None:
        raise NotImplementedError

    def read_all(self, client: GrafanaClient, uids, pool) -> list[Remote | None]:
        """Grafana's copies of `uids`, in order (one GET each, in parallel; list-capable APIs do better)."""
        return list(pool.map(lambda uid: self.read(client, uid), uids))

    def dry_run(self, client: GrafanaClient, res: Resource, stamp: Stamp, remote: Remote | None) -> None:
        """Send the write with dryRun=All: Grafana runs every check and stores nothing (where supported)."""
        raise NotImplementedError

    def candidate_uids(self, client: GrafanaClient, owner: str, folder_uids: set[str]) -> list[str]:
        """Uids in Grafana that may be `owner`'s (each is read and its ownership decided before any prune)."""
        return []

    def create(self, client: GrafanaClient, res: Resource, stamp: Stamp, environ: Mapping[str, str]) -> None:
        raise NotImplementedError

    def update(self, client: GrafanaClient, res: Resource, remote: Remote, stamp: Stamp, force: bool,
               environ: Mapping[str, str]) -> None:
        raise NotImplementedError

    def delete(self, client: GrafanaClient, remote: Remote) -> None:
        raise NotImplementedError

    def undo_create(self, client: GrafanaClient, uid: str) -> None:
        """Remove what this run has just created (its permissions could not be restricted)."""
        self.delete(client, Remote(uid=uid, raw=None, comparable={}))


def checked_uids(items: Any, path: str, key: str = "uid") -> list[tuple[str, dict]]:
    """(uid, item) of a listing from Grafana, every uid checked by the rule local uids follow: a uid from
    the server becomes a file name (backups) and a URL path segment, so `../x` or `/tmp/x` must not pass."""
    out = []
    for index, item in enumerate(items):
        uid = item.get(key) if isinstance(item, dict) else None
        problem = uid_problem(uid)
        if problem:
            raise UnexpectedAnswer(f"GET {path}: item {index} of Grafana's answer has no valid {key} ({problem}); "
                                   "nothing was changed. Is grafana.url pointing at Grafana?",
                                   method="GET", path=path, status=200)
        out.append((uid, item))
    return out
