"""The one envelope every provisioned thing travels in: kind, uid, folder, spec."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

FOLDER = "Folder"
DATASOURCE = "Datasource"
DASHBOARD = "Dashboard"
KINDS = (FOLDER, DATASOURCE, DASHBOARD)  # also the order in which they are applied

UID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")  # whole string: fullmatch (a $ would let "x\n" through)


def uid_problem(uid: Any) -> str | None:
    """Why `uid` is not a uid Grafana accepts everywhere (legacy and Kubernetes APIs), or None."""
    if not isinstance(uid, str) or not uid:
        return "uid must be a non-empty string"
    if len(uid) > 40:
        return f"uid {uid!r} is {len(uid)} characters long; Grafana allows at most 40"
    if not UID_PATTERN.fullmatch(uid):
        return f"uid {uid!r} has characters outside [A-Za-z0-9_-]"
    return None


@dataclass(frozen=True)
class Resource:
    """One folder, datasource or dashboard in its API form.

    `spec` is plain JSON-able data, except credentials, which are SecretRef objects until pushed.
    """

    kind: str
    uid: str
    spec: dict = field(compare=False)
    folder: str | None = None  # folder uid, for dashboards
    source: str = ""  # the definition file it came from
    # A datasource's Grafana Correlations (Explore links), kept apart from spec: the datasource API
    # has no such field, Grafana creates them from provisioning YAML or /correlations (outputs/).
    correlations: tuple = field(default=(), compare=False)

    @property
    def title(self) -> str:
        return str(self.spec.get("title") or self.spec.get("name") or self.uid)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.uid)

    def __str__(self) -> str:
        return f"{self.kind.lower()} {self.uid} ({self.title})"
