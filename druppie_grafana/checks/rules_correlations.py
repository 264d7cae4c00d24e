"""Correlation links between datasources (log -> trace, trace -> logs/metrics, metric -> trace) resolve,
and deprecated settings are named."""

from __future__ import annotations

from typing import Any, Iterator

from .finding import ERROR, WARNING, Hit
from .inputs import CheckInput, DatasourceEntry
from .registry import check, define
from .walk import VARIABLE_REF

UNRESOLVED = define(
    "correlation-unresolved", ERROR,
    "a correlation link (derivedFields, tracesToLogsV2, tracesToMetrics, tracesToProfiles, serviceMap, "
    "exemplarTraceIdDestinations) points at a datasource that is not defined",
    "set datasourceUid to the uid of a datasource that is provisioned with it")
BY_NAME = define(
    "correlation-by-name", WARNING,
    "a correlation link names its datasource by name instead of uid (works, breaks on a rename)",
    "use the target datasource's uid; Grafana resolves a name too, but only until someone renames it")
DEPRECATED = define(
    "deprecated-setting", WARNING,
    "a deprecated setting: Tempo `tracesToLogs` (v1, replaced by tracesToLogsV2) or `lokiSearch` (removed in Grafana 11)",
    "use tracesToLogsV2; drop lokiSearch")


def links(entry: DatasourceEntry) -> Iterator[tuple[Any, tuple]]:
    """(datasourceUid value, path inside jsonData) of every correlation link of a datasource."""
    data = entry.json_data
    for key in ("tracesToLogsV2", "tracesToLogs", "tracesToMetrics", "tracesToProfiles", "serviceMap"):
        block = data.get(key)
        if isinstance(block, dict) and "datasourceUid" in block:
            yield block["datasourceUid"], (key, "datasourceUid")
    for key in ("derivedFields", "exemplarTraceIdDestinations", "tracesToLogsV3"):
        items = data.get(key)
        if isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict) and item.get("datasourceUid") not in (None, ""):
                    yield item["datasourceUid"], (key, index, "datasourceUid")


@check
def correlation_links(checked: CheckInput) -> Iterator[Hit]:
    for entry in checked.datasources:
        for uid, path in links(entry):
            where = entry.at("jsonData", *path)
            if not isinstance(uid, str) or not uid:
                if path[0] in ("derivedFields", "exemplarTraceIdDestinations"):
                    continue  # no uid: an external link by url
                yield Hit(UNRESOLVED, f"datasourceUid is {uid!r}", entry.file, where)
            elif VARIABLE_REF.search(uid):
                # An env reference left for Grafana to expand ($VAR in YAML); nothing to resolve here.
                continue
            elif checked.datasource_by_ref(uid):
                continue
            elif (target := checked.datasource_by_name(uid)) is not None:
                yield Hit(BY_NAME, f"datasourceUid {uid!r} is the name of datasource uid {target.uid!r}",
                          entry.file, where, f"write datasourceUid: {target.uid}")
            else:
                known = ", ".join(sorted(filter(None, (e.uid for e in checked.datasources)))) or "none"
                yield Hit(UNRESOLVED, f"datasourceUid {uid!r} matches no datasource uid or name (defined: {known})",
                          entry.file, where)


@check
def deprecated_settings(checked: CheckInput) -> Iterator[Hit]:
    for entry in checked.datasources:
        data = entry.json_data
        if "tracesToLogs" in data:
            ignored = " (ignored: tracesToLogsV2 is set)" if "tracesToLogsV2" in data else ""
            yield Hit(DEPRECATED, f"tracesToLogs (v1) is deprecated{ignored}", entry.file,
                      entry.at("jsonData", "tracesToLogs"))
        if "lokiSearch" in data:
            yield Hit(DEPRECATED, "lokiSearch has no effect since Grafana 11 (the Loki search tab was removed)",
                      entry.file, entry.at("jsonData", "lokiSearch"))
