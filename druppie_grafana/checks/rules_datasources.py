"""Datasources: references from dashboards resolve, uids are well-formed and unique, one default per org."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator

from ..resources import uid_problem
from .finding import ERROR, WARNING, Hit
from .inputs import PROVISIONING, CheckInput
from .registry import check, define
from .resolve import DashboardScope, parse_ref, target_ref
from .walk import annotations, at, panels, targets, variables

UNRESOLVED = define(
    "datasource-unresolved", ERROR,
    "a panel, target, variable or annotation names a datasource that is not defined",
    "use the uid of a datasource in datasources/ (ctx.datasource_uid(role)) or a datasource variable")
IMPORT_PLACEHOLDER = define(
    "import-placeholder", WARNING,
    "a datasource reference is an `__inputs` placeholder (${DS_...}) that file provisioning never replaces",
    "replace ${DS_...} by a datasource uid or a datasource variable; only the UI's import fills __inputs")
UID_FORMAT = define(
    "uid-format", ERROR,
    "a dashboard or datasource uid is longer than 40 characters or has characters outside [A-Za-z0-9_-]",
    "use 1-40 characters of [A-Za-z0-9_-]; Grafana's API and the Kubernetes API refuse others")
UID_DUPLICATE = define(
    "uid-duplicate", ERROR,
    "two dashboards, or two datasources of one org, share a uid (or datasources a name)",
    "give each its own uid and name; Grafana keeps only one of them")
DEFAULT_MULTIPLE = define(
    "default-datasource-multiple", ERROR,
    "more than one datasource of an org is isDefault: true",
    "keep isDefault: true on one datasource per org; Grafana's provisioning fails on a second")


def _ref_sites(dashboard: dict) -> Iterator[tuple[object, tuple]]:
    for panel, path in panels(dashboard):
        if "datasource" in panel:
            yield panel["datasource"], path + ("datasource",)
        for target, tpath in targets(panel, path):
            if target.get("datasource") is not None:
                yield target["datasource"], tpath + ("datasource",)
    for var, path in variables(dashboard):
        if var.get("type") in ("query", "adhoc") and var.get("datasource") is not None:
            yield var["datasource"], path + ("datasource",)
    for ann, path in annotations(dashboard):
        if ann.get("datasource") is not None:
            yield ann["datasource"], path + ("datasource",)


@check
def dashboard_references(checked: CheckInput) -> Iterator[Hit]:
    for dash in checked.dashboards:
        scope = DashboardScope(dash.data, checked)
        for value, path in _ref_sites(dash.data):
            ref = parse_ref(value)
            if ref is None:
                continue
            if ref.variable and ref.variable in scope.inputs and ref.variable not in scope.vars:
                yield Hit(IMPORT_PLACEHOLDER, f"{ref.key} is an import placeholder from __inputs",
                          dash.file, at(path))
                continue
            reason = scope.unresolved(ref)
            if reason:
                yield Hit(UNRESOLVED, reason, dash.file, at(path))


@check
def uids(checked: CheckInput) -> Iterator[Hit]:
    seen_dash: dict[str, str] = {}
    for dash in checked.dashboards:
        uid = dash.data.get("uid")
        if uid is None or uid == "":
            continue  # Grafana generates one; a missing uid is allowed
        reason = uid_problem(uid)
        if reason:
            yield Hit(UID_FORMAT, reason, dash.file, "$.uid")
        elif uid in seen_dash:
            yield Hit(UID_DUPLICATE, f"dashboard uid {uid!r} is also used by {seen_dash[uid]}", dash.file, "$.uid")
        else:
            seen_dash[uid] = dash.file
    seen: dict[tuple[int, str, str], str] = {}
    for entry in checked.datasources:
        if "uid" in entry.spec:
            reason = uid_problem(entry.uid if entry.form == PROVISIONING and entry.uid else entry.spec["uid"])
            if reason:
                yield Hit(UID_FORMAT, reason, entry.file, entry.at("uid"))
        for field, value in (("uid", entry.uid), ("name", entry.name)):
            if value is None:
                continue
            key = (entry.org_id, field, value)
            if key in seen:
                yield Hit(UID_DUPLICATE, f"datasource {field} {value!r} is also used at {seen[key]}",
                          entry.file, entry.at(field))
            else:
                seen[key] = f"{entry.file} {entry.path}"


@check
def one_default(checked: CheckInput) -> Iterator[Hit]:
    defaults = defaultdict(list)
    for entry in checked.datasources:
        if entry.spec.get("isDefault") is True:
            defaults[entry.org_id].append(entry)
    for org, entries in defaults.items():
        for entry in entries[1:]:
            yield Hit(DEFAULT_MULTIPLE, f"org {org} already has default datasource {entries[0].name!r} "
                      f"({entries[0].file})", entry.file, entry.at("isDefault"))
