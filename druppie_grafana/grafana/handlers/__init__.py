"""One handler per kind, in the order they are applied (folders before the dashboards inside them)."""

from __future__ import annotations

from .base import EDITED, LEGACY, NOT_OURS, OTHER, OURS, OWNER, Handler, Remote, Stamp, content_hash, mask_secrets, scrub
from .dashboards import DashboardHandler
from .datasources import DatasourceHandler
from .folders import FolderHandler

HANDLERS: dict[str, Handler] = {h.kind: h for h in (FolderHandler(), DatasourceHandler(), DashboardHandler())}

__all__ = ["EDITED", "HANDLERS", "LEGACY", "NOT_OURS", "OTHER", "OURS", "OWNER", "Handler", "Remote", "Stamp",
           "content_hash", "mask_secrets", "scrub"]
