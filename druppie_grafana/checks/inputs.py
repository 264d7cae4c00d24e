"""What the checks look at: dashboards, datasource entries and whole documents, from a build or from files.

A datasource is kept twice: `raw` as written (for the `$` escaping rule) and `spec` as Grafana sees it
after provisioning interpolation (`$$` -> `$`), so every other rule reads one form.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ..contract import DEFAULT_CONTRACT, Contract
from ..errors import InputError, Problem
from ..loading import load_document
from ..resources import DASHBOARD, DATASOURCE, Resource
from ..secrets import SecretRef
from .v2_view import V2View

API = "api"  # HTTP API form: a single $ is literal
PROVISIONING = "provisioning"  # provisioning YAML: $$ is a literal $, $VAR is expanded

DASHBOARD_DOC = "dashboard"
DATASOURCES_DOC = "datasources"
PROVIDERS_DOC = "providers"


@dataclass(frozen=True)
class Dashboard:
    data: dict
    file: str
    ignores: frozenset[str] = frozenset()  # rule ids this dashboard's definition opts out of
    where: Callable[[str], str] | None = None  # a v2 dashboard's view: classic JSON path -> its v2 path

    @property
    def uid(self) -> str | None:
        uid = self.data.get("uid")
        return uid if isinstance(uid, str) else None


@dataclass(frozen=True)
class DatasourceEntry:
    spec: dict  # as Grafana sees it
    raw: dict  # as written
    file: str
    path: str  # JSON path of the entry inside its file: "$" or "$.datasources[2]"
    form: str  # API or PROVISIONING

    def at(self, *parts: Any) -> str:
        from ..errors import json_path
        return self.path + json_path(parts)[1:]

    @property
    def uid(self) -> str | None:
        """The uid Grafana gives it: the written one, or (provisioning YAML without one) the one Grafana
        derives from the name (pkg/services/provisioning/datasources/types.go, safeUIDFromName)."""
        uid = self.spec.get("uid")
        if self.form == PROVISIONING and isinstance(uid, (int, float)) and not isinstance(uid, bool):
            uid = str(uid)  # Grafana reads every scalar of the YAML as text (provisioning/values/values.go)
        if isinstance(uid, str) and uid:
            return uid
        if self.form == PROVISIONING and self.name:
            return derived_uid(self.name)
        return None

    @property
    def name(self) -> str | None:
        return self.spec.get("name") if isinstance(self.spec.get("name"), str) else None

    @property
    def type(self) -> str:
        return str(self.spec.get("type") or "")

    @property
    def org_id(self) -> int:
        org = self.spec.get("orgId", 1)
        return org if isinstance(org, int) and org > 0 else 1

    @property
    def json_data(self) -> dict:
        data = self.spec.get("jsonData")
        return data if isinstance(data, dict) else {}


def derived_uid(name: str) -> str:
    """Grafana's uid for a provisioned datasource that has none: "P" + the first 8 bytes of
    sha256(name) in upper-case hex (pkg/services/provisioning/datasources/types.go, safeUIDFromName)."""
    return "P" + hashlib.sha256(name.encode("utf-8")).digest()[:8].hex().upper()


@dataclass(frozen=True)
class Document:
    """A whole file (a v2 object: the spec inside it) for the schema checks."""

    kind: str
    data: Any
    file: str


@dataclass(frozen=True)
class Skipped:
    """A file of a run that was not checked (unreadable, unrecognised, or a form not checked yet)."""

    file: str
    path: str
    why: str
    hint: str
    error: bool  # True: Grafana could not load it either (malformed); False: we cannot say


@dataclass
class CheckInput:
    dashboards: list[Dashboard] = field(default_factory=list)
    datasources: list[DatasourceEntry] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    contract: Contract = DEFAULT_CONTRACT
    # True when `datasources` is every datasource Grafana will have (a build, or YAML given with the
    # dashboards): only then is a concrete uid that is not among them reported as unresolved.
    complete_inventory: bool = False
    environment: Any = None  # the Environment being built (None for files given on the command line)
    skipped: list[Skipped] = field(default_factory=list)  # files of a path run that were not checked
    kinds: Counter = field(default_factory=Counter)  # files checked, per kind ("dashboard", ...)

    def datasource_by_ref(self, ref: str) -> DatasourceEntry | None:
        for entry in self.datasources:
            if entry.uid == ref:
                return entry
        return None

    def datasource_by_name(self, name: str) -> DatasourceEntry | None:
        for entry in self.datasources:
            if entry.name == name:
                return entry
        return None


def unescape_provisioning(value: Any) -> Any:
    """What Grafana's provisioning interpolation leaves of a YAML value for a literal-$ reading."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, dict):
        return {k: unescape_provisioning(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unescape_provisioning(v) for v in value]
    return value


def _without_secrets(value: Any) -> Any:
    # Secrets are never looked at, never printed: a placeholder stands in for each.
    if isinstance(value, SecretRef):
        return "<secret>"
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def from_resources(resources: Iterable[Resource], contract: Contract,
                   ignores: dict[str, frozenset[str]] | None = None) -> CheckInput:
    """The built resources (API form); ignores maps a definition file to the rules it opts out of."""
    ignores = ignores or {}
    checked = CheckInput(contract=contract, complete_inventory=True)
    for res in resources:
        spec = _without_secrets(res.spec)
        if res.kind == DASHBOARD:
            checked.dashboards.append(Dashboard(spec, res.source, ignores.get(res.source, frozenset())))
            checked.documents.append(Document(DASHBOARD_DOC, spec, res.source))
        elif res.kind == DATASOURCE:
            if res.correlations:  # checked where a provisioning YAML has them: in the datasource entry
                spec = {**spec, "correlations": [dict(c) for c in res.correlations]}
            checked.datasources.append(DatasourceEntry(spec, spec, res.source, "$", API))
            checked.documents.append(Document("datasource", spec, res.source))
    return checked


K8S_DASHBOARD_GROUP = "dashboard.grafana.app/"
V2_VERSIONS = ("v2",)  # v2alpha1, v2beta1, v2: elements/layout, not the classic JSON


def _legacy_providers(data: Any) -> bool:
    """A v0 dashboard-provider file: a bare YAML list of providers (pkg/services/provisioning/dashboards/
    config_reader.go reads it when `apiVersion` is absent)."""
    return isinstance(data, list) and bool(data) and all(
        isinstance(item, dict) and "options" in item and ("name" in item or "type" in item) for item in data)


def document_kind(data: Any) -> str | None:
    """Which kind of Grafana file this is, from its content."""
    if _legacy_providers(data):
        return PROVIDERS_DOC
    if isinstance(data, dict):
        if "datasources" in data or "deleteDatasources" in data:
            return DATASOURCES_DOC
        if "providers" in data:
            return PROVIDERS_DOC
        if any(k in data for k in ("panels", "rows", "templating", "schemaVersion", "title")):
            return DASHBOARD_DOC
        if isinstance(data.get("dashboard"), dict):  # an API payload {dashboard, folderUid, ...}
            return DASHBOARD_DOC
    return None


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files given, and the .json/.yaml/.yml files under folders given, in a stable order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in (".json", ".yaml", ".yml")))
        else:
            out.append(path)
    return out


def from_paths(paths: Iterable[Path], contract: Contract) -> CheckInput:
    """Dashboard JSON and provisioning YAML files. Every file that can be read is checked; the others
    are kept in `skipped` (a malformed file as an error, an unrecognised one as not checked): one bad
    file never stops the run. A path that does not exist is still a usage problem (InputError)."""
    checked = CheckInput(contract=contract)
    missing = [Problem(str(p), "", "file not found", "check the path") for p in paths if not Path(p).exists()]
    if missing:
        raise InputError(missing)
    for path in expand_paths(paths):
        try:
            data = load_document(path)
        except InputError as exc:
            for problem in exc.problems:
                checked.skipped.append(Skipped(str(path), problem.path or "$", problem.message, problem.hint, True))
            continue
        add_document(checked, data, str(path))
    checked.complete_inventory = bool(checked.datasources)
    return checked


def _kubernetes_spec(data: Any) -> tuple[str, Any] | None:
    """(apiVersion, spec) of a Kubernetes-style dashboard object (Grafana 12/13 `/apis` form), else None."""
    if isinstance(data, dict) and data.get("kind") == "Dashboard" and isinstance(data.get("apiVersion"), str) \
            and data["apiVersion"].startswith(K8S_DASHBOARD_GROUP) and isinstance(data.get("spec"), dict):
        return data["apiVersion"], data["spec"]
    return None


def add_document(checked: CheckInput, data: Any, file: str, problems: list[Problem] | None = None) -> None:
    """Add one file's content. Unrecognised content is recorded in `checked.skipped` (and, for callers
    that still pass a list, as a Problem)."""
    k8s = _kubernetes_spec(data)
    if k8s is not None:
        version = k8s[0].split("/", 1)[1]
        if version.startswith(V2_VERSIONS) or "elements" in k8s[1] or "layout" in k8s[1]:
            # the same rules over a classic-shaped view, findings pointing at the v2 places (v2_view.py)
            view = V2View(k8s[1], base=("spec",))
            checked.kinds["dashboard (v2)"] += 1
            checked.documents.append(Document("dashboard-v2", k8s[1], file))
            checked.dashboards.append(Dashboard(view.data, file, where=view.where))
            return
        data = k8s[1]  # v0alpha1/v1beta1/v1: the spec is the classic dashboard JSON
    kind = document_kind(data)
    if kind is None:
        why, hint = ("not a dashboard, datasource or dashboard-provider file",
                     "give dashboard JSON or provisioning YAML with `datasources:` or `providers:`")
        checked.skipped.append(Skipped(file, "$", why, hint, False))
        if problems is not None:
            problems.append(Problem(file, "$", why, hint))
        return
    if kind == DASHBOARD_DOC and isinstance(data.get("dashboard"), dict) and "panels" not in data:
        data = data["dashboard"]
    if kind == PROVIDERS_DOC and isinstance(data, list):
        data = {"providers": data}  # the v0 list form, read as the v1 `providers:` it is equivalent to
    checked.kinds[kind] += 1
    checked.documents.append(Document(kind, data, file))
    if kind == DASHBOARD_DOC:
        checked.dashboards.append(Dashboard(data, file))
    elif kind == DATASOURCES_DOC:
        for index, entry in enumerate(data.get("datasources") or []):
            if isinstance(entry, dict):
                checked.datasources.append(DatasourceEntry(unescape_provisioning(entry), entry, file,
                                                           f"$.datasources[{index}]", PROVISIONING))
