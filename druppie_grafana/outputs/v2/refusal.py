"""The one error the converter raises: input it does not convert faithfully, named precisely."""

from __future__ import annotations

from ...errors import DruppieError, json_path


class ConversionRefused(DruppieError):
    """A classic dashboard the v2 converter will not convert: which dashboard, where, and why.

    Refusing is the point: Grafana's own converter may do something with such input that our test
    data does not show, and a silently different v2 dashboard would drift on every plan."""

    def __init__(self, dashboard: str, path: tuple, reason: str, panel: str | None = None):
        self.dashboard = dashboard
        self.path = json_path(path)
        self.reason = reason
        self.panel = panel
        where = f"dashboard {dashboard!r}" + (f", panel {panel}" if panel else "") + f", at {self.path}"
        super().__init__(f"cannot convert to dashboard schema v2: {where}: {reason}")


class Context:
    """Where the converter is, so that a refusal can say so."""

    def __init__(self, dashboard: dict):
        self.dashboard = str(dashboard.get("uid") or dashboard.get("title") or "?")
        self.panel: str | None = None

    def refuse(self, path: tuple, reason: str):
        raise ConversionRefused(self.dashboard, path, reason, self.panel)
