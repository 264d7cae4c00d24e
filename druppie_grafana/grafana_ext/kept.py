"""Panels, targets and variables of any type, with the keys no typed class models kept verbatim.

`import` writes these for what the typed classes (panels.Logs, targets.PrometheusQuery, ...) cannot
express exactly: a plugin panel, a legacy `graph`, a query of a datasource we do not provision. The
type, title, datasource and targets stay readable; every other key Grafana saved is in `kept`, as it
was, so the dashboard builds back into what Grafana held.
"""

from __future__ import annotations

from typing import Any

import attr
from attr.validators import instance_of


def _ref(value: Any) -> Any:
    return value.to_json_data() if hasattr(value, "to_json_data") else value


@attr.s
class Panel:
    """A panel of any `type` ("" for a library panel reference, which saves none); `kept` holds its other
    keys (options, fieldConfig, libraryPanel ...) verbatim.

    gridPos and id are set by layout.layout() or layout.as_placed(), like any grafanalib panel.
    """

    type: str = attr.ib(validator=instance_of(str))
    title: str = attr.ib(default="", validator=instance_of(str))
    dataSource: Any = attr.ib(default=None)  # a DatasourceRef, or a kept {type, uid} dict
    targets: list = attr.ib(factory=list)
    kept: dict = attr.ib(factory=dict, validator=instance_of(dict))
    gridPos: Any = attr.ib(default=None)
    id: int | None = attr.ib(default=None)

    def to_json_data(self):
        # A library panel reference saves no type (Grafana takes it from the library panel).
        data: dict[str, Any] = {"type": self.type, "title": self.title} if self.type else {"title": self.title}
        if self.dataSource is not None:
            data["datasource"] = _ref(self.dataSource)
        if self.targets:
            data["targets"] = list(self.targets)
        data.update(self.kept)
        if self.gridPos is not None:
            data["gridPos"] = self.gridPos
        if self.id is not None:
            data["id"] = self.id
        return data


@attr.s(frozen=True)
class Target:
    """A query of any datasource: its refId and datasource, the rest (`kept`) as Grafana saved it."""

    datasource: Any = attr.ib()
    refId: str = attr.ib(default="A")
    kept: dict = attr.ib(factory=dict, validator=instance_of(dict))

    def to_json_data(self):
        data: dict[str, Any] = {}
        if self.datasource is not None:
            data["datasource"] = _ref(self.datasource)
        data["refId"] = self.refId
        data.update(self.kept)
        return data


@attr.s(frozen=True)
class Variable:
    """A dashboard variable of any type (query, datasource, interval, adhoc ...), `kept` verbatim."""

    type: str = attr.ib(validator=instance_of(str))
    name: str = attr.ib(validator=instance_of(str))
    datasource: Any = attr.ib(default=None)
    kept: dict = attr.ib(factory=dict, validator=instance_of(dict))

    def to_json_data(self):
        data: dict[str, Any] = {"type": self.type, "name": self.name}
        if self.datasource is not None:
            data["datasource"] = _ref(self.datasource)
        data.update(self.kept)
        return data
