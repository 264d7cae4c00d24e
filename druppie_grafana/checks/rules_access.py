"""Access: say plainly when the edition cannot protect the logs and traces behind the folder permissions."""

from __future__ import annotations

from typing import Iterator

from .finding import WARNING, Hit
from .inputs import CheckInput
from .registry import check, define

DATASOURCES_UNPROTECTED = define(
    "datasources-unprotected", WARNING,
    "open-source Grafana: folder access is configured, but any Viewer can query Loki and Tempo in Explore",
    "use a separate Grafana org for the traceability datasources, or Grafana Enterprise/Cloud "
    "(grafana.edition) so apply sets datasource permissions")


@check
def datasource_permissions(checked: CheckInput) -> Iterator[Hit]:
    env = checked.environment
    if env is None or not env.folder_access:
        return
    from ..grafana.access import oss_warning  # the HTTP side, only for a build with folder access
    message = oss_warning(env)
    if message:
        yield Hit(DATASOURCES_UNPROTECTED, message, env.source, f"$.environments.{env.name}.grafana.edition")
