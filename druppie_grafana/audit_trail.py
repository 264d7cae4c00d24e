"""The audit trail of one environment: how long traces and logs are kept, and where they are stored.

`audit:` in environments.yaml, per environment:

    audit:
      retention: 400d                   # traces and logs alike (or {traces: 400d, logs: 800d})
      storage:                          # S3-compatible object storage (S3, MinIO) for Tempo
        bucket: druppie-traces
        endpoint: minio.storage:9000    # host[:port], no scheme
        region: eu-west-1
        path_style: true
        tls: true
        access_key_id: {env: S3_ACCESS_KEY_ID}
        secret_access_key: {env: S3_SECRET_ACCESS_KEY}
        loki_bucket: druppie-logs       # optional: Loki on the same object store, in this bucket
      development: false                # optional; default: the environment is named dev/development/local

A development environment may leave everything out (traces and logs then live DEV_DEFAULT_RETENTION on
the pods' local volumes); any other environment must say both, or the build stops naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import InputError, Problem
from .secrets import SecretRef

DEVELOPMENT_NAMES = frozenset({"dev", "development", "local"})
DEV_DEFAULT_RETENTION = "7d"
# Loki applies retention per daily index table (grafana/loki docs/sources/operations/storage/
# retention.md: "Retention is only available if the index period is 24h"), so periods are whole days.
_DURATION = re.compile(r"(\d+)(h|d|w)")
_HOURS = {"h": 1, "d": 24, "w": 24 * 7}
RETENTION_HINT = ("give a whole number of days: e.g. retention: 400d (traces and logs alike) or "
                  "retention: {traces: 400d, logs: 400d}")


def retention_hours(text: str) -> int | None:
    """Hours of a duration like 400d, 8w or 720h; None when it is not whole days of at least one day."""
    m = _DURATION.fullmatch(str(text).strip())
    if not m:
        return None
    hours = int(m.group(1)) * _HOURS[m.group(2)]
    return hours if hours >= 24 and hours % 24 == 0 else None


def go_duration(hours: int) -> str:
    """As Tempo (Go time.Duration, no 'd' unit: tempodb/config.go BlockRetention) and Loki
    (model.Duration: pkg/validation/limits.go RetentionPeriod) both read it."""
    return f"{hours}h"


def human(hours: int) -> str:
    return f"{hours // 24}d"


@dataclass(frozen=True)
class ObjectStorage:
    """An S3-compatible bucket; credentials only by reference."""

    bucket: str
    endpoint: str
    region: str | None
    path_style: bool
    tls: bool
    access_key_id: SecretRef | None
    secret_access_key: SecretRef | None
    loki_bucket: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "ObjectStorage":
        def ref(key):
            return SecretRef.from_mapping(data[key]) if key in data else None
        return cls(bucket=data["bucket"], endpoint=data["endpoint"], region=data.get("region"),
                   path_style=data.get("path_style", False), tls=data.get("tls", True),
                   access_key_id=ref("access_key_id"), secret_access_key=ref("secret_access_key"),
                   loki_bucket=data.get("loki_bucket"))

    def describe(self, bucket: str) -> str:
        return f"s3://{bucket} at {'https' if self.tls else 'http'}://{self.endpoint}"


@dataclass(frozen=True)
class AuditTrail:
    traces_hours: int
    logs_hours: int
    storage: ObjectStorage | None
    development: bool
    defaulted: bool = False  # retention not given (development only)

    @property
    def same_retention(self) -> bool:
        return self.traces_hours == self.logs_hours

    def summary(self) -> str:
        """One line for the build summary and the plan."""
        kept = (f"traces and logs kept {human(self.traces_hours)}" if self.same_retention
                else f"traces kept {human(self.traces_hours)}, logs {human(self.logs_hours)}")
        if self.defaulted:
            kept += " (development default)"
        if self.storage is None:
            where = "traces on Tempo's local volume (development), logs where Loki keeps them"
        else:
            where = f"traces in {self.storage.describe(self.storage.bucket)}"
            where += (f", logs in {self.storage.describe(self.storage.loki_bucket)}" if self.storage.loki_bucket
                      else ", logs where Loki keeps them")
        return f"audit trail: {kept}; {where}"


def is_development(name: str, data: Mapping[str, Any]) -> bool:
    return bool(data.get("development", name in DEVELOPMENT_NAMES))


def audit_trail(name: str, data: Mapping[str, Any] | None, source: str) -> AuditTrail:
    """The environment's audit trail; every missing or bad setting reported at once, by its key."""
    data = data or {}
    where = f"$.environments.{name}.audit"
    development = is_development(name, data)
    problems: list[Problem] = []
    retention = data.get("retention")
    if retention is None and not development:
        problems.append(Problem(source, f"{where}.retention",
                                f"environment {name!r} is not a development one and says nothing about how long "
                                "traces and logs are kept (Tempo's chart would delete a trace after 24h)",
                                RETENTION_HINT))
    spelled = retention if retention is not None else DEV_DEFAULT_RETENTION
    both = spelled if isinstance(spelled, Mapping) else {"traces": spelled, "logs": spelled}
    hours = {}
    for signal in ("traces", "logs"):
        hours[signal] = retention_hours(both.get(signal, ""))
        if hours[signal] is None and (retention is not None or development):
            key = f"{where}.retention" + (f".{signal}" if isinstance(spelled, Mapping) else "")
            problems.append(Problem(source, key, f"{both.get(signal)!r} is not a retention period of whole days",
                                    RETENTION_HINT))
    if "storage" not in data and not development:
        problems.append(Problem(source, f"{where}.storage",
                                f"environment {name!r} is not a development one and keeps traces on a pod's "
                                "local volume, which is lost with the volume",
                                "give an S3-compatible bucket: audit.storage {bucket, endpoint, access_key_id, "
                                "secret_access_key} (see README 'Deploy on Kubernetes')"))
    for key in ("access_key_id", "secret_access_key"):
        if "file" in ((data.get("storage") or {}).get(key) or {}):
            problems.append(Problem(source, f"{where}.storage.{key}",
                                    "Tempo and Loki read S3 credentials from their configuration file, where only "
                                    "environment variables are expanded (-config.expand-env), not files",
                                    "give it as {env: VARIABLE}; the charts fill the variable from the Secret "
                                    "druppie-telemetry-credentials"))
    if problems:
        raise InputError(problems)
    storage = ObjectStorage.from_mapping(data["storage"]) if "storage" in data else None
    return AuditTrail(hours["traces"], hours["logs"], storage, development, defaulted=retention is None)
