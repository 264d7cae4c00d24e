"""The audit trail in the Helm values: one retention for Tempo's blocks and Loki's chunks (or two,
when the environment sets them apart), and S3-compatible object storage with credentials as ${VAR}
references the pods fill from the credentials Secret.

Chart keys (grafana-community/helm-charts charts/tempo/values.yaml, chart 2.2.4; charts/loki/values.yaml
18.11 and grafana/loki production/helm/loki/values.yaml 7.3, which read the same keys):
- tempo `tempo.retention` -> `compactor.compaction.block_retention` in the chart's config template
  (default 24h); `tempo.storage` is written as Tempo's `storage:` block as it is (default
  trace.backend local).
- loki `loki.compactor` and `loki.limits_config` are written through `tpl` into Loki's `compactor:` and
  `limits_config:`; `loki.storage.{type,bucketNames,s3}` make the chart's common storage config
  (templates/_helpers.tpl loki.lokiStorageConfig.s3); `global.extraArgs`/`global.extraEnv` reach every
  Loki container.
"""

from __future__ import annotations

from typing import Any

from ..audit_trail import AuditTrail, ObjectStorage, go_duration
from ..environments import Environment
from ..secrets import SecretRef

# Loki only deletes with the compactor's retention on, and refuses to start with it on unless it knows
# where delete requests live (grafana/loki pkg/compactor/config.go Validate: "compactor.delete-request-store
# should be configured when retention is enabled"). Without our storage, it is the install's own store:
# the chart renders loki.compactor through tpl, so this follows loki.storage.type.
CHART_STORAGE_TYPE = "{{ .Values.loki.storage.type }}"


def _var(ref: SecretRef | None) -> str | None:
    return f"${{{ref.env}}}" if ref is not None else None


def storage_env_names(env: Environment) -> list[str]:
    """Environment variables the object-storage credentials are read from (only {env:} is allowed)."""
    storage = env.audit.storage if env.audit else None
    if storage is None:
        return []
    return sorted({ref.env for ref in (storage.access_key_id, storage.secret_access_key) if ref is not None})


# How each reads the same S3 settings: Tempo's own keys (grafana/tempo tempodb/backend/s3/config.go:
# insecure = plain http, forcepathstyle) and the loki chart's (templates/_helpers.tpl loki.lokiStorageConfig.s3).
TEMPO_S3_KEYS = {"endpoint": "endpoint", "region": "region", "insecure": "insecure", "path_style": "forcepathstyle",
                 "access_key_id": "access_key", "secret_access_key": "secret_key"}
LOKI_S3_KEYS = {"endpoint": "endpoint", "region": "region", "insecure": "insecure", "path_style": "s3ForcePathStyle",
                "access_key_id": "accessKeyId", "secret_access_key": "secretAccessKey"}


def _s3(storage: ObjectStorage, keys: dict[str, str]) -> dict[str, Any]:
    settings = {"endpoint": storage.endpoint, "region": storage.region, "insecure": not storage.tls,
                "path_style": storage.path_style, "access_key_id": _var(storage.access_key_id),
                "secret_access_key": _var(storage.secret_access_key)}
    return {keys[name]: value for name, value in settings.items() if value is not None}


def tempo_audit(env: Environment) -> dict[str, Any]:
    """The `tempo:` keys for retention and, when the environment has object storage, the backend."""
    audit: AuditTrail = env.audit
    tempo: dict[str, Any] = {"retention": go_duration(audit.traces_hours)}
    if audit.storage is not None:
        # wal stays on the pod's volume (it is the not-yet-flushed tail); blocks go to the bucket.
        tempo["storage"] = {"trace": {"backend": "s3", "s3": {"bucket": audit.storage.bucket,
                                                                **_s3(audit.storage, TEMPO_S3_KEYS)},
                                      "wal": {"path": "/var/tempo/wal"}}}
    return tempo


def loki_audit(env: Environment) -> dict[str, Any]:
    """The `loki:` keys: retention (compactor on, the period in limits_config) and, when the environment
    says so, object storage."""
    audit: AuditTrail = env.audit
    storage = audit.storage if audit.storage is not None and audit.storage.loki_bucket else None
    loki: dict[str, Any] = {
        "compactor": {"retention_enabled": True,
                      "delete_request_store": "s3" if storage else CHART_STORAGE_TYPE},
        "limits_config": {"retention_period": go_duration(audit.logs_hours)},
    }
    if storage is not None:
        # The chart asks for a chunks and a ruler bucket when it uses object storage; both in one.
        loki["storage"] = {"type": "s3", "bucketNames": {"chunks": storage.loki_bucket, "ruler": storage.loki_bucket},
                           "s3": _s3(storage, LOKI_S3_KEYS)}
    return loki


def loki_env_names(env: Environment) -> list[str]:
    """Variables Loki's own config refers to: the credentials of its object storage, if it has ours."""
    storage = env.audit.storage if env.audit else None
    return storage_env_names(env) if storage is not None and storage.loki_bucket else []
